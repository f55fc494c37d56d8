from django.urls import path

from api.web import views

urlpatterns = [
    path("admin-tools/api/", views.service_accounts, name="api-service-accounts"),
    path("admin-tools/api/new/", views.service_account_new, name="api-service-account-new"),
    path("admin-tools/api/<int:account_id>/", views.service_account, name="api-service-account"),
    path(
        "admin-tools/api/<int:account_id>/switch-off/",
        views.service_account_switch_off,
        name="api-service-account-switch-off",
    ),
    path(
        "admin-tools/api/tokens/<int:token_id>/revoke/",
        views.token_revoke,
        name="api-token-revoke",
    ),
]
