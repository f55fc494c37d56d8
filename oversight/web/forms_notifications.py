from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from oversight.models import NotificationPreference
from supervision.organisation.plain_text import PlainTextForm

QUESTION = "How would you like to hear about overdue items?"
CHOOSE = "Select how you would like to hear about overdue items"


class NotificationPreferenceForm(PlainTextForm):
    mode = forms.ChoiceField(
        label=QUESTION,
        choices=NotificationPreference.Mode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        # The question is the page's heading: one h1 that says what to do.
        self.helper.layout = Layout(
            Field.radios("mode", legend_size=Size.LARGE, legend_tag="h1"),
            Button("submit", "Save"),
        )
