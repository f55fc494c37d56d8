from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from django import forms

from agreements.models import SupervisionAgreement
from supervision.organisation.plain_text import PlainTextModelForm
from supervision.web.date_input import DateInputField


class AgreementForm(PlainTextModelForm):
    starts_on = DateInputField(label="Start date", help_text="For example, 5 3 2026")
    review_due_on = DateInputField(
        label="Review date", help_text="At least once a year (DOMAIN A2). For example, 5 3 2027"
    )

    class Meta:
        model = SupervisionAgreement
        fields = SupervisionAgreement.CONTENT_FIELDS
        widgets = {
            field: forms.Textarea(attrs={"rows": 4}) for field in SupervisionAgreement.TEXT_SECTIONS
        }
        error_messages = {
            "frequency_value": {
                "invalid": "Enter the frequency as a whole number, like 4",
                "min_value": "Enter a frequency of at least 1",
            },
            "duration_minutes": {
                "required": "Enter how long each session lasts, in minutes",
                "invalid": "Enter the duration as a whole number of minutes, like 90",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not required here: the model's clean() says "Enter how often supervision will
        # happen", the same message any other caller gets.
        self.fields["frequency_value"].required = False
        self.fields["frequency_value"].help_text = "A whole number, with the unit below"
        self.fields["frequency_unit"].label = "Unit"
        self.fields["mode"].label = "In person or virtual"
        for field in SupervisionAgreement.TEXT_SECTIONS:
            if field != "specific_provisions":
                self.fields[field].error_messages["required"] = (
                    f"Enter {self.fields[field].label.lower()}"
                )
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                Field("starts_on", context={"legend_size": Size.for_legend("s")}),
                Field("review_due_on", context={"legend_size": Size.for_legend("s")}),
                legend="Dates",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("frequency_value", field_width=4),
                Field.select("frequency_unit"),
                Field.text("duration_minutes", field_width=4),
                Field.radios("mode", legend_size=Size.SMALL),
                legend="How often, how long, where",
                legend_size=Size.MEDIUM,
            ),
            *[
                Field.textarea(field, label_size=Size.SMALL)
                for field in SupervisionAgreement.TEXT_SECTIONS
            ],
            Button("submit", "Save the draft"),
        )
