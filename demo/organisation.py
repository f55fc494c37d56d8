"""The demo organisation: fictional Northshire, realistic enough to judge the product by.

Loading is idempotent: every object is found by its natural key and created only if missing,
so a second run changes nothing (nor does a run on a later day).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import transaction

from demo.agreements import load_demo_agreements
from demo.casework import load_demo_casework
from demo.files import load_demo_file_items
from demo.sessions import load_session_history
from supervision.models import (
    AccessGrant,
    JobRole,
    StaffProfile,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.organisation.job_roles import STANDARD_JOB_ROLES
from supervision.organisation.roles import AUDITOR_GROUP, INFORMATION_GOVERNANCE_GROUP
from supervision.people.services import access_grant_create

DEMO_PASSWORD = "demo-supervision-2026"
DOMAIN = "northshire.example"


UNITS = [
    # code, name, kind, parent code
    ("cfe", "Children, Families and Education", "directorate", None),
    ("early-help", "Early Help", "service", "cfe"),
    ("childrens-social-work", "Children's Social Work", "service", "cfe"),
    ("youth-justice", "Youth Justice", "service", "cfe"),
    ("eh-north", "Early Help North", "team", "early-help"),
    ("eh-south", "Early Help South", "team", "early-help"),
    ("assessment", "Assessment and Intervention", "team", "childrens-social-work"),
    ("children-in-care", "Children in Care", "team", "childrens-social-work"),
    ("safeguarding-quality", "Safeguarding and Quality", "team", "childrens-social-work"),
    ("yj-team", "Youth Justice Team", "team", "youth-justice"),
]


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    unit: str
    manages: str | None = None
    supervisor: str | None = None  # the full name of the current line supervisor
    years_in_post: float = 3.0
    employment: str = "permanent"
    probation_months_left: int = 0

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.').replace(chr(39), '')}@{DOMAIN}"


PEOPLE = [
    Person("Margaret Osei", "director", "cfe", manages="cfe", years_in_post=6),
    Person(
        "Daniel Whitfield",
        "service-manager",
        "early-help",
        manages="early-help",
        supervisor="Margaret Osei",
        years_in_post=5,
    ),
    Person(
        "Priya Raman",
        "head-of-service",
        "childrens-social-work",
        manages="childrens-social-work",
        supervisor="Margaret Osei",
        years_in_post=4,
    ),
    Person(
        "Gareth Llewellyn",
        "service-manager",
        "youth-justice",
        manages="youth-justice",
        supervisor="Margaret Osei",
        years_in_post=7,
    ),
    # Early Help North
    Person(
        "Helen Brady", "team-manager", "eh-north", manages="eh-north", supervisor="Daniel Whitfield"
    ),
    Person("Tom Hartley", "early-help-practitioner", "eh-north", supervisor="Helen Brady"),
    Person(
        "Amina Yusuf",
        "early-help-practitioner",
        "eh-north",
        supervisor="Helen Brady",
        employment="part_time",
    ),
    Person(
        "Chloe Barnes",
        "early-help-practitioner",
        "eh-north",
        supervisor="Helen Brady",
        years_in_post=0.3,
        probation_months_left=3,
    ),
    Person("Kevin Doyle", "family-support-worker", "eh-north", supervisor="Helen Brady"),
    # Early Help South
    Person(
        "Fiona McKenzie",
        "team-manager",
        "eh-south",
        manages="eh-south",
        supervisor="Daniel Whitfield",
    ),
    Person("Jordan Ellis", "early-help-practitioner", "eh-south", supervisor="Fiona McKenzie"),
    Person("Sadia Chowdhury", "early-help-practitioner", "eh-south", supervisor="Fiona McKenzie"),
    Person(
        "Liam Foster",
        "early-help-practitioner",
        "eh-south",
        supervisor="Fiona McKenzie",
        employment="agency",
        years_in_post=0.6,
    ),
    Person("Grace Adeyemi", "family-support-worker", "eh-south", supervisor="Fiona McKenzie"),
    # Assessment and Intervention
    Person(
        "Rachel Turner",
        "team-manager",
        "assessment",
        manages="assessment",
        supervisor="Priya Raman",
    ),
    Person("Oliver Grant", "practice-manager", "assessment", supervisor="Rachel Turner"),
    Person("Sam Okafor", "social-worker", "assessment", supervisor="Oliver Grant"),
    Person("Hannah Price", "senior-social-worker", "assessment", supervisor="Rachel Turner"),
    Person(
        "Ben Carter",
        "asye-social-worker",
        "assessment",
        supervisor="Rachel Turner",
        years_in_post=0.25,
        probation_months_left=3,
    ),
    Person(
        "Ellie Moss",
        "social-work-student",
        "assessment",
        supervisor="Rachel Turner",
        years_in_post=0.15,
        employment="fixed_term",
    ),
    Person(
        "Marcus Bell",
        "social-worker",
        "assessment",
        supervisor="Oliver Grant",
        employment="agency",
        years_in_post=0.8,
    ),
    # Children in Care
    Person(
        "Joanne Fletcher",
        "team-manager",
        "children-in-care",
        manages="children-in-care",
        supervisor="Priya Raman",
    ),
    Person("Nadia Kowalski", "practice-manager", "children-in-care", supervisor="Joanne Fletcher"),
    Person("Aaron Walsh", "social-worker", "children-in-care", supervisor="Nadia Kowalski"),
    Person(
        "Zainab Hussain",
        "social-worker",
        "children-in-care",
        supervisor="Nadia Kowalski",
        employment="part_time",
    ),
    Person("Ruth Simmons", "social-worker", "children-in-care", supervisor="Joanne Fletcher"),
    Person(
        "Jack Thornton",
        "asye-social-worker",
        "children-in-care",
        supervisor="Joanne Fletcher",
        years_in_post=0.7,
    ),
    Person("Megan Lloyd", "personal-adviser", "children-in-care", supervisor="Joanne Fletcher"),
    # Safeguarding and Quality
    Person(
        "Stephen Ashworth",
        "team-manager",
        "safeguarding-quality",
        manages="safeguarding-quality",
        supervisor="Priya Raman",
    ),
    Person("Claire Donnelly", "iro", "safeguarding-quality", supervisor="Stephen Ashworth"),
    Person("Imran Malik", "iro", "safeguarding-quality", supervisor="Stephen Ashworth"),
    Person("Lucy Harper", "cp-chair", "safeguarding-quality", supervisor="Stephen Ashworth"),
    Person("Patrick Reilly", "lado", "safeguarding-quality", supervisor="Stephen Ashworth"),
    # Youth Justice
    Person(
        "Denise Campbell",
        "team-manager",
        "yj-team",
        manages="yj-team",
        supervisor="Gareth Llewellyn",
    ),
    Person("Ryan Mitchell", "youth-justice-worker", "yj-team", supervisor="Denise Campbell"),
    Person("Sophie Clarke", "youth-justice-worker", "yj-team", supervisor="Denise Campbell"),
    Person("Kwame Mensah", "youth-justice-worker", "yj-team", supervisor="Denise Campbell"),
    Person(
        "Emma Jenkins",
        "youth-justice-worker",
        "yj-team",
        supervisor="Denise Campbell",
        employment="part_time",
    ),
    Person("Victoria Hale", "social-worker", "yj-team", supervisor="Denise Campbell"),
    # Quality assurance, reading named files under time-limited grants.
    Person("Alan Pearce", "qa-officer", "cfe", supervisor="Priya Raman"),
]

QUALIFIED_ROLES = {
    "director",
    "head-of-service",
    "service-manager",
    "team-manager",
    "practice-manager",
    "social-worker",
    "senior-social-worker",
    "asye-social-worker",
    "iro",
    "cp-chair",
    "lado",
}

ADMIN = ("Sarah Newton", f"sarah.newton@{DOMAIN}")
# Answers subject access requests: downloads a person's whole file as a zip, giving a reason.
INFORMATION_GOVERNANCE = ("Ian Gordon", f"ian.gordon@{DOMAIN}")
AUDITOR = "Alan Pearce"

# Ellie Moss (student) has a practice educator as well as her line supervisor (F3).
PRACTICE_EDUCATOR = ("Hannah Price", "Ellie Moss")
# Sam Okafor moved from Rachel Turner to Oliver Grant four months ago: his file moved with him.
EARLIER_SUPERVISOR = ("Rachel Turner", "Sam Okafor", 120)
# Joanne Fletcher covers Nadia Kowalski's supervisees while she is on leave (S5).
COVER = ("Joanne Fletcher", "Zainab Hussain")

# The auditor may read these files for the quarter's sample audit (personal sections hidden).
AUDITED_FILES = ["Sam Okafor", "Ben Carter", "Aaron Walsh"]

DEMO_ACCOUNTS = [
    ("Supervisee (social worker)", "Sam Okafor"),
    ("Supervisee (newly qualified, ASYE)", "Ben Carter"),
    ("Supervisee (social work student)", "Ellie Moss"),
    ("Supervisor (team manager)", "Rachel Turner"),
    ("Senior manager (head of service)", "Priya Raman"),
    ("Quality assurance auditor", AUDITOR),
    ("Information governance officer", INFORMATION_GOVERNANCE[0]),
    ("System administrator", ADMIN[0]),
]


def email_of(name: str) -> str:
    if name == ADMIN[0]:
        return ADMIN[1]
    if name == INFORMATION_GOVERNANCE[0]:
        return INFORMATION_GOVERNANCE[1]
    return next(person.email for person in PEOPLE if person.name == name)


def _user(name: str, email: str, *, is_staff: bool = False) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    if user:
        return user, False
    # The administrator manages everything in Django admin; no record content is registered
    # there, and the access layer refuses every file to staff accounts, superuser or not.
    user = User(email=email, full_name=name, is_staff=is_staff, is_superuser=is_staff)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user, True


@transaction.atomic
def load_demo(today: date, *, history: bool = True) -> dict[str, int]:
    """Create whatever of the demo organisation is missing. Returns counts of what was created."""
    created = {
        "job roles": 0,
        "units": 0,
        "people": 0,
        "relationships": 0,
        "access grants": 0,
        "children": 0,
        "sessions": 0,
        "agreements": 0,
        "file items": 0,
    }

    roles = _job_roles(created=created)
    units = _units(created=created)
    users = _people(today, roles, units, created=created)
    _administrator_and_group_members(users, created=created)
    _relationships(today, users, created=created)
    _auditor_access_grants(today, users, created=created)

    # Its own seeded generator, so the children are the same on every run.
    created.update(load_demo_casework(today, random.Random(2026), units, users))
    created["sessions"] = load_session_history(today) if history else 0
    created["agreements"] = load_demo_agreements(today)
    created["file items"] = load_demo_file_items(today, DEMO_PASSWORD) if history else 0
    return created


def _job_roles(*, created: dict[str, int]) -> dict[str, JobRole]:
    roles = {}
    for code, name, category, holds_cases in STANDARD_JOB_ROLES:
        roles[code], was_created = JobRole.objects.get_or_create(
            code=code, defaults={"name": name, "category": category, "holds_cases": holds_cases}
        )
        created["job roles"] += was_created
    return roles


def _units(*, created: dict[str, int]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for code, name, kind, parent in UNITS:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            unit = Unit.objects.create(
                code=code, name=name, kind=kind, parent=units[parent] if parent else None
            )
            created["units"] += 1
        units[code] = unit
    return units


def _people(today: date, roles, units, *, created: dict[str, int]) -> dict[str, User]:
    users: dict[str, User] = {}
    for person in PEOPLE:
        user, was_created = _user(person.name, person.email)
        users[person.name] = user
        created["people"] += was_created
        if was_created:
            start = today - timedelta(days=int(person.years_in_post * 365))
            role = roles[person.role]
            StaffProfile.objects.create(
                user=user,
                job_role=role,
                unit=units[person.unit],
                start_date=start,
                qualified_date=(
                    start - timedelta(days=30 if role.category == "asye" else 2000)
                    if role.code in QUALIFIED_ROLES
                    else None
                ),
                asye_start_date=start if role.category == "asye" else None,
                is_student=role.category == "student",
                employment_type=person.employment,
                probation_end_date=today + timedelta(days=30 * person.probation_months_left)
                if person.probation_months_left
                else None,
            )
        if person.manages and units[person.manages].manager_id is None:
            units[person.manages].manager = user
            units[person.manages].save()
    return users


def _administrator_and_group_members(users, *, created: dict[str, int]) -> None:
    admin, was_created = _user(*ADMIN, is_staff=True)
    created["people"] += was_created
    auditors, _ = Group.objects.get_or_create(name=AUDITOR_GROUP)
    auditors.user_set.add(users[AUDITOR])
    officer, was_created = _user(*INFORMATION_GOVERNANCE)
    created["people"] += was_created
    governance, _ = Group.objects.get_or_create(name=INFORMATION_GOVERNANCE_GROUP)
    governance.user_set.add(officer)


def _relationships(today: date, users, *, created: dict[str, int]) -> None:
    def relate(supervisor, supervisee, kind, starts_on, ends_on=None):
        relationship, was_created = SupervisoryRelationship.objects.get_or_create(
            supervisor=users[supervisor],
            supervisee=users[supervisee],
            kind=kind,
            defaults={"starts_on": starts_on, "ends_on": ends_on},
        )
        created["relationships"] += was_created
        return relationship

    earlier, moved, days_ago = EARLIER_SUPERVISOR
    for person in PEOPLE:
        if not person.supervisor:
            continue
        start = users[person.name].profile.start_date
        if person.name == moved:
            change = today - timedelta(days=days_ago)
            relate(earlier, moved, "line", start, change - timedelta(days=1))
            start = change
        relate(person.supervisor, person.name, "line", start)
    educator, student = PRACTICE_EDUCATOR
    relate(educator, student, "practice_educator", users[student].profile.start_date)
    cover_by, covered = COVER
    relate(
        cover_by, covered, "temporary_cover", today - timedelta(days=10), today + timedelta(days=18)
    )


def _auditor_access_grants(today: date, users, *, created: dict[str, int]) -> None:
    for subject in AUDITED_FILES:
        if not AccessGrant.objects.filter(grantee=users[AUDITOR], subject=users[subject]).exists():
            access_grant_create(
                grantee=users[AUDITOR],
                subject=users[subject],
                starts_on=today - timedelta(days=7),
                ends_on=today + timedelta(days=60),
                reason="Quarterly supervision audit, Children's Social Work",
                granted_by=users["Priya Raman"],
            )
            created["access grants"] += 1
