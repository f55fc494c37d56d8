"""System administrators' pages for policy packs: which pack the
organisation runs, each pack's versions, one version's settings in words, and a new version
from an effective date. Writes go through `pack_services`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from access.refusals import refuse
from access.roles import role_required
from oversight.models import OrganisationPolicy, PolicyPackVersion
from oversight.policy import services as pack_services
from oversight.policy.packs import (
    JOB_ROLE_CATEGORIES,
    Interval,
    PolicyPack,
    RoleSchedule,
    load_pack,
)
from oversight.policy.standards import FORMAT_NAMES
from oversight.web.forms_packs import (
    RISK_LABELS,
    SERVICE_LABELS,
    SESSION_LABELS,
    PackChoiceForm,
    PackVersionForm,
)

CATEGORY_LABELS = {
    "practitioner": "Practitioners",
    "asye": "Newly qualified social workers (ASYE)",
    "student": "Students",
    "independent": "IROs, CP chairs and LADOs",
    "manager": "Managers",
    "senior_manager": "Senior managers",
    "support": "Business support and administration",
}


def _in_force_today(rows: list[PolicyPackVersion], today) -> PolicyPackVersion | None:
    started = [row for row in rows if row.effective_from <= today]
    return max(started, key=lambda r: (r.effective_from, r.version), default=None)


@dataclass
class PackSummary:
    code: str
    name: str
    versions: list[PolicyPackVersion] = field(default_factory=list)
    in_force: PolicyPackVersion | None = None

    def status_of(self, row: PolicyPackVersion, today) -> str:
        if row == self.in_force:
            return "in_force"
        return "scheduled" if row.effective_from > today else "earlier"


@role_required("system_admin")
def policy_packs(request):
    today = timezone.localdate()
    rows = list(PolicyPackVersion.objects.select_related("created_by").order_by("code", "-version"))
    packs: dict[str, PackSummary] = {}
    for row in rows:
        summary = packs.setdefault(row.code, PackSummary(row.code, row.name))
        summary.versions.append(row)
    for summary in packs.values():
        summary.in_force = _in_force_today(summary.versions, today)
        # The name of the version in force, or the first, is what people know the pack by.
        summary.name = (summary.in_force or summary.versions[-1]).name
    policy = OrganisationPolicy.current(today)
    current = policy.pack_code if policy else ""
    choices = [
        (
            summary.code,
            summary.name,
            f"{len(summary.versions)} version{'s' if len(summary.versions) != 1 else ''}"
            + (
                f"; version {summary.in_force.version} in force today"
                if summary.in_force
                else "; none in force yet"
            ),
        )
        for summary in sorted(packs.values(), key=lambda s: s.name)
    ]
    form = PackChoiceForm(
        request.POST if request.method == "POST" else None,
        packs=choices,
        initial={"pack_code": current},
        today=today,
    )
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["pack_code"]
        day = form.cleaned_data["effective_from"]
        if code == current and day in (None, today):
            messages.success(request, f"The organisation already runs {packs[code].name}")
            return redirect("policy-packs")
        if not form.past_confirmed():
            form.ask_to_confirm_past()
        else:
            chosen = _choose(request, form, code, day)
            if chosen:
                since = "" if day in (None, today) else f" from {day:%-d %B %Y}"
                messages.success(request, f"The organisation now runs {packs[code].name}{since}")
                return redirect("policy-packs")
    ordered = sorted(packs.values(), key=lambda s: (s.code != current, s.name))
    return render(
        request,
        "oversight/packs/packs.html",
        {
            "form": form,
            "past": _past_warning(form, packs) if form.asked_past else None,
            "current": packs.get(current),
            "packs": [
                {
                    "summary": summary,
                    "rows": [(row, summary.status_of(row, today)) for row in summary.versions],
                }
                for summary in ordered
            ],
        },
    )


def _choose(request, form, code: str, day) -> bool:
    try:
        pack_services.organisation_pack_choose(
            code, request.user, effective_from=day, request=request
        )
    except ValidationError as error:
        for field_name, problems in error.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, problems)
        return False
    return True


def _past_warning(form, packs: dict) -> dict:
    """What choosing a pack from a past day does, for the warning above the box to tick."""
    day = form.cleaned_data["effective_from"]
    replaced = [
        (packs[p.pack_code].name if p.pack_code in packs else p.pack_code, p.effective_from)
        for p in OrganisationPolicy.objects.filter(effective_from__gte=day).order_by(
            "effective_from"
        )
    ]
    return {
        "day": day,
        "name": packs[form.cleaned_data["pack_code"]].name,
        "replaced": replaced,
    }


# One version, in words


def _every(interval: Interval | None) -> str:
    return interval.describe() if interval else "no cycle"


def describe_schedule(category: str, schedule: RoleSchedule) -> list[str]:
    """ "Every week until 6 weeks after the ASYE start date", "then every 2 weeks ..."."""
    anchor = "the ASYE start date" if category == "asye" else "the start date"
    lines = []
    for index, phase in enumerate(schedule.phases):
        text = phase.interval.describe()
        if phase.until_weeks is not None:
            text += f" until {phase.until_weeks} weeks after {anchor}"
        elif phase.until_months is not None:
            months = "month" if phase.until_months == 1 else "months"
            text += f" until {phase.until_months} {months} after {anchor}"
        elif phase.until_agreed:
            text += " until a date agreed for the person"
        if index:
            text = f"then {text}"
        lines.append(text[0].upper() + text[1:])
    return lines


def _days(number: int | None, unit: str = "days") -> str:
    if number is None:
        return "Not a rule of this pack"
    return f"{number} {unit[:-1] if number == 1 else unit}"


def _for_whom(categories) -> str:
    return "For " + ", ".join(CATEGORY_LABELS[c].lower() for c in categories)


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def pack_sections(pack: PolicyPack) -> tuple[list[dict], list[tuple[str, str]]]:
    """The settings of a pack as summary-list sections, each row with the note that explains
    it; and the notes no row shows."""
    notes = dict(pack.notes)
    shown: set[str] = set()

    def row(label: str, value, *paths: str) -> dict:
        """`paths`: the setting shown, then any whose note also explains it."""
        lines = value if isinstance(value, list) else [value]
        keys = [
            key
            for path in paths
            for key in notes
            if (key == path or key.startswith(f"{path}.")) and key not in shown
        ]
        shown.update(keys)
        return {"label": label, "lines": lines, "notes": [notes[key] for key in keys]}

    about = [
        row("Applies from", f"{pack.effective_from:%-d %B %Y}", "effective_from"),
        row("Written from", pack.source or "Not given", "source"),
    ]
    staff = _staff_rows(pack, row=row)
    records = _record_and_agreement_rows(pack, row=row)
    cover = [
        row(
            "Cancelled session held again within",
            _days(pack.cancellation_reschedule_days),
            "cancellation_reschedule_days",
        ),
        row(
            "Cover needed after the supervisor is away for",
            _days(pack.cover_after_days),
            "cover_after_days",
        ),
    ]
    children = _children_rows(pack, row=row)
    development = _development_rows(pack, row=row)
    sections = [
        {"title": "This version", "rows": about},
        {"title": "How often staff are supervised", "rows": staff},
        {"title": "Records and agreements", "rows": records},
        {"title": "Cancellations and cover", "rows": cover},
        {"title": "Children's cases", "rows": children},
        {"title": "Observations, development and probation", "rows": development},
    ]
    others = [(key, text) for key, text in notes.items() if key not in shown]
    return sections, others


# Each section's rows are made in the order they are shown: a note goes with the first row
# that explains it.
_Row = Callable[..., dict]


def _staff_rows(pack: PolicyPack, *, row: _Row) -> list[dict]:
    staff = [
        row(
            CATEGORY_LABELS[category],
            describe_schedule(category, pack.intervals[category]),
            f"intervals.{category}",
        )
        for category in JOB_ROLE_CATEGORIES
        if category in pack.intervals
    ]
    staff += [
        row(
            "How monthly is counted",
            "Rolling: no more than a calendar month between sessions"
            if pack.monthly_counting == "rolling"
            else "Calendar: at least one session in each calendar month",
            "monthly_counting",
        ),
        row(
            "Sessions that count as formal supervision",
            [SESSION_LABELS.get(kind, kind) for kind in pack.formal_session_types],
            "formal_session_types",
        ),
        row("Shown as due soon", f"{_days(pack.due_soon_days)} before", "due_soon_days"),
        row(
            "People reminded before",
            [
                f"{what}: {_reminded(pack.reminder_working_days[kind])}"
                for kind, what in REMINDER_LABELS.items()
            ],
            "reminder_working_days",
        ),
    ]
    support = pack.support_time
    staff.append(
        row(
            "Supervision time each calendar month",
            [
                f"At least {support.minutes_per_month} minutes",
                _for_whom(support.categories),
            ]
            if support
            else "No minimum",
            "support_time",
        )
    )
    staff.append(
        row(
            "Longest session",
            [
                f"{CATEGORY_LABELS[category]}: {minutes} minutes"
                for category, minutes in pack.session_max_minutes.items()
            ]
            if pack.session_max_minutes
            else "No limit",
            "session_max_minutes",
        )
    )
    staff.append(
        row(
            "Supervision dates agreed ahead",
            f"At least {pack.planned_ahead_months} months"
            if pack.planned_ahead_months
            else "No rule",
            "planned_ahead_months",
        )
    )
    return staff


REMINDER_LABELS = {
    "session": "A session falls due",
    "record": "A record is to be written up",
    "signoff": "A record is to be signed off",
}


def _reminded(days: int) -> str:
    return f"{_days(days, 'working days')} before" if days else "No reminder"


def _record_and_agreement_rows(pack: PolicyPack, *, row: _Row) -> list[dict]:
    agreement = pack.agreement
    return [
        row(
            "Record written up within",
            _days(pack.record_working_days, "working days"),
            "record_working_days",
        ),
        row(
            "Record signed off within",
            f"{_days(pack.signoff_working_days, 'working days')} of being shared",
            "signoff_working_days",
        ),
        row(
            "Agreement drawn up within",
            f"{_days(agreement.draw_up_days)} of the supervision starting"
            + (", or at the first session if sooner" if agreement.at_first_session else ""),
            "agreement.draw_up_days",
            "agreement.at_first_session",
        ),
        row(
            "Agreement reviewed every",
            _days(agreement.review_months, "months"),
            "agreement.review_months",
        ),
        row(
            "Agreements may set less frequent supervision",
            f"Yes, down to {agreement.floor.describe()}"
            if agreement.less_frequent_allowed and agreement.floor
            else "No: more frequent only",
            "agreement.less_frequent_allowed",
            "agreement.floor",
        ),
    ]


def _children_rows(pack: PolicyPack, *, row: _Row) -> list[dict]:
    cases = pack.cases
    children = [
        row(
            f"{SERVICE_LABELS[service]}: each child discussed",
            _every(cases.review.get(service)),
            f"cases.review.{service}",
            "cases.review",
        )
        for service in SERVICE_LABELS
    ]
    for service, cycle in cases.risk_review.items():
        children.append(
            row(
                f"{SERVICE_LABELS.get(service, service)}: by risk level",
                [
                    f"{RISK_LABELS.get(level, level)}: every {_days(days)}"
                    for level, days in cycle.levels.items()
                ]
                + [f"Not yet rated: treated as {RISK_LABELS.get(cycle.unrated, cycle.unrated)}"],
                f"cases.risk_review.{service}",
                "cases.risk_review",
            )
        )
    if not cases.risk_review:
        children.append(row("By risk level", "No risk-graded cycle", "cases.risk_review"))
    children += [
        row(
            "New allocation discussed within",
            _days(cases.allocation_hours, "hours"),
            "cases.allocation_hours",
        ),
        row(
            "Discussed in supervision before closure",
            _yes(cases.closure_rule),
            "cases.closure_rule",
        ),
        row(
            "Each child in group supervision",
            _every(cases.group) if cases.group else "No group cycle",
            "cases.group",
        ),
        row(
            "Group discussion counts as case supervision",
            _yes(cases.group_counts_as_case_supervision),
            "cases.group_counts_as_case_supervision",
        ),
        row(
            "Transfer discussed",
            f"{cases.transfer_window_weeks[0]} to {cases.transfer_window_weeks[1]} weeks "
            "before the transfer",
            "cases.transfer_window_weeks",
        ),
        row(
            "Each team's group supervision",
            [
                f"{FORMAT_NAMES.get(name, name)}: {interval.describe()}"
                for name, interval in pack.group_formats.items()
            ]
            if pack.group_formats
            else "No team cycle",
            "group_formats",
        ),
        row(
            "Case notes kept",
            [
                f"Until the child's birthday at {kept.until_age}",
                f"{kept.in_care_years} years from birth for a child who has been looked after",
            ]
            if (kept := pack.case_note_retention)
            else "Not a rule of this pack",
            "case_note_retention",
        ),
    ]
    return children


def _development_rows(pack: PolicyPack, *, row: _Row) -> list[dict]:
    def schedule(value):
        if value is None:
            return "None"
        return [
            f"{value.per_year} a year ({value.interval.describe()})",
            _for_whom(value.categories),
        ]

    return [
        row("Practice observations", schedule(pack.observations), "observations"),
        row(
            "Development conversations",
            schedule(pack.development_conversations),
            "development_conversations",
        ),
        row(
            "Probation reviews",
            ", ".join(f"month {m}" for m in pack.probation_review_months) or "None",
            "probation_review_months",
        ),
        row(
            "Wellbeing plan",
            [
                f"Within {_days(pack.wellbeing_plan.within_days)} of starting, then by its "
                "review date",
                _for_whom(pack.wellbeing_plan.categories),
            ]
            if pack.wellbeing_plan
            else "None",
            "wellbeing_plan",
        ),
    ]


def _version_row(request, code: str, version: int) -> PolicyPackVersion:
    row = (
        PolicyPackVersion.objects.select_related("created_by")
        .filter(code=code, version=version)
        .first()
    )
    if row is None:
        refuse(request, "policy_pack", f"{code} {version}", message="No such policy pack version")
    return row


@role_required("system_admin")
def policy_pack_version(request, code, version):
    row = _version_row(request, code, version)
    pack = load_pack(row.data)
    sections, other_notes = pack_sections(pack)
    return render(
        request,
        "oversight/packs/version.html",
        {"row": row, "pack": pack, "sections": sections, "other_notes": other_notes},
    )


@role_required("system_admin")
def policy_pack_edit(request, code):
    latest = PolicyPackVersion.objects.filter(code=code).order_by("-version").first()
    if latest is None:
        refuse(request, "policy_pack", code, message="No such policy pack")
    form = PackVersionForm(
        request.POST if request.method == "POST" else None,
        base=latest.data,
        today=timezone.localdate(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            row = pack_services.pack_version_create(
                code,
                form.pack_data(),
                form.cleaned_data["effective_from"],
                request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            form.add_pack_errors(error)
        else:
            messages.success(
                request,
                f"Version {row.version} saved. It applies from {row.effective_from:%-d %B %Y}",
            )
            return redirect("policy-pack-version", row.code, row.version)
    return render(
        request,
        "oversight/packs/edit.html",
        {"form": form, "latest": latest},
    )
