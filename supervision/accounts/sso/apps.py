from django.apps import AppConfig


class SingleSignOnConfig(AppConfig):
    name = "supervision.accounts.sso"
    label = "sso"
    verbose_name = "Single sign-on"
