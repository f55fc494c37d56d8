from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        from supervision import signals  # noqa: F401
        from supervision.admin import audit_every_model_admin

        # Every change made in the Django admin is in the audit log, whoever's model it is.
        audit_every_model_admin()
