"""Signing in and one's own security settings: django-allauth's pages that this product uses,
at addresses of its own, and no others (no self-registration, no address management)."""

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.webauthn import views as webauthn_views
from allauth.socialaccount import views as socialaccount_views
from allauth.usersessions import views as usersessions_views
from django.urls import include, path

from supervision.web import views, views_accounts

two_factor = [
    path("", mfa_views.index, name="mfa_index"),
    path("authenticate/", mfa_views.authenticate, name="mfa_authenticate"),
    path("reauthenticate/", mfa_views.reauthenticate, name="mfa_reauthenticate"),
    path("app/", totp_views.activate_totp, name="mfa_activate_totp"),
    path("app/remove/", totp_views.deactivate_totp, name="mfa_deactivate_totp"),
    path(
        "recovery-codes/", recovery_code_views.view_recovery_codes, name="mfa_view_recovery_codes"
    ),
    path(
        "recovery-codes/new/",
        recovery_code_views.generate_recovery_codes,
        name="mfa_generate_recovery_codes",
    ),
    path(
        "recovery-codes/download/",
        recovery_code_views.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
    path("security-keys/", webauthn_views.list_webauthn, name="mfa_list_webauthn"),
    path("security-keys/add/", webauthn_views.add_webauthn, name="mfa_add_webauthn"),
    path(
        "security-keys/reauthenticate/",
        webauthn_views.reauthenticate_webauthn,
        name="mfa_reauthenticate_webauthn",
    ),
    path(
        "security-keys/<int:pk>/remove/", webauthn_views.remove_webauthn, name="mfa_remove_webauthn"
    ),
    path("security-keys/<int:pk>/name/", webauthn_views.edit_webauthn, name="mfa_edit_webauthn"),
]

urlpatterns = [
    # allauth's own pages send people to "account_login"; it is the same page.
    path("sign-in/", views.SignInView.as_view(), name="account_login"),
    path("sign-out/", views.SignOutView.as_view(), name="account_logout"),
    path("account/confirm/", account_views.reauthenticate, name="account_reauthenticate"),
    path("account/two-factor/", include(two_factor)),
    path(
        "account/security-key/options/",
        views_accounts.security_key_options,
        name="security-key-options",
    ),
    path("account/sessions/", usersessions_views.list_usersessions, name="usersessions_list"),
    path(
        "sign-in/sso/cancelled/",
        socialaccount_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path("sign-in/sso/error/", socialaccount_views.login_error, name="socialaccount_login_error"),
    path("", include("supervision.accounts.sso.urls")),
]
