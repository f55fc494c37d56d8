from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError, fields: dict[str, str] | None = None):
    """Put a service's ValidationError beside the form fields it names (`fields` maps a
    service's name for a field to the form's, where they differ); the rest go to the top."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for key, problems in error.message_dict.items():
        field = (fields or {}).get(key, key)
        form.add_error(field if field in form.fields else None, problems)
