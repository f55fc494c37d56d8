"""The small organisation the flag job's tests build (one team, its manager, people and children
added as each test needs them), and the clock helpers they share."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from agreements import services as agreements
from casework import services as casework
from oversight.flags import scheduled
from oversight.flags.scheduled import tick
from oversight.models import Flag
from oversight.policy import due
from supervision.models import StaffProfile, SupervisionSession, Unit, User
from tests.conftest import SUPERVISEE_PASSWORD
from tests.factories import JobRoleFactory, RelationshipFactory, StaffProfileFactory, UnitFactory

LONDON = ZoneInfo("Europe/London")


def local(year, month, day, hour=0, minute=0, second=0, micro=0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=LONDON)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def ticked(moment: datetime) -> scheduled.TickResult:
    with at(moment):
        return tick(moment)


# --- A small organisation --------------------------------------------------------------------


@dataclass
class Org:
    """One team with its manager; people and children are added as each test needs them."""

    team: Unit
    other_team: Unit
    manager: User
    people: dict = field(default_factory=dict)

    def person(
        self, key, start: date, category="practitioner", supervisor=None, unit=None, **extra
    ) -> User:
        role = JobRoleFactory(code=category, name=category.title(), category=category)
        profile = StaffProfileFactory(
            user__email=f"{key}@example.org",
            user__full_name=key.title(),
            unit=unit or self.team,
            job_role=role,
            start_date=start,
            **extra,
        )
        RelationshipFactory(
            supervisor=supervisor or self.manager, supervisee=profile.user, starts_on=start
        )
        self.people[key] = profile.user
        return profile.user

    def held(self, person, starts: datetime, kind="individual", by=None) -> SupervisionSession:
        return SupervisionSession.objects.create(
            supervisee=person,
            supervisor=by or self.manager,
            session_type=kind,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            created_by=self.manager,
            status=SupervisionSession.Status.HELD,
        )

    def planned(self, person, starts: datetime) -> SupervisionSession:
        return SupervisionSession.objects.create(
            supervisee=person,
            supervisor=self.manager,
            session_type="individual",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            created_by=self.manager,
        )

    def child(self, reference, worker, allocated: datetime, service="social_work", **extra):
        return casework.child_create(
            reference=reference,
            initials="AB",
            service=service,
            plan="assessment",
            unit=extra.pop("unit", self.team),
            worker=worker,
            allocated_at=allocated,
            by=self.manager,
            **extra,
        )

    def discuss(self, child, when: datetime, final=True, kind="case_supervision"):
        note = casework.case_note_create(
            child=child,
            kind=kind,
            by=self.manager,
            discussed_at=when,
            current_situation="You are settled at school.",
            worries="None today.",
            decision="Carry on with the plan.",
            reasons="It is working for you.",
            next_review_on=due.local_date(when) + timedelta(days=30),
        )
        if final:
            casework.case_note_finalise(note=note, password=SUPERVISEE_PASSWORD, by=self.manager)
        return note

    def agree(self, person, frequency=1, unit="months", starts_on=None, review_due_on=None):
        relationship = person.supervised_by.get(ends_on__isnull=True, kind="line")
        agreement = agreements.agreement_draft(
            relationship=relationship,
            by=relationship.supervisor,
            frequency_value=frequency,
            frequency_unit=unit,
            **({"starts_on": starts_on} if starts_on else {}),
            **({"review_due_on": review_due_on} if review_due_on else {}),
        )
        agreements.agreement_sign(agreement=agreement, password=SUPERVISEE_PASSWORD, by=person)
        return agreements.agreement_sign(
            agreement=agreement, password=SUPERVISEE_PASSWORD, by=relationship.supervisor
        )


def build_org() -> Org:
    directorate = UnitFactory(name="Directorate", code="dir", kind=Unit.Kind.DIRECTORATE)
    team = UnitFactory(name="Team A", code="team-a", parent=directorate)
    other_team = UnitFactory(name="Team B", code="team-b", parent=directorate)
    manager = StaffProfileFactory(
        user__email="manager@example.org",
        user__full_name="Manager",
        unit=team,
        job_role=JobRoleFactory(code="manager", name="Manager", category="manager"),
        start_date=date(2024, 1, 8),
    ).user
    return Org(team=team, other_team=other_team, manager=manager)


def flags_of(person=None, child=None, kind=None):
    query = Flag.objects.order_by("pk")
    if child is not None:
        query = query.filter(child=child)
    elif person is not None:
        query = query.filter(person=person, child__isnull=True)
    if kind is not None:
        query = query.filter(kind=kind)
    return list(query)


def profile_of(person) -> StaffProfile:
    return StaffProfile.objects.get(user=person)
