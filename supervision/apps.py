from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        # Imported once the apps are ready, as Django requires: the signal receivers and the
        # admin use the models, which cannot be imported while the apps are loading. Importing
        # the checks registers them.
        from supervision import checks, signals  # noqa: F401
        from supervision.admin import audit_every_model_admin

        # Every change made in the Django admin is in the audit log, whoever's model it is.
        audit_every_model_admin()
