"""The items behind a figure: the same filters as the counts, listed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.db.models import (
    Exists,
    OuterRef,
    Q,
)

from oversight.flags.selectors import with_links
from oversight.models import Flag, FlagKind
from oversight.reports.dashboard.measures import (
    FUNCTION_KEYS,
    FUNCTIONS_ANSWERED,
    FUNCTIONS_RECORDED,
    REFLECTION,
    REFLECTION_KEYS,
    WELLBEING,
    WELLBEING_KEYS,
)
from oversight.reports.dashboard.scope import (
    Scope,
    flags_with_unit,
    held,
    in_post,
)
from oversight.reports.dashboard.shapes import listed
from supervision.models import (
    RecordSection,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    TemplateSection,
)


def finalised_records():
    """Finalised records with whether their template asks for reflection and wellbeing, and
    whether those sections were completed: the sections `_sections` counts."""

    sections = _sections()

    def done(ids):
        return Exists(
            RecordSection.objects.filter(
                record=OuterRef("pk"),
                template_section_id__in=ids,
                progress=RecordSection.Progress.COMPLETED,
            )
        )

    return SupervisionRecord.objects.filter(
        status=SupervisionRecord.Status.FINALISED, finalised_at__isnull=False
    ).annotate(
        asks_reflection=Q(template_id__in=sections.asks_reflection),
        reflection_done=done(sections.reflection),
        asks_wellbeing=Q(template_id__in=sections.asks_wellbeing),
        wellbeing_done=done(sections.wellbeing),
    )


def cancelled_sessions():
    return SupervisionSession.objects.filter(
        status=SupervisionSession.Status.CANCELLED, cancelled_at__isnull=False
    )


@dataclass(frozen=True)
class _Sections:
    """The template sections that count as reflection or wellbeing, and their templates: read
    once, so the counts need no subquery per record."""

    reflection: tuple
    wellbeing: tuple
    asks_reflection: tuple
    asks_wellbeing: tuple


def _sections() -> _Sections:
    """One section of each kind per template at most (its first), so a record has at most one
    completed section of each kind and records can be counted by counting sections."""

    found = defaultdict(list)
    seen = set()
    rows = TemplateSection.objects.filter(key__in=REFLECTION_KEYS + WELLBEING_KEYS)
    for pk, template, key in rows.order_by("template_id", "position").values_list(
        "pk", "template_id", "key"
    ):
        kind = "reflection" if key in REFLECTION_KEYS else "wellbeing"
        if (template, kind) in seen:
            continue
        seen.add((template, kind))
        found[kind].append(pk)
        found[f"asks_{kind}"].append(template)
    # An empty IN () is no SQL at all; no row has id 0.
    return _Sections(**{k: tuple(found[k]) or (0,) for k in _Sections.__dataclass_fields__})


# --- The items behind a figure ------------------------------------------------------------------


def flag_items(scope: Scope, at: datetime, kind: str):
    """The flags counted in a flag figure: the same filter as the count."""
    return (
        scope.flags(flags_with_unit())
        .filter(held(at), kind=kind)
        .select_related("person", "child")
        .order_by("overdue_since", "pk")
    )


def flags_held_for(scope: Scope, at: datetime):
    """Every flag counted for the scope at `at`, of any kind."""
    return (
        scope.flags(flags_with_unit())
        .filter(held(at))
        .select_related("person", "child")
        .order_by("kind", "overdue_since", "pk")
    )


def listed_flags(scope: Scope, at: datetime, today: date, kind: str | None = None) -> list[Flag]:
    """The flags of `flag_items` (of a kind) or `flags_held_for` (without), with their links as
    on `today` (`with_links`), compiled once for each kind of list (`shapes.listed`)."""
    build = partial(_linked, kind)
    return listed(("flags", kind), build, scope, at, today)


def _linked(kind: str | None, scope: Scope, at: datetime, today: date):
    flags = flags_held_for(scope, at) if kind is None else flag_items(scope, at, kind)
    return with_links(flags, today)


def staff_items(scope: Scope, at: datetime, *, on_time: bool | None = None):
    profiles = (
        scope.profiles(StaffProfile.objects.all())
        .filter(in_post(at))
        .select_related("user", "unit", "job_role")
        .order_by("user__full_name", "pk")
    )
    if on_time is None:
        return profiles
    overdue = Flag.objects.filter(
        held(at), person=OuterRef("user_id"), kind=FlagKind.SESSION_OVERDUE, child__isnull=True
    )
    return profiles.exclude(Exists(overdue)) if on_time else profiles.filter(Exists(overdue))


def record_items(scope: Scope, start: datetime, at: datetime, measure: str):
    records = (
        finalised_records()
        .filter(scope.supervisee_q("session__supervisee"))
        .filter(finalised_at__gt=start, finalised_at__lte=at)
        .select_related("session__supervisee", "session__supervisor")
        .order_by("-finalised_at", "pk")
    )
    if measure == REFLECTION:
        return records.filter(asks_reflection=True, reflection_done=True)
    if measure == WELLBEING:
        return records.filter(asks_wellbeing=True, wellbeing_done=True)
    if measure == FUNCTIONS_RECORDED:
        return records.filter(FUNCTIONS_ANSWERED)
    if measure in FUNCTION_KEYS:
        return records.filter(**{measure: True})
    return records


def cancellation_items(scope: Scope, start: datetime, at: datetime):
    again = SupervisionSession.objects.filter(replaces=OuterRef("pk"))
    return (
        cancelled_sessions()
        .annotate(was_rescheduled=Exists(again))
        .filter(scope.supervisee_q("supervisee"))
        .filter(cancelled_at__gt=start, cancelled_at__lte=at)
        .select_related("supervisee", "supervisor")
        .order_by("-cancelled_at", "pk")
    )
