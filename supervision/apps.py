from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        # home_exports registers the supervisor's home table as a download.
        from . import home_exports, signals  # noqa: F401
