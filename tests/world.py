"""A small organisation with one person in each position the permission rules distinguish."""

import contextlib
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Group

from supervision.accounts.policy import two_factor_required
from supervision.models import Unit, User
from supervision.organisation.roles import AUDITOR_GROUP
from supervision.people.services import access_grant_create
from tests.factories import (
    JobRoleFactory,
    RelationshipFactory,
    StaffProfileFactory,
    UnitFactory,
    UserFactory,
)
from tests.two_factor import give_second_factor

TODAY = date(2026, 3, 5)

ROLES = [
    "anonymous",
    "supervisee",
    "other_supervisee",
    "supervisor",
    "other_team_supervisor",
    "senior_manager",
    "other_senior_manager",
    "auditor_with_grant",
    "auditor_without_grant",
    "admin",
]


@dataclass
class World:
    people: dict[str, User]
    units: dict[str, Unit]
    session: object = None
    relationship: object = None
    agreement: object = None
    export: object = None
    observation: object = None
    development_conversation: object = None
    candidate: object = None
    hold: object = None
    case_notes_due: object = None
    case_note_hold: object = None
    record: object = None
    action: object = None
    disagreement: object = None
    child: object = None
    other_child: object = None
    case_note: object = None
    group_session: object = None
    front_door: object = None

    def __getattr__(self, name):
        # Only called for names not set: while a copy is being made `people` is one of them.
        if name == "people" or name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world(*, development: bool = False, retention: bool = False) -> World:
    people: dict[str, User] = {}
    directorate = UnitFactory(name="Directorate", kind=Unit.Kind.DIRECTORATE)
    service = UnitFactory(name="Service A", kind=Unit.Kind.SERVICE, parent=directorate)
    other_service = UnitFactory(name="Service B", kind=Unit.Kind.SERVICE, parent=directorate)
    team = UnitFactory(name="Team A", parent=service)
    other_team = UnitFactory(name="Team B", parent=other_service)
    practitioner = JobRoleFactory()
    manager = JobRoleFactory(code="practice-manager", name="Practice Manager", category="manager")
    senior = JobRoleFactory(
        code="head-of-service", name="Head of Service", category="senior_manager"
    )
    qa = JobRoleFactory(code="qa-officer", name="QA Officer", category="support")

    def person(key, unit, role, **extra):
        profile = StaffProfileFactory(
            user__email=f"{key.replace('_', '.')}@example.org",
            user__full_name=key.replace("_", " ").title(),
            unit=unit,
            job_role=role,
            **extra,
        )
        people[key] = profile.user
        return profile.user

    person("senior_manager", service, senior)
    person("other_senior_manager", other_service, senior)
    person("supervisor", team, manager)
    person("other_team_supervisor", other_team, manager)
    person("supervisee", team, practitioner)
    person("other_supervisee", other_team, practitioner)
    person("auditor_with_grant", directorate, qa)
    person("auditor_without_grant", directorate, qa)
    people["admin"] = UserFactory(
        email="admin@example.org", full_name="Admin", is_staff=True, is_superuser=True
    )

    service.manager = people["senior_manager"]
    service.save()
    other_service.manager = people["other_senior_manager"]
    other_service.save()

    relationship = RelationshipFactory(
        supervisor=people["supervisor"], supervisee=people["supervisee"]
    )
    RelationshipFactory(
        supervisor=people["other_team_supervisor"], supervisee=people["other_supervisee"]
    )
    RelationshipFactory(supervisor=people["senior_manager"], supervisee=people["supervisor"])
    RelationshipFactory(
        supervisor=people["other_senior_manager"], supervisee=people["other_team_supervisor"]
    )

    auditors = Group.objects.create(name=AUDITOR_GROUP)
    auditors.user_set.add(people["auditor_with_grant"], people["auditor_without_grant"])
    access_grant_create(
        grantee=people["auditor_with_grant"],
        subject=people["supervisee"],
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        reason="Sample audit",
        granted_by=people["senior_manager"],
    )
    units = {"directorate": directorate, "service": service, "team": team}
    from agreements.services import agreement_draft

    agreement = agreement_draft(
        relationship=relationship,
        by=people["supervisor"],
        frequency_value=4,
        frequency_unit="weeks",
        starts_on=date(2026, 3, 1),
        review_due_on=date(2027, 3, 1),
    )
    _second_factors(people)
    return World(
        people=people,
        units=units,
        relationship=relationship,
        agreement=agreement,
        **_draft_record(people),
        **_casework(people, team, other_team),
        **(_retention(people) if retention else {}),
        **(_development(people) if development else {}),
    )


# The authenticator app of everyone the organisation makes use one (by default
# administrators, auditors, senior managers and information governance officers), so the
# world runs with two-factor authentication on, as an organisation would.
def _second_factors(people) -> None:
    for person in people.values():
        if two_factor_required(User.objects.get(pk=person.pk)):
            give_second_factor(person)


def _development(people) -> dict:
    """Probation on the supervisee's profile, an observation and a development plan."""
    from supervision.development import services as development_services
    from supervision.models import StaffProfile

    StaffProfile.objects.filter(user=people["supervisee"]).update(
        probation_end_date=date(2024, 7, 8)
    )
    people["supervisee"].profile.refresh_from_db()
    observation = development_services.observation_record(
        practitioner=people["supervisee"],
        by=people["supervisor"],
        observer_role="Line manager",
        observed_on=date(2026, 3, 3),
        venue="Family home",
        permission_gained=True,
    )
    conversation = development_services.conversation_record(
        person=people["supervisee"],
        kind="plan",
        year=2026,
        held_on=date(2026, 3, 4),
        goals="Court skills course",
        by=people["supervisor"],
    )
    return {"observation": observation, "development_conversation": conversation}


def _retention(people) -> dict:
    """A finished subject-access export, a file listed for destruction, and a legal hold; a
    child's case notes listed for destruction and a hold on another child's."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from oversight.models import (
        DestructionBatch,
        DestructionCandidate,
        LegalHold,
        SubjectAccessExport,
    )

    now = timezone.now()
    export = SubjectAccessExport(
        person=people["supervisee"],
        requested_by=people["supervisee"],
        requested_at=now,
        status="done",
        progress=100,
    )
    export.file.save("world.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=False)
    export.save()
    batch = DestructionBatch.objects.create(listed_at=now, listed_for=TODAY)
    candidate = DestructionCandidate.objects.create(
        batch=batch,
        person=people["other_supervisee"],
        leaving_date=date(2018, 3, 2),
        due_on=date(2025, 3, 2),
        listed_at=now,
    )
    hold = LegalHold.objects.create(
        person=people["other_supervisee"],
        reason="Tribunal",
        placed_by=people["admin"],
        placed_at=now,
    )
    # A child's case notes listed for destruction, and a hold on another child's.
    from casework.models import Child
    from oversight.models import CaseNoteHold, CaseNotesDue

    case_notes_due = CaseNotesDue.objects.create(
        child=Child.objects.get(reference="NS100001"),
        date_of_birth=date(2000, 3, 1),
        been_looked_after=False,
        due_on=date(2025, 3, 1),
        listed_for=TODAY,
        listed_at=now,
    )
    case_note_hold = CaseNoteHold.objects.create(
        child=Child.objects.get(reference="NS200002"),
        reason="Review",
        placed_by=people["admin"],
        placed_at=now,
    )
    return {
        "export": export,
        "candidate": candidate,
        "hold": hold,
        "case_notes_due": case_notes_due,
        "case_note_hold": case_note_hold,
    }


def _draft_record(people) -> dict:
    """A session held yesterday with its draft record, an action and a disagreement."""
    from datetime import UTC, datetime

    from supervision.models import SupervisionSession
    from supervision.records import services as record_services

    session = SupervisionSession.objects.create(
        supervisee=people["supervisee"],
        supervisor=people["supervisor"],
        session_type="individual",
        starts_at=datetime(2026, 3, 4, 10, tzinfo=UTC),
        ends_at=datetime(2026, 3, 4, 11, tzinfo=UTC),
        created_by=people["supervisor"],
        status=SupervisionSession.Status.HELD,
    )
    record = record_services.record_start(session=session, by=people["supervisor"])
    action = record_services.action_add(
        record=record,
        description="Read the neglect guidance",
        owner="supervisee",
        owner_name="",
        due_date=date(2026, 3, 20),
        by=people["supervisor"],
    )
    disagreement = record_services.disagreement_add(
        record=record, subject="Caseload", view="Too high", by=people["supervisee"]
    )
    return {"session": session, "record": record, "action": action, "disagreement": disagreement}


def _casework(people, team, other_team) -> dict:
    """A child on the supervisee's caseload with a draft case note, a child in Team B, a case
    progression group session in Team A and a front-door session with two families."""
    from datetime import UTC, datetime

    from casework import services as casework_services
    from casework.models import FrontDoorDiscussion, FrontDoorSession, GroupSession

    allocated = datetime(2026, 2, 2, 9, tzinfo=UTC)
    child = casework_services.child_create(
        reference="NS100001",
        initials="AB",
        service="social_work",
        plan="child_in_need",
        unit=team,
        worker=people["supervisee"],
        allocated_at=allocated,
        rag_rating="amber",
        by=people["supervisor"],
    )
    other_child = casework_services.child_create(
        reference="NS200002",
        initials="CD",
        service="social_work",
        plan="child_protection",
        unit=other_team,
        worker=people["other_supervisee"],
        allocated_at=allocated,
        rag_rating="red",
        by=people["other_team_supervisor"],
    )
    note = casework_services.case_note_create(
        child=child,
        kind="case_supervision",
        by=people["supervisor"],
        discussed_at=datetime(2026, 3, 4, 14, tzinfo=UTC),
        current_situation="You are settled at school.",
    )
    group_session = GroupSession.objects.create(
        unit=team,
        format=GroupSession.Format.CASE_PROGRESSION,
        held_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
        facilitator=people["supervisor"],
        created_by=people["supervisor"],
    )
    group_session.participants.add(people["supervisor"], people["supervisee"])
    front_door = FrontDoorSession.objects.create(
        supervisor=people["supervisor"],
        supervisee=people["supervisee"],
        held_at=datetime(2026, 3, 3, 15, tzinfo=UTC),
    )
    for each in (child, other_child):
        FrontDoorDiscussion.objects.create(
            session=front_door, child=each, criterion="advice", discussion="Advice given"
        )
    return {
        "child": child,
        "other_child": other_child,
        "case_note": note,
        "group_session": group_session,
        "front_door": front_door,
    }


@contextlib.contextmanager
def kept_for_the_module(django_db_blocker):
    """Rows written inside are there for every test of the module (or class) that asks for
    them, each test still rolled back to them, and all of them rolled back at the end: what
    Django's setUpTestData does. pytest-django runs each test in a savepoint inside this
    transaction. Not for modules with transactional tests, which would empty the tables."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
