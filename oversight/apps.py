from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"

    def ready(self):
        # Imported when the apps are ready, as Django requires: importing the *_exports modules
        # registers their tables as downloads, and the signals connect the facts to the flags.
        from oversight.flags import signals
        from oversight.reports import (  # noqa: F401
            dashboard_exports,
            home_exports,
            quality_exports,
        )
        from oversight.reports.dashboard import forgetting

        signals.connect()
        # Writes that change a closed month of the dashboard delete its summaries.
        forgetting.connect()
