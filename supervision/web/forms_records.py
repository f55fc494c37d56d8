from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from supervision.models import Action
from supervision.organisation.plain_text import PlainTextForm
from supervision.web.date_input import DateInputField
from supervision.web.forms_accounts import ProvesIdentity


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", submit))
    return helper


class AgendaItemForm(PlainTextForm):
    text = forms.CharField(
        label="Add an item to the agenda",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Enter the agenda item"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("text", label_size="s"), submit="Add to agenda")


class SectionForm(PlainTextForm):
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 12}), strip=False)
    completed = forms.BooleanField(required=False, label="I have finished this section")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, heading: str, prompts: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = heading
        self.fields["text"].help_text = prompts
        self.helper = _helper(
            Field.textarea("text", label_size="l", label_tag="h1"),
            Field.checkbox("completed", small=True),
            "version",
            submit="Save and return to the record",
        )


class DecisionForm(PlainTextForm):
    decision = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Enter the decision"}
    )
    reasons = forms.CharField(
        label="Reasons for the decision",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the reasons for the decision"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("decision", label_size="s"),
            Field.textarea("reasons", label_size="s"),
            submit="Add decision",
        )


class ActionForm(PlainTextForm):
    description = forms.CharField(
        label="What is to be done",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what is to be done"},
    )
    owner = forms.ChoiceField(
        label="Who will do it",
        choices=Action.Owner.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who will do it"},
    )
    owner_name = forms.CharField(label="Name, if someone else", required=False, max_length=200)
    due_date = DateInputField(label="By when", help_text="For example, 27 3 2026")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("description", label_size="s"),
            Field.radios("owner", legend_size=Size.SMALL),
            Field.text("owner_name"),
            Field("due_date", context={"legend_size": Size.for_legend("s")}),
            submit="Add action",
        )


class ActionReviewForm(PlainTextForm):
    outcome = forms.ChoiceField(
        choices=[("done", "Done"), ("open", "Still open"), ("dropped", "Dropped")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose done, still open or dropped"},
    )
    note = forms.CharField(label="Note (needed if dropped)", required=False, max_length=2000)


class PasswordForm(ProvesIdentity, PlainTextForm):
    password = forms.CharField(
        label="Your password",
        help_text="Enter your password again to sign. Your signature records your name, the "
        "time and a fingerprint of the record's content.",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to sign"},
    )

    def __init__(self, *args, submit: str = "Sign", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("password"), submit=submit)


class AmendmentForm(PlainTextForm):
    comment = forms.CharField(
        label="What should change",
        help_text="Say which heading and what is missing or wrong.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter what should change"},
    )
    section = forms.ChoiceField(label="Heading (optional)", required=False)

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "The record as a whole")] + [
            (s.key, s.heading) for s in sections
        ]
        self.helper = _helper(
            Field.select("section"),
            Field.textarea("comment", label_size="s"),
            submit="Ask for changes",
        )


class DisagreementForm(PlainTextForm):
    subject = forms.CharField(
        label="What you disagree about",
        max_length=300,
        error_messages={"required": "Enter what you disagree about"},
    )
    view = forms.CharField(
        label="Your view, in your own words",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter your view in your own words"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("subject"),
            Field.textarea("view", label_size="s"),
            submit="Record the disagreement",
        )


class DisagreementViewForm(PasswordForm):
    view = forms.CharField(
        label="Your view, in your own words",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter your view in your own words"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, submit="Sign your view", **kwargs)
        self.helper = _helper(
            Field.textarea("view", label_size="s"), Field.text("password"), submit="Sign your view"
        )


class AddendumForm(PasswordForm):
    text = forms.CharField(
        label="Correction or addition",
        help_text="The record itself does not change: this is added below it, dated and signed.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter the correction or addition"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, submit="Sign and add", **kwargs)
        self.helper = _helper(
            Field.textarea("text", label_size="s"), Field.text("password"), submit="Sign and add"
        )
