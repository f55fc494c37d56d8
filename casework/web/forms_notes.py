"""Forms for case notes and management oversight entries. They check shape only: what a note
must hold before it is final, and who may write it, live in casework.services and
casework.access, so every way in obeys the same rules."""

from datetime import datetime, timedelta

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Fixed, Fluid, Layout, Size
from django import forms
from django.utils import timezone

from casework.models import FULL_KINDS, CaseNote, CaseNoteAction, GroupSession
from casework.pdf import clock
from casework.services import FOUR_PS, NEGLECT_FIELDS
from supervision.models import SessionType, SupervisionSession
from supervision.organisation.plain_text import PlainTextForm
from supervision.organisation.times import parse_time
from supervision.web.date_input import DateInputField
from supervision.web.forms_accounts import ProvesIdentity

DATE_HINT = "For example, 5 3 2026"
OTHER_PERSON = "other"

# Sessions a case note may belong to: those where children are discussed with the worker.
CASE_SESSION_TYPES = (
    SessionType.CASE,
    SessionType.JOINT_INTER_SERVICE,
    SessionType.TRANSITION,
    SessionType.AD_HOC,
)
SESSION_WINDOW_DAYS = 30

# The kinds recorded like a case supervision: the full reflective cycle and a review date.
# The other points of R12 record at least a decision and its rationale.

# Kent's management oversight table (rule R12): what the manager records at each point.
KIND_HINTS = {
    CaseNote.Kind.CASE_SUPERVISION: "Formal 1:1 case supervision with the worker: the story, "
    "what it means for the child, the decision and the next review.",
    CaseNote.Kind.GROUP_SUPERVISION: "The child discussed in group case supervision.",
    CaseNote.Kind.JOINT_SUPERVISION: "Joint supervision across services: the decisions are "
    "recorded on the child's file.",
    CaseNote.Kind.ALLOCATION: "Newly allocated work, discussed within 24 hours or sooner: "
    "detailed direction, with analysis and rationale.",
    CaseNote.Kind.ASSESSMENT_AUTHORISED: "The assessment is quality assured and authorised "
    "before it is shared with the family.",
    CaseNote.Kind.PLAN_SIGNED_OFF: "A review specific to the child, or a child in need plan "
    "signed off by a manager.",
    CaseNote.Kind.STEP_UP: "Evidenced by a joint discussion with both team managers, with a "
    "clear rationale.",
    CaseNote.Kind.STEP_DOWN: "Evidenced by a joint discussion with both team managers, with a "
    "clear rationale.",
    CaseNote.Kind.STEP_ACROSS: "Evidenced by a joint discussion with both team managers, with "
    "a clear rationale.",
    CaseNote.Kind.STRATEGY_DISCUSSION: "Strategy discussion minutes approved by the team "
    "manager; outcome strategy discussions approved by the service manager.",
    CaseNote.Kind.CASE_PROGRESSION: "A case progression discussion whose decisions change the "
    "direction of the child's journey or outcomes.",
    CaseNote.Kind.TRANSFER: "A transfer or transition: the rationale for the decisions made.",
    CaseNote.Kind.CLOSURE: "A clear rationale for closing, an analysis of the work done, and "
    "the family's thoughts and feelings.",
    CaseNote.Kind.AUDIT: "An audit or moderation: actions followed up in supervision, or "
    "sooner if a child is at significant risk.",
    CaseNote.Kind.APPRECIATIVE_INQUIRY: "An appreciative inquiry: the case note, with its "
    "actions followed up.",
    CaseNote.Kind.PRACTICE_OBSERVATION: "A practice observation that bears on this child.",
    CaseNote.Kind.AD_HOC: "Unplanned discussion, recorded when it happens: a summary, "
    "analysis, a clear rationale and SMART actions.",
}

# The reflective cycle (rule R3: experience, reflection, analysis, plans) as hint text.
PROMPTS = {
    "current_situation": "Experience: what is happening for you now, and what has happened "
    "since your case was last discussed.",
    "working_well": "Reflection: what is going well for you and your family, and who is helping.",
    "worries": "Analysis: what we are worried about, and what it means for you.",
    "decision": "Plans: what I have decided, and what will happen next for you.",
    "reasons": "Why I decided this, in words you could follow if you read it when you are older.",
}
OVERSIGHT_PROMPTS = {
    "current_situation": "Optional. A short summary of what is happening for you now.",
    "decision": "What I have decided, written to you.",
    "reasons": "The rationale: why I decided this, in words you could follow if you read it "
    "when you are older.",
}
FOUR_P_PROMPTS = {
    "predisposing": "What made you and your family more vulnerable to begin with.",
    "precipitating": "What set off the present worries.",
    "perpetuating": "What keeps the worries going.",
    "protective": "What keeps you safe and helps things get better.",
}


def _helper(*fields, submit: str, button: str = "submit", **button_attrs) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    # Pages with two forms give each button its own name, so their ids differ.
    helper.layout = Layout(*fields, Button(button, submit, **button_attrs))
    return helper


class _DateField(DateInputField):
    """A day, month and year that names the field when they make no date (31 2 2026)."""

    def compress(self, data_list):
        given = [part for part in data_list if part not in self.empty_values]
        if given and len(given) < len(data_list):
            # An optional date half filled in is a mistake, not "no date".
            raise forms.ValidationError(self.error_messages["incomplete"], code="incomplete")
        try:
            return super().compress(data_list)
        except forms.ValidationError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def _date_field(label: str, *, required: bool, message: str = "", name: str = "") -> DateInputField:
    field = _DateField(label=label, help_text=DATE_HINT, required=required)
    name = name or label.lower()
    message = message or f"Enter the {name} as a day, month and year"
    field.error_messages.update(
        {
            "required": message,
            "incomplete": message,
            "invalid": f"Enter the {name} as a real date, for example 5 3 2026",
        }
    )
    return field


def _date(name: str) -> Field:
    return Field(name, context={"legend_size": Size.for_legend("s")})


def _text(label: str, help_text: str = "", rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def case_sessions(child, now: datetime):
    """The allocated worker's case supervision sessions of the last 30 days."""
    return (
        SupervisionSession.objects.filter(
            supervisee_id=child.allocated_worker_id,
            session_type__in=CASE_SESSION_TYPES,
            starts_at__gte=now - timedelta(days=SESSION_WINDOW_DAYS),
            starts_at__lte=now,
        )
        .exclude(
            status__in=[
                SupervisionSession.Status.CANCELLED,
                SupervisionSession.Status.DID_NOT_TAKE_PLACE,
            ]
        )
        .select_related("supervisor")
        .order_by("-starts_at")
    )


class NewNoteForm(PlainTextForm):
    kind = forms.ChoiceField(
        label="What is this note about?",
        help_text="The point in the child's journey where you are recording oversight.",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the point of oversight this note records",
            "invalid_choice": "Choose the point of oversight this note records",
        },
    )
    discussed_on = _date_field(
        "Date discussed",
        required=True,
        message="Enter the date it was discussed",
        name="date it was discussed",
    )
    discussed_time = forms.CharField(
        label="Time discussed",
        help_text="For example, 9:30am, 2:30pm or 14:30",
        error_messages={"required": "Enter the time it was discussed"},
    )
    session = forms.CharField(label="Supervision session (optional)", required=False)

    def __init__(self, *args, child, sessions, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.child = child
        self.now = now
        self.sessions = {str(s.pk): s for s in sessions}
        self.fields["kind"].choices = [
            Choice(value, label, hint=KIND_HINTS[value]) for value, label in CaseNote.Kind.choices
        ]
        worker = child.allocated_worker.full_name if child.allocated_worker else "the worker"
        self.fields[
            "session"
        ].help_text = (
            f"A case supervision with {worker} in the last 30 days, if this was discussed in one."
        )
        self.fields["session"].widget = forms.Select(
            choices=[("", "Not in a supervision session")]
            + [
                (
                    pk,
                    f"{s.get_session_type_display()}, "
                    f"{timezone.localtime(s.starts_at):%-d %B %Y} at {clock(s.starts_at)}",
                )
                for pk, s in self.sessions.items()
            ]
        )
        self.helper = _helper(
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            _date("discussed_on"),
            Field.text("discussed_time", field_width=Fixed.TEN),
            Field.select("session"),
            submit="Start the note",
        )

    def clean_discussed_time(self):
        text = self.cleaned_data["discussed_time"]
        at = parse_time(text)
        if at is None:
            raise forms.ValidationError("Enter the time as 9:30am, 2:30pm or 14:30")
        return at

    def clean_session(self):
        value = (self.cleaned_data.get("session") or "").strip()
        if not value:
            return None
        if value in self.sessions:
            return self.sessions[value]
        other = (
            SupervisionSession.objects.filter(pk=value).values("supervisee_id").first()
            if value.isdigit()
            else None
        )
        if other is None or other["supervisee_id"] != self.child.allocated_worker_id:
            raise forms.ValidationError(
                "Choose a session with the worker the child is allocated to"
            )
        raise forms.ValidationError(
            "Choose a case supervision session from the last 30 days, or none"
        )

    def clean(self):
        data = super().clean()
        day, at = data.get("discussed_on"), data.get("discussed_time")
        if day and at:
            moment = timezone.make_aware(datetime.combine(day, at))
            if moment > self.now:
                self.add_error("discussed_on", "Enter a date and time in the past")
            data["discussed_at"] = moment
        return data


class NoteForm(PlainTextForm):
    """The headings of one note. Nothing is required to save a draft: what a final note
    needs is checked when it is finalised (services.note_errors), field by field."""

    current_situation = _text("Current situation", rows=6)
    working_well = _text("What is working well", rows=5)
    worries = _text("Worries and risks", rows=6)
    decision = _text("Decision and direction", rows=6)
    reasons = _text("Reasons for the decision", rows=6)
    next_review_on = _date_field("Next review date", required=False, name="next review date")
    predisposing = _text("Predisposing factors", FOUR_P_PROMPTS["predisposing"], rows=3)
    precipitating = _text("Precipitating factors", FOUR_P_PROMPTS["precipitating"], rows=3)
    perpetuating = _text("Perpetuating factors", FOUR_P_PROMPTS["perpetuating"], rows=3)
    protective = _text("Protective factors", FOUR_P_PROMPTS["protective"], rows=3)
    neglect_home_conditions = forms.ChoiceField(
        label="Has an independent review of home conditions been considered?",
        required=False,
        widget=forms.RadioSelect,
    )
    neglect_chronology = forms.ChoiceField(
        label="Has a review of the chronology been considered?",
        required=False,
        widget=forms.RadioSelect,
    )
    neglect_written_agreements = forms.ChoiceField(
        label="Has a review of written agreements been considered?",
        required=False,
        widget=forms.RadioSelect,
    )
    neglect_comment = _text(
        "Comment on the neglect reviews (optional)",
        "What was arranged, or why it is not needed now.",
        rows=3,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, note: CaseNote, neglect: bool, **kwargs):
        super().__init__(*args, **kwargs)
        full = note.kind in FULL_KINDS
        for name in NEGLECT_FIELDS:
            self.fields[name].choices = CaseNote.NeglectAnswer.choices
        prompts = PROMPTS if full else OVERSIGHT_PROMPTS
        if full:
            self.fields["next_review_on"].help_text = (
                "When the child's case will next be discussed. " + DATE_HINT
            )
        else:
            for name in ("working_well", "worries"):
                del self.fields[name]
            self.fields["current_situation"].label = "Current situation (optional)"
            self.fields["decision"].label = "Decision"
            self.fields["reasons"].label = "Rationale for the decision"
            self.fields["next_review_on"].label = "Next review date (optional)"
        for name, prompt in prompts.items():
            self.fields[name].help_text = prompt
        group = note.group_session
        four_ps = group is not None and group.format == GroupSession.Format.CASE_FORMULATION
        if not four_ps:
            for name in FOUR_PS:
                del self.fields[name]
        if not neglect:
            for name in [*NEGLECT_FIELDS, "neglect_comment"]:
                del self.fields[name]

        layout = [Field.textarea(name, label_size="s") for name in self._headings()]
        layout.append(_date("next_review_on"))
        if four_ps:
            layout.append(
                Fieldset(
                    *(Field.textarea(name, label_size="s") for name in FOUR_PS),
                    legend="Case formulation: the four Ps",
                    legend_size=Size.MEDIUM,
                )
            )
        if neglect:
            layout.append(
                Fieldset(
                    *(
                        Field.radios(name, legend_size=Size.SMALL, small=True)
                        for name in NEGLECT_FIELDS
                    ),
                    Field.textarea("neglect_comment", label_size="s"),
                    legend="Chronic neglect: reviews to consider",
                    legend_size=Size.MEDIUM,
                )
            )
        layout.append("version")
        self.helper = _helper(*layout, submit="Save the note")

    def _headings(self) -> list[str]:
        order = ["current_situation", "working_well", "worries", "decision", "reasons"]
        return [name for name in order if name in self.fields]

    def note_fields(self) -> dict:
        """What goes to services.case_note_update."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class ActionForm(PlainTextForm):
    """One SMART action (R4): what, who and by when. Added one at a time."""

    description = forms.CharField(
        label="What will be done",
        help_text="Specific and measurable, so anyone reading it later can tell if it was done.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what will be done"},
    )
    owner = forms.ChoiceField(
        label="Who will do it",
        required=False,
        error_messages={"invalid_choice": "Choose who will do it from the list"},
    )
    owner_name = forms.CharField(
        label="Their name, if not on the list",
        help_text="Someone outside the organisation, such as a parent or a health visitor.",
        required=False,
        max_length=200,
    )
    due_on = _date_field("Date it will be done by", required=False, name="date it will be done by")

    def __init__(self, *args, staff, submit: str = "Add the action", formaction="", **kwargs):
        kwargs.setdefault("prefix", "action")
        super().__init__(*args, **kwargs)
        self.staff = {str(person.pk): person for person in staff}
        self.fields["owner"].choices = [
            ("", "Choose a person"),
            *[(pk, person.full_name) for pk, person in self.staff.items()],
            (OTHER_PERSON, "Someone else (enter their name below)"),
        ]
        self.helper = _helper(
            Field.textarea("description", label_size="s"),
            Field.select("owner"),
            Field.text("owner_name", field_width=Fluid.TWO_THIRDS),
            _date("due_on"),
            submit=submit,
            button="add_action",
            # The action's fields share the note's form, so adding an action saves the note's
            # text first instead of losing it.
            **({"formaction": formaction} if formaction else {}),
        )

    def clean(self):
        data = super().clean()
        owner = data.get("owner")
        data["owner"] = self.staff.get(owner) if owner and owner != OTHER_PERSON else None
        if owner == OTHER_PERSON and not (data.get("owner_name") or "").strip():
            self.add_error("owner_name", "Enter the name of the person who will do it")
        if data["owner"] is not None:
            # A member of staff is named by their account; a typed name is for others.
            data["owner_name"] = ""
        return data


class ActionStatusForm(PlainTextForm):
    status = forms.ChoiceField(
        label="Progress",
        choices=CaseNoteAction.Status.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether the action is open, done or no longer needed",
            "invalid_choice": "Choose whether the action is open, done or no longer needed",
        },
    )


PASSWORD_HELP = (
    "Enter your password again to sign. Your signature records your name, the time and a "
    "fingerprint of what you signed. Once final, the note cannot be changed."
)


class FinaliseForm(ProvesIdentity, PlainTextForm):
    password = forms.CharField(
        label="Your password",
        help_text=PASSWORD_HELP,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to sign"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("password"), submit="Sign and finalise the note")


class ExtractForm(PlainTextForm):
    format = forms.ChoiceField(
        label="Format",
        choices=[
            Choice("pdf", "PDF", hint="To attach to the child's file."),
            Choice("txt", "Plain text", hint="To paste into the case-management system."),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose PDF or plain text",
            "invalid_choice": "Choose PDF or plain text",
        },
    )
    start = _date_field("From (optional)", required=False, name="start date")
    end = _date_field("To (optional)", required=False, name="end date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("format", legend_size=Size.SMALL, small=True),
            _date("start"),
            _date("end"),
            submit="Download the notes",
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "Enter an end date on or after the start date")
        return data
