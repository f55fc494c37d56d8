from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from oversight.models import FEEDBACK_STATEMENTS, Agreement
from oversight.quality.feedback import answer_error
from supervision.organisation.plain_text import PlainTextForm


class FeedbackForm(PlainTextForm):
    """The quarterly questionnaire. No free-text box: see oversight/quality/feedback.py for why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, statement, _ in FEEDBACK_STATEMENTS:
            message = answer_error(statement)
            self.fields[field] = forms.TypedChoiceField(
                label=statement,
                choices=Agreement.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": message, "invalid_choice": message},
            )
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            *[
                Field.radios(field, legend_size=Size.MEDIUM, small=True)
                for field, _, _ in FEEDBACK_STATEMENTS
            ],
            Button("submit", "Send feedback"),
        )
