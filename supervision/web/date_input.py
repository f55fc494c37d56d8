"""GOV.UK's date input (day, month and year boxes), with the design system's message for a
date that cannot exist.

crispy-forms-gds passes Python's own words through ("day is out of range for month" for
31 April, "year 20261 is out of range"); the pattern says "[label] must be a real date".
Every form in the project takes its date fields from here
(tests/supervision/organisation/test_plain_text.py checks).
"""

from crispy_forms_gds import fields as gds
from django.core.exceptions import ValidationError


class DateInputField(gds.DateInputField):
    def compress(self, data_list):
        try:
            return super().compress(data_list)
        except ValidationError as error:
            label = str(self.label) if self.label else "The date"
            raise ValidationError(f"{label} must be a real date", code="invalid_date") from error
