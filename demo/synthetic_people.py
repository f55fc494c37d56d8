"""The synthetic organisation in memory: its units, its posts and the people who hold
them over the years; and `at`, the moment of a day every date is written at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from oversight.policy import due

LONDON = due.LONDON

JOB_ROLES = {
    # code: (name, category, holds cases); the demo's names, so both can share a database
    "director": ("Director of Children's Services", "senior_manager", False),
    "head-of-service": ("Head of Service", "senior_manager", False),
    "service-manager": ("Service Manager", "senior_manager", False),
    "team-manager": ("Team Manager", "manager", False),
    "practice-manager": ("Practice Manager", "manager", True),
    "social-worker": ("Social Worker", "practitioner", True),
    "senior-social-worker": ("Senior Social Worker", "practitioner", True),
    "asye-social-worker": ("Newly Qualified Social Worker (ASYE)", "asye", True),
    "social-work-student": ("Social Work Student", "student", True),
    "family-support-worker": ("Family Support Worker", "practitioner", True),
    "early-help-practitioner": ("Early Help Practitioner", "practitioner", True),
    "personal-adviser": ("Personal Adviser", "practitioner", True),
    "youth-justice-worker": ("Youth Justice Worker", "practitioner", True),
    "iro": ("Independent Reviewing Officer", "independent", False),
    "cp-chair": ("Child Protection Chair", "independent", False),
    "lado": ("Local Authority Designated Officer (LADO)", "independent", False),
    "qa-officer": ("Quality Assurance Officer", "support", False),
    "business-support": ("Business Support Officer", "support", False),
}


@dataclass(slots=True)  # slots: some 140,000 holders at 60,000 staff
class _Unit:
    name: str
    code: str
    kind: str
    parent: _Unit | None = None
    service: str | None = None  # casework service of its children
    roles: dict | None = None
    manager_post: _Post | None = None
    id: int | None = None
    path: str = ""


@dataclass(slots=True)
class _Holder:
    post: _Post
    start: date
    leaves: date | None  # leaving_date: the first day no longer on the staff
    role: str
    asye_start: date | None = None
    is_student: bool = False
    fortnightly_from: date | None = None
    probation_end: date | None = None
    employment: str = "permanent"
    user_id: int | None = None
    name: str = ""
    facts: object = None  # due.PersonFacts without sessions: for the next due date
    lines: list = field(default_factory=list)  # (supervisor, first day, last day or None, id)
    held: list | None = field(default_factory=list)  # formal sessions held, by day
    first_held: dict | None = None  # {line's first day: first session held on or after}
    sessions: list | None = None

    @property
    def category(self) -> str:
        return JOB_ROLES[self.role][1]

    def on(self, day: date) -> bool:
        return self.start <= day and (self.leaves is None or day < self.leaves)


@dataclass(slots=True)
class _Post:
    unit: _Unit
    kind: str  # chief_executive, director, service_manager, team_manager, worker, ...
    above: _Post | None
    holds_cases: bool
    holders: list = field(default_factory=list)

    def holder_on(self, day: date) -> _Holder | None:
        for holder in self.holders:
            if holder.on(day):
                return holder
        return None


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
