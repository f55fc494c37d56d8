"""Forms for the policy pack pages.

The new-version form shows the common settings as fields and the intervals per job role as
JSON. It checks only that each answer is the right kind of thing (a whole number, a date, JSON);
whether the settings make a sound pack is `oversight.policy.packs.load_pack`'s to say, through
`pack_services.pack_version_create`, and `add_pack_errors` puts each problem it names beside
the field that holds that setting.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Fieldset, Layout, Size
from django import forms
from django.core.exceptions import ValidationError

from oversight.policy.packs import (
    AD_HOC,
    REMINDER_KINDS,
    SERVICES,
    SESSION_TYPES,
    PackError,
    PolicyPack,
    load_pack,
)
from oversight.policy.services import pack_error_dict
from supervision.organisation.plain_text import PlainTextForm
from supervision.web.date_input import DateInputField

SESSION_LABELS = {
    "individual": "Individual staff supervision",
    "personal_support": "Personal and professional support supervision",
    "case": "Case supervision",
    "management": "Management supervision",
    "iro_cp_chair": "IRO and CP chair supervision",
    "lado": "LADO supervision",
    "ad_hoc": "Ad hoc supervision",
    "transition": "Transition supervision",
    "joint_inter_service": "Joint inter-service supervision",
}
SERVICE_LABELS = {
    "early_help": "Early help",
    "social_work": "Children's social work",
    "youth_justice": "Youth justice",
}
RISK_LABELS = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "very_high": "Very high",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}
UNIT_CHOICES = [("days", "days"), ("weeks", "weeks"), ("months", "months")]
YES_NO = [("yes", "Yes"), ("no", "No")]
# Who a schedule covers when a pack that had none starts one (Q1 frontline, Q2 all but students).
DEFAULT_CATEGORIES = {
    "observations": ["practitioner", "asye"],
    "development_conversations": [
        "practitioner",
        "asye",
        "independent",
        "manager",
        "senior_manager",
        "support",
    ],
}
DATE_HINT = "For example, 1 4 2026"


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


def _whole(label: str, what: str, *, required: bool = True, help_text: str = ""):
    """A whole number. Its range is the pack's rule, so load_pack says what is too small."""
    return forms.IntegerField(
        label=label,
        required=required,
        help_text=help_text,
        # GOV.UK asks for a text input with a numeric keypad, not type="number".
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"Enter {what} as a whole number",
        },
    )


def _yes_no(label: str, what: str, help_text: str = ""):
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": f"Choose whether {what}"},
    )


class PackChoiceForm(PlainTextForm):
    pack_code = forms.ChoiceField(
        label="Which policy pack should the organisation run?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a policy pack",
            "invalid_choice": "Choose one of the policy packs listed",
        },
    )
    effective_from = DateInputField(
        label="Date it runs from",
        required=False,
        help_text="Leave empty to run it from today. An earlier date is for history kept or "
        f"imported from before: every day from it is judged by this pack. {DATE_HINT}",
    )
    # The choice and date the warning was shown for: ticking the box confirms that, no other.
    past_seen = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm_past = forms.BooleanField(
        required=False,
        label="Yes, judge the history from that date by this pack",
    )

    def __init__(self, *args, packs: list[tuple[str, str, str]], today: date, **kwargs):
        """`packs`: (code, name, hint) of each pack that has at least one version."""
        super().__init__(*args, **kwargs)
        self.today = today
        self.asked_past = False
        self.fields["pack_code"].choices = [
            Choice(code, name, hint=hint) for code, name, hint in packs
        ]
        self.helper = _helper(
            Field.radios("pack_code", legend_size=Size.MEDIUM),
            Field("effective_from", context={"legend_size": Size.for_legend("s")}),
            Field("past_seen"),
            Button("submit", "Run this policy pack"),
        )

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day is not None and day > self.today:
            raise ValidationError(
                "Enter today's date or an earlier one: to change a rule from a later date, "
                "make a new version of the pack the organisation runs"
            )
        return day

    def _seen(self) -> str:
        return f"{self.cleaned_data.get('pack_code')}:{self.cleaned_data['effective_from']}"

    def past_confirmed(self) -> bool:
        """True unless the date is in the past and this choice was not confirmed."""
        day = self.cleaned_data.get("effective_from")
        if day is None or day >= self.today:
            return True
        return bool(self.cleaned_data.get("confirm_past")) and (
            self.cleaned_data.get("past_seen") == self._seen()
        )

    def ask_to_confirm_past(self) -> None:
        """The warning and the box to tick, just above the button; an error if they were shown
        for this very choice and the box was left empty."""
        seen_before = self.cleaned_data.get("past_seen") == self._seen()
        self.data = self.data.copy()
        self.data["past_seen"] = self._seen()
        if not seen_before:
            self.data.pop("confirm_past", None)
        self.asked_past = True
        button = len(self.helper.layout) - 1
        self.helper.layout.insert(button, Field.checkbox("confirm_past"))
        self.helper.layout.insert(
            button, HTML('{% include "oversight/packs/_past_warning.html" %}')
        )
        if seen_before:
            self.add_error(
                "confirm_past",
                "Select yes to judge the history from that date by this pack, or leave the "
                "date empty to run it from today",
            )


class PackVersionForm(PlainTextForm):
    """A new version of a pack, starting from the settings of `base` (a version's data)."""

    effective_from = DateInputField(
        label="Date the new version applies from",
        help_text=f"Today or later. Reports for earlier dates keep the rules in force then. "
        f"{DATE_HINT}",
    )
    reason = forms.CharField(
        label="Why the settings are changing",
        help_text="For example, the policy, section and date of the decision. It becomes the "
        "note on each setting you change.",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the settings are changing"},
    )
    monthly_counting = forms.ChoiceField(
        label="How is “monthly” counted?",
        widget=forms.RadioSelect,
        choices=[
            Choice(
                "rolling",
                "Rolling",
                hint="No more than a calendar month between sessions: 31 January is next due "
                "28 February",
            ),
            Choice("calendar", "Calendar", hint="At least one session in each calendar month"),
        ],
        error_messages={"required": "Choose how monthly supervision is counted"},
    )
    formal_session_types = forms.MultipleChoiceField(
        label="Which sessions count as formal supervision?",
        help_text="Ad hoc supervision never counts (DOMAIN S6).",
        widget=forms.CheckboxSelectMultiple,
        choices=[(kind, SESSION_LABELS[kind]) for kind in SESSION_TYPES if kind != AD_HOC],
        error_messages={
            "required": "Choose at least one kind of session that counts as formal supervision",
            "invalid_choice": "Choose session types from the list: %(value)s is not one of them",
        },
    )
    record_working_days = _whole(
        "Working days to write up a record",
        "the working days to write up a record",
        help_text="Counted from the session (DOMAIN R6).",
    )
    signoff_working_days = _whole(
        "Working days to sign off a record",
        "the working days to sign off a record",
        help_text="Counted from sharing the record to finalising it (DOMAIN R7, R8).",
    )
    agreement_review_months = _whole(
        "Months between reviews of a supervision agreement",
        "the months between agreement reviews",
        help_text="DOMAIN A2.",
    )
    agreement_draw_up_days = _whole(
        "Days to draw up an agreement",
        "the days to draw up an agreement",
        help_text="Counted from the start of a supervisory relationship (DOMAIN A1).",
    )
    agreement_less_frequent_allowed = _yes_no(
        "May an agreement set less frequent supervision than this pack?",
        "an agreement may set less frequent supervision",
        help_text="An agreement may always set more frequent supervision (DOMAIN F7).",
    )
    agreement_floor_every = _whole(
        "The least often an agreement may set: every",
        "how infrequent an agreement may go",
        required=False,
        help_text="Only when agreements may be less frequent. For example, 6 with weeks.",
    )
    agreement_floor_unit = forms.ChoiceField(
        label="Unit",
        choices=[("weeks", "weeks"), ("months", "months")],
        required=False,
        error_messages={"invalid_choice": "Choose weeks or months for the least often"},
    )
    cancellation_reschedule_days = _whole(
        "Days to hold a cancelled session again",
        "the days to hold a cancelled session again",
        help_text="DOMAIN S4.",
    )
    cover_after_days = _whole(
        "Days a supervisor can be away before cover is needed",
        "the days before cover is needed",
        help_text="DOMAIN S5.",
    )
    allocation_hours = _whole(
        "Hours to discuss a newly allocated child",
        "the hours to discuss a new allocation",
        required=False,
        help_text="DOMAIN C3. Leave empty if this policy sets no time.",
    )
    closure_rule = _yes_no(
        "Must a child be discussed in supervision before their case closes?",
        "a child must be discussed before closure",
        help_text="DOMAIN C4.",
    )
    observations_per_year = _whole(
        "Practice observations a year",
        "the practice observations a year",
        required=False,
        help_text="DOMAIN Q1: 1, 2, 3, 4, 6 or 12. Leave empty for none.",
    )
    development_per_year = _whole(
        "Development conversations a year",
        "the development conversations a year",
        required=False,
        help_text="DOMAIN Q2: 1, 2, 3, 4, 6 or 12. Leave empty for none.",
    )
    probation_review_months = forms.CharField(
        label="Months after starting when probation is reviewed",
        required=False,
        help_text="DOMAIN Q3. Whole months separated by commas, like 1, 4, 5. Leave empty "
        "for none.",
    )
    due_soon_days = _whole(
        "Days before a due date that it shows as due soon",
        "the days before a due date that it shows as due soon",
    )
    reminder_session_days = _whole(
        "Working days before a session falls due that people are reminded",
        "the working days before a session falls due that people are reminded",
        help_text="The supervisor, and the supervisee once a session is planned. 0 for no "
        "reminder.",
    )
    reminder_record_days = _whole(
        "Working days before a write-up falls due that the supervisor is reminded",
        "the working days before a write-up falls due that the supervisor is reminded",
        help_text="0 for no reminder.",
    )
    reminder_signoff_days = _whole(
        "Working days before a sign-off falls due that whoever signs next is reminded",
        "the working days before a sign-off falls due that whoever signs next is reminded",
        help_text="0 for no reminder.",
    )
    intervals = forms.CharField(
        label="Supervision intervals per job role (advanced)",
        help_text=(
            "JSON: for each job role category, its phases in order. Each phase has every and "
            "unit (days, weeks or months); every phase but the last ends with until_weeks, "
            "until_months (counted from the start date, or the ASYE start date for asye) or "
            'until_agreed: true. For example {"practitioner": {"phases": [{"every": 1, '
            '"unit": "months"}]}}.'
        ),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        error_messages={"required": "Enter the supervision intervals per job role"},
    )

    # Short names for the problems load_pack finds, by form field.
    WHAT = {
        "effective_from": "The date the new version applies from",
        "monthly_counting": "How monthly is counted",
        "formal_session_types": "Sessions that count as formal supervision",
        "record_working_days": "The working days to write up a record",
        "signoff_working_days": "The working days to sign off a record",
        "agreement_review_months": "The months between agreement reviews",
        "agreement_draw_up_days": "The days to draw up an agreement",
        "agreement_less_frequent_allowed": "Whether agreements may be less frequent",
        "agreement_floor_every": "The least often an agreement may set",
        "cancellation_reschedule_days": "The days to hold a cancelled session again",
        "cover_after_days": "The days before cover is needed",
        "allocation_hours": "The hours to discuss a new allocation",
        "closure_rule": "The closure rule",
        "observations_per_year": "Practice observations a year",
        "development_per_year": "Development conversations a year",
        "probation_review_months": "The probation review months",
        "due_soon_days": "The days before a due date that it shows as due soon",
        "reminder_session_days": "The working days before a session that people are reminded",
        "reminder_record_days": "The working days before a write-up that people are reminded",
        "reminder_signoff_days": "The working days before a sign-off that people are reminded",
    }
    # Where each setting lives in a pack's data, by form field.
    PATHS = {
        "effective_from": "effective_from",
        "due_soon_days": "due_soon_days",
        "monthly_counting": "monthly_counting",
        "formal_session_types": "formal_session_types",
        "record_working_days": "record_working_days",
        "signoff_working_days": "signoff_working_days",
        "agreement_review_months": "agreement.review_months",
        "agreement_draw_up_days": "agreement.draw_up_days",
        "agreement_less_frequent_allowed": "agreement.less_frequent_allowed",
        "agreement_floor_every": "agreement.floor",
        "cancellation_reschedule_days": "cancellation_reschedule_days",
        "cover_after_days": "cover_after_days",
        "allocation_hours": "cases.allocation_hours",
        "closure_rule": "cases.closure_rule",
        "observations_per_year": "observations",
        "development_per_year": "development_conversations",
        "probation_review_months": "probation_review_months",
        "intervals": "intervals",
        "reminder_session_days": "reminder_working_days.session",
        "reminder_record_days": "reminder_working_days.record",
        "reminder_signoff_days": "reminder_working_days.signoff",
    }

    def __init__(self, *args, base: Mapping[str, Any], today: date, **kwargs):
        self.base = base
        self.today = today
        pack = load_pack(base)
        super().__init__(*args, initial=self._initial(pack), **kwargs)
        self.paths = dict(self.PATHS)
        self.what = dict(self.WHAT)
        self.risk_fields: list[tuple[str, str, str]] = []  # field, service, level
        review_fieldsets = self._add_case_review_fields(pack)
        risk_fieldsets = self._add_risk_review_fields(pack)

        def section(legend, *items):
            return Fieldset(*items, legend=legend, legend_size=Size.MEDIUM)

        self.helper = _helper(
            section(
                "The new version",
                Field("effective_from", context={"legend_size": Size.for_legend("s")}),
                Field.textarea("reason", label_size=Size.SMALL),
            ),
            section(
                "Supervision of staff",
                Field.radios("monthly_counting", legend_size=Size.SMALL),
                Field.checkboxes("formal_session_types", legend_size=Size.SMALL, small=True),
                Field.text("due_soon_days", field_width=3),
                Field.text("reminder_session_days", field_width=3),
                Field.text("reminder_record_days", field_width=3),
                Field.text("reminder_signoff_days", field_width=3),
            ),
            section(
                "Records and agreements",
                Field.text("record_working_days", field_width=3),
                Field.text("signoff_working_days", field_width=3),
                Field.text("agreement_review_months", field_width=3),
                Field.text("agreement_draw_up_days", field_width=3),
                Field.radios(
                    "agreement_less_frequent_allowed", legend_size=Size.SMALL, inline=True
                ),
                Field.text("agreement_floor_every", field_width=3),
                Field.select("agreement_floor_unit"),
            ),
            section(
                "Cancellations and cover",
                Field.text("cancellation_reschedule_days", field_width=3),
                Field.text("cover_after_days", field_width=3),
            ),
            section(
                "Children's cases: how often each child is discussed (DOMAIN C1)",
                *review_fieldsets,
                *risk_fieldsets,
                Field.text("allocation_hours", field_width=3),
                Field.radios("closure_rule", legend_size=Size.SMALL, inline=True),
            ),
            section(
                "Observations, development and probation",
                Field.text("observations_per_year", field_width=3),
                Field.text("development_per_year", field_width=3),
                Field.text("probation_review_months", field_width=10),
            ),
            section("Advanced", Field.textarea("intervals", label_size=Size.SMALL)),
            Button("submit", "Save the new version"),
        )

    def _add_case_review_fields(self, pack: PolicyPack) -> list[Fieldset]:
        review_fieldsets = []
        for service in SERVICES:
            every, unit = f"case_review_{service}_every", f"case_review_{service}_unit"
            label = SERVICE_LABELS[service]
            self.fields[every] = _whole(
                "Every", f"how often a child in {label.lower()} is discussed"
            )
            self.fields[unit] = forms.ChoiceField(
                label="Unit",
                choices=UNIT_CHOICES,
                error_messages={
                    "required": f"Choose days, weeks or months for {label.lower()}",
                    "invalid_choice": f"Choose days, weeks or months for {label.lower()}",
                },
            )
            self.paths[every] = f"cases.review.{service}"
            self.what[every] = f"The case review cycle in {label.lower()}"
            if service in pack.cases.review:
                interval = pack.cases.review[service]
                self.initial[every], self.initial[unit] = interval.every, interval.unit
            review_fieldsets.append(
                Fieldset(
                    Field.text(every, field_width=3),
                    Field.select(unit),
                    legend=label,
                    legend_size=Size.SMALL,
                )
            )
        return review_fieldsets

    def _add_risk_review_fields(self, pack: PolicyPack) -> list[Fieldset]:
        risk_fieldsets = []
        for service, cycle in pack.cases.risk_review.items():
            names = []
            for level, days in cycle.levels.items():
                name = f"risk_{service}_{level}"
                label = f"{RISK_LABELS.get(level, level)} risk: days between discussions"
                self.fields[name] = _whole(
                    label,
                    f"the days between discussions at {RISK_LABELS.get(level, level).lower()} "
                    f"risk in {SERVICE_LABELS[service].lower()}",
                )
                self.initial[name] = days
                self.paths[name] = f"cases.risk_review.{service}.levels.{level}"
                self.what[name] = (
                    f"The days between discussions at {RISK_LABELS.get(level, level).lower()} "
                    f"risk in {SERVICE_LABELS[service].lower()}"
                )
                self.risk_fields.append((name, service, level))
                names.append(Field.text(name, field_width=3))
            risk_fieldsets.append(
                Fieldset(
                    *names,
                    legend=f"{SERVICE_LABELS[service]}: the cycle by risk level (DOMAIN C2)",
                    legend_size=Size.SMALL,
                )
            )
        return risk_fieldsets

    @staticmethod
    def _initial(pack: PolicyPack) -> dict[str, Any]:
        floor = pack.agreement.floor
        return {
            "monthly_counting": pack.monthly_counting,
            "formal_session_types": list(pack.formal_session_types),
            "record_working_days": pack.record_working_days,
            "signoff_working_days": pack.signoff_working_days,
            "agreement_review_months": pack.agreement.review_months,
            "agreement_draw_up_days": pack.agreement.draw_up_days,
            "agreement_less_frequent_allowed": "yes"
            if pack.agreement.less_frequent_allowed
            else "no",
            "agreement_floor_every": floor.every if floor else None,
            "agreement_floor_unit": floor.unit if floor else "weeks",
            "cancellation_reschedule_days": pack.cancellation_reschedule_days,
            "cover_after_days": pack.cover_after_days,
            "allocation_hours": pack.cases.allocation_hours,
            "closure_rule": "yes" if pack.cases.closure_rule else "no",
            "observations_per_year": pack.observations.per_year if pack.observations else None,
            "development_per_year": (
                pack.development_conversations.per_year if pack.development_conversations else None
            ),
            "probation_review_months": ", ".join(str(m) for m in pack.probation_review_months),
            "due_soon_days": pack.due_soon_days,
            **{f"reminder_{kind}_days": days for kind, days in pack.reminder_working_days.items()},
            "intervals": json.dumps(
                {
                    category: {"phases": [phase.to_dict() for phase in schedule.phases]}
                    for category, schedule in pack.intervals.items()
                },
                indent=2,
            ),
        }

    # Shape checks. Whether the values make a sound pack is load_pack's to say.

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day < self.today:
            raise ValidationError(
                "Enter today's date or a later one: a change applies from its effective date "
                "and cannot rewrite what was in force before"
            )
        return day

    def clean_probation_review_months(self):
        text = self.cleaned_data["probation_review_months"].strip()
        if not text:
            return []
        try:
            return [int(part) for part in text.replace(" ", "").strip(",").split(",")]
        except ValueError:
            raise ValidationError(
                "Enter the probation review months as whole numbers separated by commas, "
                "like 1, 4, 5"
            ) from None

    def clean_intervals(self):
        try:
            value = json.loads(self.cleaned_data["intervals"])
        except json.JSONDecodeError as error:
            raise ValidationError(
                f"Enter the intervals as valid JSON: {error.msg} at line {error.lineno}, "
                f"column {error.colno}"
            ) from None
        if not isinstance(value, dict):
            raise ValidationError(
                "Enter the intervals as a JSON object with one entry per job role category"
            )
        return value

    def clean(self):
        """Whether the answers make a sound pack, with every problem beside its field, at the
        same time as the date's: the service asks load_pack again before saving."""
        cleaned = super().clean()
        if any(
            name not in cleaned for name in self.fields if name not in ("effective_from", "reason")
        ):
            return cleaned
        data = self.pack_data()
        data["version"] = int(self.base["version"]) + 1
        data["effective_from"] = (cleaned.get("effective_from") or self.today).isoformat()
        try:
            load_pack(data)
        except PackError as error:
            self.add_pack_errors(ValidationError(pack_error_dict(error)))
        return cleaned

    # From answers to a pack's data

    def pack_data(self) -> dict[str, Any]:
        """The new version's settings: the base version's, with the answers in place."""
        answers = self.cleaned_data
        data = copy.deepcopy(dict(self.base))
        data["due_soon_days"] = answers["due_soon_days"]
        data["monthly_counting"] = answers["monthly_counting"]
        chosen = set(answers["formal_session_types"])
        data["formal_session_types"] = [kind for kind in SESSION_TYPES if kind in chosen]
        data["record_working_days"] = answers["record_working_days"]
        data["signoff_working_days"] = answers["signoff_working_days"]
        data["reminder_working_days"] = {
            kind: answers[f"reminder_{kind}_days"] for kind in REMINDER_KINDS
        }
        data["cancellation_reschedule_days"] = answers["cancellation_reschedule_days"]
        data["cover_after_days"] = answers["cover_after_days"]
        agreement = data["agreement"]
        agreement["review_months"] = answers["agreement_review_months"]
        agreement["draw_up_days"] = answers["agreement_draw_up_days"]
        allowed = answers["agreement_less_frequent_allowed"]
        agreement["less_frequent_allowed"] = allowed
        floor_every = answers["agreement_floor_every"]
        agreement["floor"] = (
            {"every": floor_every, "unit": answers["agreement_floor_unit"] or "weeks"}
            if allowed and floor_every is not None
            else None
        )
        cases = data["cases"]
        for service in SERVICES:
            cases["review"][service] = {
                "every": answers[f"case_review_{service}_every"],
                "unit": answers[f"case_review_{service}_unit"],
            }
        for name, service, level in self.risk_fields:
            cases["risk_review"][service]["levels"][level] = answers[name]
        cases["allocation_hours"] = answers["allocation_hours"]
        cases["closure_rule"] = answers["closure_rule"]
        for key, field in (
            ("observations", "observations_per_year"),
            ("development_conversations", "development_per_year"),
        ):
            per_year = answers[field]
            if per_year is None:
                data[key] = None
            else:
                before = data.get(key) or {}
                data[key] = {
                    "per_year": per_year,
                    "categories": before.get("categories") or DEFAULT_CATEGORIES[key],
                }
        data["probation_review_months"] = answers["probation_review_months"]
        data["intervals"] = answers["intervals"]
        return data

    # From a pack's problems back to the fields

    def field_for(self, path: str) -> str | None:
        best, length = None, -1
        for field, prefix in self.paths.items():
            if (path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))) and len(
                prefix
            ) > length:
                best, length = field, len(prefix)
        return best

    def add_pack_errors(self, error: ValidationError) -> None:
        """Each problem beside the field holding the setting it names; the rest at the top,
        with their path, so nothing is silently dropped."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for path, messages in error.message_dict.items():
            field = self.field_for(path)
            for message in messages:
                if field is None:
                    self.add_error(None, message if path == "__all__" else f"{path}: {message}")
                elif field == "intervals":
                    where = path[len("intervals") :].lstrip(".") or "intervals"
                    self.add_error(field, f"In the intervals, {where}: {message}")
                elif field == "effective_from":
                    self.add_error(field, message)
                else:
                    what = self.what.get(field, path)
                    joiner = " " if message.startswith("must") else ": "
                    self.add_error(field, f"{what}{joiner}{message}")
