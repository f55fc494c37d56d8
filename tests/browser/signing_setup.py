"""The starting point of the signing journeys: people, units, relationships and a signed
supervision agreement. Everything after this is done through the pages."""

from dataclasses import dataclass
from datetime import date

from supervision.models import Unit, User
from tests.factories import (
    SUPERVISEE_PASSWORD,
    JobRoleFactory,
    RelationshipFactory,
    StaffProfileFactory,
    UnitFactory,
)

PASSWORD = SUPERVISEE_PASSWORD


@dataclass
class Team:
    supervisor: User
    supervisee: User
    manager: User


def build_team() -> Team:
    """A Head of Service, a Practice Manager and three social workers in one team, supervised
    since February 2026; the Practice Manager has signed a supervision agreement with Amira
    Khan, and with the Head of Service, who supervises him."""
    from agreements.services import agreement_draft, agreement_sign

    directorate = UnitFactory(name="Children's Social Care", kind=Unit.Kind.DIRECTORATE)
    service = UnitFactory(name="Family Safeguarding", kind=Unit.Kind.SERVICE, parent=directorate)
    team = UnitFactory(name="Family Safeguarding Team North", parent=service)
    social_worker = JobRoleFactory()
    practice_manager = JobRoleFactory(
        code="practice-manager", name="Practice Manager", category="manager"
    )
    head = JobRoleFactory(code="head-of-service", name="Head of Service", category="senior_manager")

    def person(name, email, unit, role, start_date=date(2019, 9, 2)):
        return StaffProfileFactory(
            user__email=email,
            user__full_name=name,
            unit=unit,
            job_role=role,
            start_date=start_date,
        ).user

    manager = person("Helen Carter", "helen.carter@example.org", service, head)
    supervisor = person("Daniel Price", "daniel.price@example.org", team, practice_manager)
    supervisee = person("Amira Khan", "amira.khan@example.org", team, social_worker)
    # Two newly qualified social workers who joined in February.
    joined = (date(2026, 2, 16), date(2026, 2, 23))
    colleagues = [
        person("Tom Walsh", "tom.walsh@example.org", team, social_worker, joined[0]),
        person("Grace Obi", "grace.obi@example.org", team, social_worker, joined[1]),
    ]
    service.manager = manager
    service.save()
    team.manager = supervisor
    team.save()

    relationship = RelationshipFactory(
        supervisor=supervisor, supervisee=supervisee, starts_on=date(2026, 2, 12)
    )
    own = RelationshipFactory(supervisor=manager, supervisee=supervisor, starts_on=date(2026, 2, 2))
    for colleague, starts_on in zip(
        colleagues, (date(2026, 2, 16), date(2026, 2, 23)), strict=True
    ):
        RelationshipFactory(supervisor=supervisor, supervisee=colleague, starts_on=starts_on)

    for pair, by in ((relationship, supervisor), (own, manager)):
        agreement = agreement_draft(
            relationship=pair,
            by=by,
            frequency_value=4,
            frequency_unit="weeks",
            starts_on=pair.starts_on,
            review_due_on=date(2027, 2, 1),
        )
        agreement_sign(agreement=agreement, password=PASSWORD, by=pair.supervisor)
        agreement_sign(agreement=agreement, password=PASSWORD, by=pair.supervisee)
    return Team(supervisor=supervisor, supervisee=supervisee, manager=manager)
