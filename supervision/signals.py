from allauth.account.signals import user_logged_in as allauth_signed_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from supervision.accounts import identity, policy
from supervision.organisation import audit


@receiver(user_logged_in)
def remember_sign_in_time(sender, request, user, **kwargs):
    # The 12-hour limit counts from sign-in, not from the last request.
    if request is not None and hasattr(request, "session"):
        request.session["signed_in_at"] = timezone.now().isoformat()
    audit.record(audit.AuditAction.SIGN_IN, request=request, actor=user)


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    attempted = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit.record(
        audit.AuditAction.SIGN_IN_FAILED,
        request=request,
        actor=None,
        detail={"email": attempted.lower()},
    )


@receiver(user_logged_out)
def audit_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(audit.AuditAction.SIGN_OUT, request=request, actor=user)


@receiver(allauth_signed_in)
def ask_for_second_factor(sender, request, user, **kwargs):
    # At each sign-in through the sign-in page or single sign-on (allauth's flow), not on
    # every request: TwoFactorRequiredMiddleware reads only the session.
    request.session[policy.SETUP_NEEDED] = policy.setup_needed(user)


@receiver(allauth_signed_in)
def confirm_identity_by_fresh_sign_in(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is not None and sociallogin.state.get("fresh"):
        identity.confirmation_record(request, identity.sso_method())


@receiver(authenticator_added)
def two_factor_set_up(sender, request, user, authenticator, **kwargs):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=user,
        object_type="second_factor",
        object_id=authenticator.pk,
        subject=user,
        detail={"event": "added", "type": authenticator.type},
    )


@receiver(authenticator_removed)
def two_factor_removed(sender, request, user, authenticator, **kwargs):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=user,
        object_type="second_factor",
        object_id=authenticator.pk,
        subject=user,
        detail={"event": "removed", "type": authenticator.type},
    )
