"""Everything on a member of staff's supervision file, in time order (DOMAIN S1).

Each source is one query, whatever the size of the file; a new kind of item adds a source.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class FileItem:
    kind: str
    when: date
    title: str
    url: str
    status: str = ""
    status_colour: str = "grey"
    note: str = ""


KINDS: dict[str, str] = {}
SOURCES: list[tuple[str, Callable]] = []


def source(kind: str, label: str):
    def register(function):
        KINDS[kind] = label
        SOURCES.append((kind, function))
        return function

    return register


def _day(value) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


@source("agreement", "Agreements")
def _agreements(person):
    from agreements.models import SupervisionAgreement

    colours = {"active": "green", "draft": "grey", "superseded": "blue"}
    for agreement in SupervisionAgreement.objects.filter(
        relationship__supervisee=person
    ).select_related("relationship__supervisor"):
        yield FileItem(
            "agreement",
            agreement.starts_on,
            f"Supervision agreement with {agreement.relationship.supervisor.full_name}, "
            f"version {agreement.version}",
            reverse("agreement", args=[agreement.pk]),
            agreement.get_status_display(),
            colours[agreement.status],
        )


@source("session", "Sessions and records")
def _sessions(person):
    from .models import SupervisionSession

    for session in SupervisionSession.objects.filter(supervisee=person).select_related(
        "supervisor", "record"
    ):
        record = getattr(session, "record", None)
        if record is not None:
            status, colour = (
                f"Record: {record.get_status_display()}",
                ("green" if record.status == "finalised" else "blue"),
            )
            url = reverse("record", args=[session.pk])
        else:
            status = session.get_status_display()
            colour = {"planned": "blue", "held": "yellow"}.get(session.status, "grey")
            url = reverse("session", args=[session.pk])
        yield FileItem(
            "session",
            _day(session.starts_at),
            f"{session.get_session_type_display()} with {session.supervisor.full_name}",
            url,
            status,
            colour,
            session.cancellation_reason if session.status == "cancelled" else "",
        )


@source("action", "Actions")
def _actions(person):
    from .models import Action

    today = timezone.localdate()
    for action in Action.objects.filter(supervisee=person).select_related("record"):
        overdue = action.status == "open" and action.due_date < today
        yield FileItem(
            "action",
            action.due_date,
            action.description,
            reverse("record", args=[action.record.session_id]),
            "Overdue" if overdue else action.get_status_display(),
            "red" if overdue else {"done": "green", "open": "blue"}.get(action.status, "grey"),
        )


def file_items(person, *, kinds: set[str] | None = None, year: int | None = None):
    items = []
    for kind, function in SOURCES:
        if kinds and kind not in kinds:
            continue
        items.extend(item for item in function(person) if year is None or item.when.year == year)
    return sorted(items, key=lambda item: item.when, reverse=True)
