from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout, Size
from django import forms
from django.conf import settings

from api.models import SCOPE_HINTS, Scope
from supervision.models import Unit
from supervision.organisation.plain_text import PlainTextForm


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


class ServiceAccountForm(PlainTextForm):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="The system that will call, such as Power BI or the Mosaic nightly feed",
        error_messages={"required": "Enter the account's name"},
    )
    description = forms.CharField(
        label="What it is for (optional)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=[(scope.value, f"{scope.label}: {SCOPE_HINTS[scope]}") for scope in Scope],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing the account may do"},
    )
    units = forms.ModelMultipleChoiceField(
        label="Units it may see",
        queryset=Unit.objects.order_by("path"),
        widget=forms.CheckboxSelectMultiple,
        help_text="Each unit brings every unit below it",
        error_messages={"required": "Choose at least one unit the account may see"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            Field.textarea("description"),
            Field.checkboxes("scopes", legend_size=Size.SMALL, small=True),
            Field.checkboxes("units", legend_size=Size.SMALL, small=True),
            Button("submit", "Create service account"),
        )


class IssueTokenForm(PlainTextForm):
    days = forms.IntegerField(
        label="Days until it expires",
        min_value=1,
        initial=90,
        help_text="The token stops working after this many days. Issue a new one before then.",
        error_messages={
            "required": "Enter how many days the token lasts",
            "invalid": "Enter the days the token lasts as a whole number",
            "min_value": "Enter at least 1 day",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        most = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].validators.append(_at_most(most))
        self.helper = _helper(Field.text("days", field_width=3), Button("submit", "Issue a token"))


def _at_most(most: int):
    def check(value):
        if value is not None and value > most:
            raise forms.ValidationError(f"Enter at most {most} days")

    return check
