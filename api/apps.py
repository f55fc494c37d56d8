from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API for the council's other systems"
    default_auto_field = "django.db.models.BigAutoField"
