from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        # home_exports registers the supervisor's home table as a download.
        from . import home_exports, signals  # noqa: F401
        from .admin import audit_every_model_admin

        # Every change made in the Django admin is in the audit log, whoever's model it is.
        audit_every_model_admin()
