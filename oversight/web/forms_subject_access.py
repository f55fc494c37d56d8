"""Starting a subject access export: the person themself just asks; an information governance
officer gives the reason (the request it answers)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms

from supervision.organisation.plain_text import PlainTextForm

REASON_MAX = 1000


class SubjectAccessRequestForm(PlainTextForm):
    reason = forms.CharField(
        label="Reason for this export",
        help_text=(
            "Say which request this answers, for example: Subject access request from the "
            "person, received 2 March 2026, reference IG-2026-041. They will see this."
        ),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter the reason for this export",
            "max_length": f"Reason for this export must be {REASON_MAX} characters or fewer",
        },
    )

    def __init__(self, *args, needs_reason: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_reason:
            del self.fields["reason"]
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form> and its CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            *([Field.textarea("reason")] if needs_reason else []),
            Button("submit", "Start a new export"),
        )
