from django.urls import path

from supervision.accounts.sso import views

urlpatterns = [
    path("sign-in/sso/<provider_id>/", views.login, name="council_sso_login"),
    path("sign-in/sso/<provider_id>/callback/", views.callback, name="council_sso_callback"),
]
