"""Everything on a member of staff's supervision file, in time order (rule S1).

Each source is one query, whatever the size of the file; a new kind of item adds a source.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone

from agreements.models import SupervisionAgreement
from supervision.models import (
    Action,
    DevelopmentConversation,
    PracticeObservation,
    ProbationReview,
    SupervisionSession,
    WellbeingPlan,
)


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


def _signed_status(item) -> tuple[str, str]:
    return (item.get_status_display(), "green" if item.signed_by_both_at else "blue")


@source("observation", "Practice observations")
def _observations(person):
    for observation in PracticeObservation.objects.filter(practitioner=person).select_related(
        "observer"
    ):
        status, colour = _signed_status(observation)
        yield FileItem(
            "observation",
            observation.observed_on,
            f"Practice observation by {observation.observer.full_name}",
            reverse("observation", args=[person.pk, observation.pk]),
            status,
            colour,
        )


@source("development", "Development plans and reviews")
def _development(person):
    for conversation in DevelopmentConversation.objects.filter(person=person):
        status, colour = _signed_status(conversation)
        yield FileItem(
            "development",
            conversation.held_on,
            f"{conversation.get_kind_display()} for {conversation.year}",
            reverse("development-conversation", args=[person.pk, conversation.pk]),
            status,
            colour,
        )


@source("probation", "Probation reviews")
def _probation(person):
    for review in ProbationReview.objects.filter(person=person):
        yield FileItem(
            "probation",
            review.held_on,
            f"Probation review, month {review.month}",
            reverse("person-probation", args=[person.pk]),
            review.get_outcome_display(),
            "blue",
        )


@source("wellbeing", "Wellbeing plans")
def _wellbeing(person):

    # Only that a plan was agreed: its content is personal and shown on its own page, to
    # those who may read it.
    for plan in WellbeingPlan.objects.filter(person=person).only("pk", "agreed_on", "review_on"):
        yield FileItem(
            "wellbeing",
            plan.agreed_on,
            "Wellbeing plan agreed",
            reverse("person-wellbeing", args=[person.pk]),
            f"Review by {plan.review_on:%-d %B %Y}",
            "grey",
        )
