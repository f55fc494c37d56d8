from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"

    def ready(self):
        from . import dashboard_exports, signals  # noqa: F401 - registers the dashboard's tables

        signals.connect()
