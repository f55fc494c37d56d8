"""The demo's children in memory: who they are, drawn before any date is looked at, and
the stays and cases their histories are written from (see `demo.casework`)."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from casework.models import CaseNote, Child, Plan, RiskLevel, RiskScale, Service
from supervision.models import StaffProfile, Unit

# Team code, service, how many children it holds.
TEAMS = [
    ("eh-north", Service.EARLY_HELP, 34),
    ("eh-south", Service.EARLY_HELP, 32),
    ("assessment", Service.SOCIAL_WORK, 48),
    ("children-in-care", Service.SOCIAL_WORK, 44),
    ("yj-team", Service.YOUTH_JUSTICE, 42),
]
FIRST_REFERENCE = 104000
# A handful of children have a name kept, to show the optional field: (position, name).
NAMED = {7: "Maisie Pemberton", 41: "Theo Faulkner", 88: "Isla Okonkwo", 120: "Alfie Brennan"}
NAMED |= {153: "Ruby Whitlock", 190: "Kai Adebayo"}
LETTERS = "ABCDEFGHJKLMNPRSTWY"
HISTORY_DAYS = 400  # children allocated within about the last year and a bit
SIBLING_GROUP_START = 0.075  # about 15% of children end up in sibling groups of 2 or 3

# Plans each team holds, with weights (all valid for the team's service: PLANS_BY_SERVICE).
PLAN_WEIGHTS = {
    "eh-north": [(Plan.EARLY_HELP, 8), (Plan.ASSESSMENT, 2)],
    "eh-south": [(Plan.EARLY_HELP, 8), (Plan.ASSESSMENT, 2)],
    "assessment": [(Plan.ASSESSMENT, 3), (Plan.CHILD_IN_NEED, 4), (Plan.CHILD_PROTECTION, 4)],
    "children-in-care": [(Plan.CHILD_LOOKED_AFTER, 8), (Plan.CHILD_IN_NEED, 1)],
    "yj-team": [(Plan.ASSESSMENT, 1), (Plan.OUT_OF_COURT, 4), (Plan.YOUTH_JUSTICE_ORDER, 5)],
}
# Age in years, from and to, by plan.
AGES = {
    Plan.CARE_LEAVER: (18, 20),
    Plan.OUT_OF_COURT: (10, 17),
    Plan.YOUTH_JUSTICE_ORDER: (11, 17),
    Plan.EARLY_HELP: (1, 15),
}
# Where a child who transferred in came from, and the kind of oversight the move was.
CAME_FROM = {
    "eh-north": [("assessment", CaseNote.Kind.STEP_DOWN)],
    "eh-south": [("assessment", CaseNote.Kind.STEP_DOWN)],
    "assessment": [
        ("eh-north", CaseNote.Kind.STEP_UP),
        ("eh-south", CaseNote.Kind.STEP_UP),
    ],
    "children-in-care": [("assessment", CaseNote.Kind.TRANSFER)],
    "yj-team": [
        ("eh-north", CaseNote.Kind.STEP_ACROSS),
        ("assessment", CaseNote.Kind.STEP_ACROSS),
    ],
}
RAG_WEIGHTS = {
    Service.EARLY_HELP: [(RiskLevel.GREEN, 5), (RiskLevel.AMBER, 4), (RiskLevel.RED, 1)],
    Service.SOCIAL_WORK: [(RiskLevel.GREEN, 2), (RiskLevel.AMBER, 5), (RiskLevel.RED, 3)],
    Service.YOUTH_JUSTICE: [(RiskLevel.GREEN, 3), (RiskLevel.AMBER, 5), (RiskLevel.RED, 2)],
}
YJ_WEIGHTS = [
    (RiskLevel.VERY_HIGH, 1),
    (RiskLevel.HIGH, 3),
    (RiskLevel.MEDIUM, 5),
    (RiskLevel.LOW, 4),
]
LEVELS = {
    RiskScale.RAG: [RiskLevel.RED, RiskLevel.AMBER, RiskLevel.GREEN],
    RiskScale.SERIOUS_HARM: [level for level, _ in YJ_WEIGHTS],
    RiskScale.SAFETY_WELLBEING: [level for level, _ in YJ_WEIGHTS],
}
SEVERITY = {"green": 0, "low": 0, "amber": 1, "medium": 1, "red": 2, "high": 2, "very_high": 3}
CLOSURE_REASONS = {
    Service.EARLY_HELP: ["outcomes_met", "outcomes_met", "stepped_down", "family_declined"],
    Service.SOCIAL_WORK: ["outcomes_met", "stepped_down", "moved_away", "outcomes_met"],
    Service.YOUTH_JUSTICE: ["order_ended", "order_ended", "outcomes_met", "moved_away"],
}


# --- Who the children are: decided without looking at the date ------------------------------


@dataclass
class _Team:
    code: str
    unit: Unit
    service: str
    count: int
    manager_id: int
    workers: list  # [(user_id, role code, start date, weight)]


@dataclass
class _Spec:
    position: int
    reference: str
    initials: str
    name: str
    team: _Team
    worker: tuple
    family: str
    family_seed: int
    seed: int


def _teams(units: dict, users: dict) -> list[_Team]:
    demo_people = {user.pk for user in users.values()}
    teams = []
    for code, service, count in TEAMS:
        unit = units.get(code)
        if unit is None or unit.manager_id is None:
            continue
        profiles = (
            StaffProfile.objects.filter(unit=unit, job_role__holds_cases=True)
            .exclude(user_id=unit.manager_id)
            .select_related("job_role", "user")
            .order_by("user__full_name")
        )
        workers = [
            (p.user_id, p.job_role.code, p.start_date, _caseload_weight(p))
            for p in profiles
            if p.user_id in demo_people
        ]
        if workers:
            teams.append(_Team(code, unit, service, count, unit.manager_id, workers))
    return teams


def _caseload_weight(profile) -> float:
    # Students and newly qualified workers hold fewer children; practice managers a few.
    weight = {"student": 0.3, "asye": 0.6, "manager": 0.35}.get(profile.job_role.category, 1.0)
    return weight * (0.7 if profile.employment_type == "part_time" else 1.0)


def _draw_children(rng: random.Random, teams: list[_Team]) -> list[_Spec]:
    specs = []
    number = FIRST_REFERENCE
    family_number = 2000
    for team in teams:
        held = dict.fromkeys((w[0] for w in team.workers), 0)
        placed = 0
        while placed < team.count:
            size = 1
            if rng.random() < SIBLING_GROUP_START and team.count - placed >= 2:
                size = min(rng.choice([2, 2, 3]), team.count - placed)
            # Siblings share a worker; a personal adviser holds care leavers, not families.
            choices = [w for w in team.workers if size == 1 or w[1] != "personal-adviser"]
            # The manager allocates to whoever has room for their share of the team's work,
            # so caseloads stay even (students and newly qualified workers hold fewer).
            worker = min(choices, key=lambda w: (held[w[0]] + size + rng.random()) / w[3])
            held[worker[0]] += size
            family_seed = rng.getrandbits(32)
            surname = rng.choice(LETTERS)
            family = ""
            if size > 1:
                family_number += rng.randint(1, 9)
                family = f"NF{family_number}"
            for _ in range(size):
                number += rng.randint(3, 40)
                first, middle = rng.choice(LETTERS), rng.choice(LETTERS)
                initials = first + (middle if rng.random() < 0.15 else "") + surname
                seed = rng.getrandbits(32)
                position = len(specs)
                name = NAMED.get(position, "")
                if name:
                    initials = "".join(part[0] for part in name.split())
                specs.append(
                    _Spec(
                        position,
                        f"NS{number}",
                        initials,
                        name,
                        team,
                        worker,
                        family,
                        family_seed,
                        seed,
                    )
                )
            placed += size
    return specs


# --- Each child's history ---------------------------------------------------------------------


@dataclass
class _Stay:
    """One allocation: a worker in a team and service, from one moment to another."""

    worker_id: int
    team: _Team
    starts: datetime
    starts_on: date
    ends: datetime | None
    ends_on: date | None  # the last day of the stay
    reason: str
    arrived_by: str  # the oversight kind that opened it
    allocated_by_id: int
    first_discussed_at: datetime | None = None


@dataclass
class _Case:
    spec: _Spec
    child: Child
    stays: list[_Stay]
    rng: random.Random
    last_day: date  # the last day the case was open
    no_supervision: bool = False
    notes: list = field(default_factory=list)  # [(CaseNote, [CaseNoteAction], final)]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time on a day, stored in UTC: the form the database gives back, so the hash
    computed here is the one a verifier recomputes from the stored note."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute))).astimezone(UTC)


def _weekday(day: date, floor: date) -> date:
    """Back to the Friday if it falls at a weekend, but never before `floor`."""
    if day.weekday() >= 5:
        day -= timedelta(days=day.weekday() - 4)
    return max(day, floor)


def _pick(rng, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _pool(rng, pools: dict, service: str) -> str:
    return rng.choice(pools.get(service, []) + pools["all"])
