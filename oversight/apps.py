from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"

    def ready(self):
        # Importing the *_exports modules registers their tables as downloads.
        from . import dashboard_exports, quality_exports, signals  # noqa: F401

        signals.connect()
