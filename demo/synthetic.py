"""A large synthetic organisation, written fast, for measuring the dashboard
and for tests that need an organisation of a given size.

`generate_org(staff=..., years=..., children=..., today=...)` builds, beside whatever the
database already holds (its codes, emails and references carry `prefix`):

- a directorate, services and teams (paths set here, since no Unit.save runs), a senior
  manager for the directorate and each service, a team manager per team, and a chief executive
  (a user without a staff profile) who supervises the director;
- `staff` posts, each filled today and held over the years by a chain of people: a leaver's
  post is filled again (after a vacancy, for practitioners), new starters have probation, some
  start newly qualified (ASYE for their first year), student placements come and go;
- line supervision by the holder of the post above (a relationship ends when either side
  leaves), an agreement per relationship signed at about the first session and reviewed every
  year as a new version, supervisors' leave and long absences with temporary cover;
- supervision sessions at the pack's intervals (some late, some cancelled and held again),
  records written, signed and finalised, mostly on time, with actions; the record sections the
  dashboard reads ("reflection", "check-in" or "wellbeing") only for sessions in the last 13
  months, so that ten years stay fast; practice observations, development conversations and
  probation reviews;
- `children` children, three in five open today, each held in one team of its service: moved
  to a colleague when their worker leaves (and now and then otherwise), with risk ratings, case
  supervision notes at the pack's cycle (some children fall behind) and closures;
- supervision feedback each quarter from about a third of the staff;
- the flags (see FLAGS).

Everything is drawn from one `random.Random(seed)` in a fixed order, so a seed gives the same
organisation. Dates count back from `today`; the clock stands at noon that day, London time.

Rows are written as plain values, not model instances: COPY on PostgreSQL, one executemany on
SQLite, with ids reserved first from the table's own sequence, so a row can point at another
before either is written. Django's bulk_create spent three quarters of the time building and
converting model instances. Nothing here sends signals or calls save(); the flags and every
subject's next check are written directly (see FLAGS).
"""

from __future__ import annotations

import hashlib
import json
import random
import time as clock
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from django.db import connection, models, transaction

from agreements.models import AgreementSignature, SupervisionAgreement
from casework.models import Allocation, CaseNote, Child, RiskRating
from oversight.flags import scheduled
from oversight.models import FeedbackResponse, Flag
from oversight.policy import choice, due
from oversight.policy.due import day_start
from oversight.policy.packs import add_months_clamped
from supervision.models import (
    Action,
    DevelopmentConversation,
    JobRole,
    PracticeObservation,
    ProbationReview,
    RecordSection,
    RecordTemplate,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.models.organisation import SupervisorAbsence

FLAGS = """\
Flags: written while the facts are made, by default. Each lateness the facts hold (a session
after its due date, a record shared or finalised late, an agreement signed or reviewed late, a
cancelled session not followed within the window, a supervisor away without cover, an action
done late, an observation, development conversation or probation review late, a child not
discussed within its cycle, an allocation not discussed in time, a case closed without
supervision) is a flag: due date from the pack's own rules (oversight.policy.due), overdue from
then,
resolved when the awaited fact took effect or open, cut where the rules stop judging (a leaver,
a closed case), kept if it reaches into the history; a child's flag counts in the child's
team. Every subject's next check is the clock, so the flag job carries on from these flags
without walking back. They are the flags the job itself writes: equal row for row to
--evaluate at small sizes, and to the compliance report at every moment checked, at full size
too. --evaluate (evaluate=True) leaves next checks empty and runs the real flag job, walking
every subject back over the whole history (oversight.flags.scheduled.tick with look_back): on
PostgreSQL here 4 s for 200 staff, 2 years and 2,000 children (about 10 ms a person-year and
0.6 ms a child), so some 5 minutes at 2,000 staff, 10 years and 25,000 children, where
writing the flags takes 2 s."""

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

# (name, casework service or None, share of the teams, {job role: weight} of its practitioners)
SERVICES = [
    (
        "Children's Social Work",
        "social_work",
        30,
        {"social-worker": 60, "senior-social-worker": 25, "family-support-worker": 15},
    ),
    ("Early Help", "early_help", 18, {"early-help-practitioner": 70, "family-support-worker": 30}),
    (
        "Children in Care",
        "social_work",
        16,
        {"social-worker": 55, "senior-social-worker": 20, "personal-adviser": 25},
    ),
    ("Youth Justice", "youth_justice", 10, {"youth-justice-worker": 80, "social-worker": 20}),
    ("Safeguarding and Quality", None, 6, {"iro": 50, "cp-chair": 40, "lado": 10}),
    (
        "Disabled Children",
        "social_work",
        8,
        {"social-worker": 60, "senior-social-worker": 20, "family-support-worker": 20},
    ),
    (
        "Assessment and Intervention",
        "social_work",
        8,
        {"social-worker": 65, "senior-social-worker": 25, "family-support-worker": 10},
    ),
    ("Care Leavers", "social_work", 4, {"personal-adviser": 80, "social-worker": 20}),
]
AREAS = [
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Coastal",
    "Valley",
    "Riverside",
    "Forest",
    "Downs",
    "Harbour",
    "Moor",
]
FIRST_NAMES = [
    *("Aisha", "Alex", "Amara", "Ben", "Bethany", "Callum", "Chloe", "Daniel", "Deepa"),
    *("Eleanor", "Ella", "Farah", "Finn", "Grace", "Hamza", "Hannah", "Imran", "Isla"),
    *("Jack", "Jade", "Kiran", "Laura", "Liam", "Maya", "Megan", "Mohammed", "Nadia"),
    *("Noah", "Olivia", "Owen", "Priya", "Rachel", "Rhys", "Ruth", "Sam", "Sana"),
    *("Sophie", "Thomas", "Yusuf", "Zara"),
]
LAST_NAMES = [
    *("Ahmed", "Ali", "Bailey", "Begum", "Bennett", "Brown", "Campbell", "Chen", "Clarke"),
    *("Davies", "Edwards", "Evans", "Green", "Hall", "Hughes", "Hussain", "Jackson", "James"),
    *("Jones", "Kaur", "Khan", "Lewis", "Martin", "Mitchell", "Morgan", "Murphy", "Osei"),
    *("Patel", "Phillips", "Roberts", "Robinson", "Shah", "Singh", "Smith", "Taylor"),
    *("Thomas", "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood"),
    *("Wright", "Young"),
]
RAG = (["red", "amber", "green"], [15, 45, 40])
YJ_LEVELS = (["very_high", "high", "medium", "low"], [8, 27, 40, 25])
PLANS = {
    "social_work": (
        ["assessment", "child_in_need", "child_protection", "child_looked_after", "care_leaver"],
        [10, 35, 20, 25, 10],
    ),
    "early_help": (["assessment", "early_help"], [20, 80]),
    "youth_justice": (["assessment", "out_of_court", "youth_justice_order"], [10, 50, 40]),
}
SESSION_TYPE = {"senior_manager": "management", "manager": "management"}
MANAGERS = ("director", "service_manager", "team_manager")
CHIEF = "chief_executive"
OPEN_SHARE = 0.6  # of the children, open today
CHUNK = 250  # people whose sessions and records are made and written together
HASH = "0" * 64
TEXT = "As agreed between us."


# --- Writing plain rows ----------------------------------------------------------------------


class _Writer:
    """Rows as dicts keyed by field attname, written to one model's table: COPY on
    PostgreSQL, executemany on SQLite, bulk_create elsewhere. Missing fields take the model's
    defaults (auto_now and auto_now_add: the clock); values go through Django's own adapters."""

    def __init__(self, now: datetime, counts: Counter):
        self.now, self.counts, self.plans = now, counts, {}
        self.vendor = connection.vendor

    def _plan(self, model):
        if model in self.plans:
            return self.plans[model]
        ops, plan = connection.ops, []
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            default, call = None, False
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default = self.now
            elif f.has_default() and callable(f.default):
                default, call = f.default, True
            else:
                default = f.get_default()  # "" for text, None where null is allowed
            convert = None
            if self.vendor == "sqlite":
                if isinstance(f, models.DateTimeField):
                    convert = ops.adapt_datetimefield_value
                elif isinstance(f, models.DateField):
                    convert = ops.adapt_datefield_value
                elif isinstance(f, models.UUIDField):
                    convert = _hex
                elif isinstance(f, models.JSONField):
                    convert = json.dumps
            elif isinstance(f, models.JSONField):
                from psycopg.types.json import Jsonb

                convert = Jsonb
            plan.append((f.attname, f.column, default, call, convert))
        self.plans[model] = plan
        return plan

    def reserve(self, model, rows) -> None:
        """Give each row an id from the table's sequence (PostgreSQL) or above its largest."""
        if not rows:
            return
        table, pk = model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk, len(rows)],
                )
                ids = sorted(row[0] for row in cursor.fetchall())
            else:
                quote = connection.ops.quote_name
                cursor.execute(f"SELECT max({quote(pk)}) FROM {quote(table)}")  # noqa: S608
                start = (cursor.fetchone()[0] or 0) + 1
                if self.vendor == "sqlite":
                    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                    found = cursor.fetchone()
                    start = max(start, (found[0] + 1) if found else 1)
                ids = range(start, start + len(rows))
        for row, pk_value in zip(rows, ids, strict=True):
            row["id"] = pk_value

    def write(self, model, rows, *, ids: bool = False) -> list[dict]:
        if not rows:
            return rows
        if ids:
            self.reserve(model, rows)
        plan = self._plan(model)
        with_id = "id" in rows[0]
        values = []
        for row in rows:
            line = [row["id"]] if with_id else []
            for attname, _, default, call, convert in plan:
                value = row.get(attname, _MISSING)
                if value is _MISSING:
                    value = default() if call else default
                if convert is not None and value is not None:
                    value = convert(value)
                line.append(value)
            values.append(line)
        quote = connection.ops.quote_name
        columns = ([model._meta.pk.column] if with_id else []) + [p[1] for p in plan]
        names = ", ".join(quote(c) for c in columns)
        table = quote(model._meta.db_table)
        if self.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for line in values:
                    copy.write_row(line)
        elif self.vendor == "sqlite":
            marks = ", ".join(["?"] * len(columns))
            with connection.cursor() as cursor:
                # Names from the model's metadata; every value is a parameter.
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
                cursor.cursor.executemany(sql, values)
        else:  # pragma: no cover - the product runs on PostgreSQL, tests on SQLite
            objects = [model(**dict(zip(columns, line, strict=True))) for line in values]
            model.objects.bulk_create(objects, batch_size=1000)
        self.counts[model._meta.label] += len(rows)
        return rows

    @staticmethod
    def update(model, pks, **values) -> None:
        for start in range(0, len(pks), 2000):
            model.objects.filter(pk__in=pks[start : start + 2000]).update(**values)


_MISSING = object()


def _hex(value) -> str:
    return value.hex


# --- The organisation in memory --------------------------------------------------------------


@dataclass
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


@dataclass
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
    held: list = field(default_factory=list)  # formal sessions held, by day
    sessions: list | None = None

    @property
    def category(self) -> str:
        return JOB_ROLES[self.role][1]

    def on(self, day: date) -> bool:
        return self.start <= day and (self.leaves is None or day < self.leaves)


@dataclass
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


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


class _Generator:
    def __init__(self, *, staff, years, children, today, seed, prefix, turnover, evaluate):
        if Unit.objects.filter(code=f"{prefix}-dir").exists():
            raise ValueError(f"An organisation with the prefix {prefix!r} is already here.")
        if staff < 8:
            raise ValueError("An organisation needs at least 8 staff.")
        if years < 1:
            raise ValueError("Give at least 1 year of history.")
        self.rng = random.Random(seed)
        self.staff, self.years, self.children_count = staff, years, children
        self.today, self.prefix, self.turnover = today, prefix, turnover
        self.evaluate = evaluate
        self.now = at(today, 12)
        # History is kept from `history_from`; facts start a little before it, so that day
        # looks like any other (a last session, an agreement in force), not like a beginning.
        self.history_from = today - timedelta(days=round(365.25 * years))
        self.lead_in = self.history_from - timedelta(days=100)
        self.pack = choice.pack_on(today)
        self.counts = Counter()
        self.rows = _Writer(self.now, self.counts)
        self.salt = int.from_bytes(hashlib.sha256(prefix.encode()).digest()[:16], "big")
        self.flags = []
        self.timings = {}

    def uuid(self) -> uuid.UUID:
        """A session's calendar id: from the seed, and different for another prefix."""
        return uuid.UUID(int=self.rng.getrandbits(128) ^ self.salt, version=4)

    def flag(self, kind, rule, due_on, *, resolved=None, person=None, child=None, about="",
             detail="", due_at=None, leaves=None, closes=None):  # fmt: skip
        """One overdue spell, cut where the rules stop judging the subject (a leaver, a closed
        case), kept if it reaches into the history and began before the clock."""
        since = due_at if due_at is not None else due.overdue_from(due_on)
        for end in (leaves, closes):
            if end is not None:
                stop = day_start(end)
                if since >= stop:
                    return
                if resolved is None or resolved > stop:
                    resolved = stop
        if since >= self.now:
            return
        if resolved is not None and resolved > self.now:
            resolved = None
        if resolved is not None and (resolved <= since or resolved <= day_start(self.history_from)):
            return
        self.flags.append(
            {
                "kind": kind,
                "person_id": person.user_id if person is not None else None,
                "child_id": child,  # the row, its id known once written
                # A child's flag counts in the unit holding the child when the spell began:
                # here always the child's own team, where all its allocations are.
                "unit_id": child["unit_id"] if child is not None else None,
                "about": about[:100],
                "due": due_on,
                "due_at": due_at,
                "overdue_since": since,
                "detail": detail[:300],
                "rule": rule,
                "raised_at": since,
                "resolved_at": resolved,
                "noticed_resolved_at": resolved,
            }
        )

    # --- The organisation -------------------------------------------------------------------

    def job_roles(self) -> dict:
        existing = {role.code: role for role in JobRole.objects.all()}
        by_name = {role.name: role for role in existing.values()}
        roles = {}
        for code, (name, category, holds) in JOB_ROLES.items():
            role = existing.get(code) or by_name.get(name)
            if role is None:
                role = JobRole.objects.create(
                    code=code, name=name, category=category, holds_cases=holds
                )
                self.counts["supervision.JobRole"] += 1
            roles[code] = role.pk
        return roles

    def structure(self):
        """Services in proportion (two at least), teams of about eleven."""
        rng, n = self.rng, self.staff
        services_count = max(2, min(len(SERVICES), round(n / 250)))
        chosen = SERVICES[:services_count]
        posts_left = n - 1 - services_count
        teams_count = max(services_count, round(posts_left / 11))
        weights = [weight for _, _, weight, _ in chosen]
        per_service = [1] * services_count
        for _ in range(teams_count - services_count):
            per_service[rng.choices(range(services_count), weights)[0]] += 1
        directorate = _Unit("Children, Families and Education", f"{self.prefix}-dir", "directorate")
        chief = _Post(directorate, CHIEF, None, False)
        chief.holders.append(_Holder(chief, self.lead_in - timedelta(days=4000), None, "director"))
        director = _Post(directorate, "director", chief, False)
        directorate.manager_post = director
        units, posts, teams = [directorate], [chief, director], []
        for index, ((name, service, _, roles), count) in enumerate(
            zip(chosen, per_service, strict=True)
        ):
            unit = _Unit(name, f"{self.prefix}-svc-{index + 1}", "service", directorate, service)
            unit.roles = roles
            unit.manager_post = _Post(unit, "service_manager", director, False)
            units.append(unit)
            posts.append(unit.manager_post)
            for k in range(count):
                area = AREAS[k % len(AREAS)]
                if k >= len(AREAS):
                    area += f" {k // len(AREAS) + 1}"
                code = f"{unit.code}-team-{k + 1}"
                team = _Unit(f"{name}: {area}", code, "team", unit, service, roles)
                team.manager_post = _Post(team, "team_manager", unit.manager_post, False)
                units.append(team)
                teams.append(team)
                posts.append(team.manager_post)
        # The other posts, spread evenly over the teams: a practice manager in a team of eight
        # or more, business support in one of nine or more, now and then a student placement.
        sizes = [posts_left // teams_count] * teams_count
        for k in range(posts_left - sum(sizes)):
            sizes[k] += 1
        for team, size in zip(teams, sizes, strict=True):
            others = size - 1
            kinds = []
            if team.service is not None and others >= 7:
                kinds.append("practice_manager")
            if others >= 8:
                kinds.append("support")
            if team.service is not None and others >= 6 and rng.random() < 0.35:
                kinds.append("student")
            kinds += ["worker"] * (others - len(kinds))
            for kind in kinds:
                holds = team.service is not None and kind != "support"
                posts.append(_Post(team, kind, team.manager_post, holds))
        self.units, self.posts, self.teams = units, posts, teams

    def _role_for(self, post: _Post, start: date) -> tuple[str, date | None]:
        rng = self.rng
        fixed = {
            "director": "director",
            "team_manager": "team-manager",
            "practice_manager": "practice-manager",
            "student": "social-work-student",
        }
        if post.kind in fixed:
            return fixed[post.kind], None
        if post.kind == "service_manager":
            return rng.choice(["head-of-service", "service-manager"]), None
        if post.kind == "support":
            return rng.choice(["business-support", "business-support", "qa-officer"]), None
        roles = post.unit.roles
        role = rng.choices(list(roles), list(roles.values()))[0]
        if role == "social-worker" and start >= self.lead_in and rng.random() < 0.35:
            # Newly qualified: ASYE for the first year, a social worker after it.
            return ("asye-social-worker" if (self.today - start).days < 365 else role), start
        return role, None

    def people(self):
        """Each post's holders, from whoever held it before the history began to today."""
        rng, today = self.rng, self.today
        hazard = self.turnover / 365.0
        for post in self.posts:
            if post.kind == CHIEF:
                continue
            if post.kind == "student":
                start = self.lead_in - timedelta(days=rng.randint(0, 150))
            else:
                start = self.lead_in - timedelta(days=rng.randint(0, 3650))
            while start <= today:
                if post.kind == "student":
                    leaves = start + timedelta(days=rng.randint(100, 170))
                else:
                    leaves = start + timedelta(days=max(60, int(rng.expovariate(hazard))))
                if leaves > today:
                    leaves = None
                if leaves is None or leaves > self.lead_in:
                    role, asye_start = self._role_for(post, start)
                    holder = _Holder(post, start, leaves, role, asye_start=asye_start)
                    if post.kind == "student":
                        holder.is_student = True
                        holder.fortnightly_from = start + timedelta(days=rng.randint(35, 56))
                    elif start >= self.lead_in:
                        holder.probation_end = add_months_clamped(start, 6)
                    holder.employment = rng.choices(
                        ["permanent", "agency", "part_time", "fixed_term"], [85, 8, 5, 2]
                    )[0]
                    post.holders.append(holder)
                if leaves is None:
                    break
                # A post is filled again: a manager's at once, others after a vacancy (a
                # student's between placements) but by today, so `staff` are in post today.
                if post.kind in MANAGERS:
                    gap = 0
                elif post.kind == "student":
                    gap = rng.randint(30, 120)
                else:
                    gap = rng.randint(0, 60)
                start = leaves + timedelta(days=min(gap, (today - leaves).days))
        self.holders = [h for post in self.posts for h in post.holders]

    def write_people(self, roles):
        rng = self.rng
        users = []
        for n, holder in enumerate(self.holders):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if holder.post.kind == CHIEF:
                first, last = "Chief", "Executive"
            holder.name = f"{first} {last}"
            users.append(
                {
                    "email": f"{first}.{last}.{n}@{self.prefix}.synthetic.example".lower(),
                    "full_name": holder.name,
                    "password": "!",  # an unusable password: nobody signs in as these
                    "is_active": holder.leaves is None,
                    "date_joined": at(holder.start, 9),
                }
            )
        self.rows.write(User, users, ids=True)
        for holder, user in zip(self.holders, users, strict=True):
            holder.user_id = user["id"]
        rows = [{} for _ in self.units]
        self.rows.reserve(Unit, rows)
        for unit, row in zip(self.units, rows, strict=True):
            unit.id = row["id"]
            unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.id}/"
            current = unit.manager_post.holder_on(self.today)
            row.update(
                name=unit.name,
                code=unit.code,
                kind=unit.kind,
                parent_id=unit.parent.id if unit.parent else None,
                manager_id=current.user_id if current else None,
                path=unit.path,
            )
        self.rows.write(Unit, rows)
        check = None if self.evaluate else self.now
        profiles = []
        for holder in self.holders:
            holder.facts = due.PersonFacts(
                category=holder.category,
                start_date=holder.start,
                asye_start=holder.asye_start,
                student=holder.is_student,
                phase_agreed_on=holder.fortnightly_from,
            )
            if holder.post.kind == CHIEF:
                continue
            qualified = holder.category in ("practitioner", "asye", "manager")
            profiles.append(
                {
                    "user_id": holder.user_id,
                    "job_role_id": roles[holder.role],
                    "unit_id": holder.post.unit.id,
                    "start_date": holder.start,
                    "qualified_date": (holder.asye_start or holder.start - timedelta(days=1500))
                    if qualified
                    else None,
                    "asye_start_date": holder.asye_start,
                    "is_student": holder.is_student,
                    "employment_type": holder.employment,
                    "probation_end_date": holder.probation_end,
                    "leaving_date": holder.leaves,
                    "is_active": holder.leaves is None,
                    "fortnightly_from": holder.fortnightly_from,
                    "next_check_at": check,
                }
            )
        self.rows.write(StaffProfile, profiles)

    # --- Supervision relationships and absences ---------------------------------------------

    def relationships(self):
        rows = []
        for holder in self.holders:
            above = holder.post.above
            if above is None:
                continue
            for boss in above.holders:
                starts = max(holder.start, boss.start)
                stops = [d for d in (holder.leaves, boss.leaves) if d is not None]
                stop = min(stops) if stops else None  # the first day not together
                if stop is not None and (stop <= starts or stop <= self.lead_in):
                    continue
                ends = stop - timedelta(days=1) if stop else None
                row = {
                    "supervisor_id": boss.user_id,
                    "supervisee_id": holder.user_id,
                    "kind": "line",
                    "starts_on": starts,
                    "ends_on": ends,
                }
                holder.lines.append((boss, starts, ends, row))
                rows.append(row)
        self.rows.write(SupervisoryRelationship, rows, ids=True)
        for holder in self.holders:
            holder.lines = [(b, s, e, row["id"]) for b, s, e, row in holder.lines]

    def absences(self):
        """Managers away: a fortnight's leave a year (too short to need cover), and now and
        then a long absence, with temporary cover by their own manager for the people they
        supervise, arranged after a while: sometimes later than the pack allows (S5)."""

        rows, covers = [], []
        self.away = defaultdict(list)  # id(holder) -> [(first day, last day or None, cover)]
        for holder in self.holders:
            if holder.post.kind not in MANAGERS:
                continue
            rows += self._absences_of(holder)
        self.rows.write(SupervisorAbsence, rows)
        # Cover for each person the absent manager line supervised when the absence began.
        self.covered = {}
        for holder in self.holders:
            covers += self._covers_for(holder)
        self.rows.write(SupervisoryRelationship, covers)

    def _absences_of(self, holder: _Holder) -> list[dict]:
        rng, today = self.rng, self.today
        rows = []
        last = holder.leaves - timedelta(days=1) if holder.leaves else today
        year = max(holder.start, self.lead_in)
        while year <= last:
            leave = year + timedelta(days=rng.randint(30, 300))
            if leave + timedelta(days=14) <= min(last, today):
                rows.append(
                    {
                        "supervisor_id": holder.user_id,
                        "starts_on": leave,
                        "ends_on": leave + timedelta(days=13),
                        "reason": "Annual leave",
                        "recorded_by_id": holder.user_id,
                        "recorded_at": at(leave - timedelta(days=20), 10),
                    }
                )
            if rng.random() < 0.12:
                starts = year + timedelta(days=rng.randint(0, 330))
                ends = starts + timedelta(days=rng.randint(35, 100))
                if starts < last:
                    if ends >= last:
                        ends = None if holder.leaves is None else last
                    cover_from = starts + timedelta(days=rng.choice([10, 20, 25, 27, 35, 45]))
                    if (ends is not None and cover_from > ends) or cover_from > today:
                        cover_from = None
                    rows.append(
                        {
                            "supervisor_id": holder.user_id,
                            "starts_on": starts,
                            "ends_on": ends,
                            "reason": rng.choice(["Secondment", "Long-term absence"]),
                            "recorded_by_id": holder.user_id,
                            "recorded_at": at(starts, 9),
                        }
                    )
                    self.away[id(holder)].append((starts, ends, cover_from))
            year += timedelta(days=365)
        return rows

    def _covers_for(self, holder: _Holder) -> list[dict]:
        covers = []
        for boss, starts, ends, _ in holder.lines:
            for away_from, away_to, planned in self.away.get(id(boss), ()):
                # The absence as this person lived it: from when they were supervised by
                # the absent manager (someone joining mid-absence), as the rules cut it.
                if (away_to is not None and away_to < starts) or (
                    ends is not None and away_from > ends
                ):
                    continue
                start = max(away_from, starts)
                stop = [d for d in (away_to, ends) if d is not None]
                stop = min(stop) if stop else None
                cover = boss.post.above.holder_on(start) if boss.post.above else None
                cover_from = max(planned, start) if planned and cover else None
                if cover_from is not None and (stop is None or cover_from <= stop):
                    covers.append(
                        {
                            "supervisor_id": cover.user_id,
                            "supervisee_id": holder.user_id,
                            "kind": "temporary_cover",
                            "starts_on": cover_from,
                            "ends_on": stop,
                        }
                    )
                    self.covered[(id(holder), away_from)] = (cover, cover_from, stop)
                else:
                    cover_from = None
                due_on = due.cover_due(self.pack, due.Absence(starts_on=start))
                if (stop is None or stop >= due_on) and (cover_from is None or cover_from > due_on):
                    end = cover_from or (stop + timedelta(days=1) if stop else None)
                    self.flag(
                        "cover_needed",
                        "S5",
                        due_on,
                        resolved=day_start(end) if end else None,
                        person=holder,
                        about=start.isoformat(),
                        detail=f"Supervisor away since {start:%-d %B %Y}; no cover arranged",
                        leaves=holder.leaves,
                    )
        return covers

    def supervisor_on(self, holder: _Holder, day: date):
        """(who supervises `holder` on `day`: the line supervisor, or their cover while they
        are away; None if nobody does, with the next day worth trying, or None)."""
        for boss, starts, ends, _ in holder.lines:
            if starts <= day and (ends is None or day <= ends):
                for away_from, away_to, _ in self.away.get(id(boss), ()):
                    if away_from <= day and (away_to is None or day <= away_to):
                        covered = self.covered.get((id(holder), away_from))
                        if (
                            covered
                            and covered[1] <= day
                            and (covered[2] is None or day <= covered[2])
                        ):
                            return covered[0], None
                        later = [d for d in (covered[1] if covered else None, away_to) if d]
                        return None, (min(later) + timedelta(days=1) if later else None)
                return boss, None
        later = [starts for _, starts, _, _ in holder.lines if starts > day]
        return None, min(later) if later else None

    def line_boss(self, holder: _Holder, day: date) -> _Holder:
        """The line supervisor on `day`, away or not; else whoever holds the post above."""
        for boss, starts, ends, _ in holder.lines:
            if starts <= day and (ends is None or day <= ends):
                return boss
        found = holder.post.above.holder_on(day) if holder.post.above else None
        return found or self.posts[0].holders[0]

    # --- Sessions and records ---------------------------------------------------------------

    def next_due(self, holder: _Holder, last: date | None) -> date:
        """The rules' own answer: when the next formal session is due after `last`."""
        facts = holder.facts
        if last is not None:
            held = (due.HeldSession(held_on=last, session_type="individual"),)
            facts = replace(facts, sessions=held)
        return due.next_session_due(self.pack, facts)

    def sessions(self):
        templates = RecordTemplate.objects.filter(is_current=True, audience="").prefetch_related(
            "sections"
        )
        self.templates = {t.session_type: t.pk for t in templates}
        self.sections = {
            t.pk: [
                s.pk for s in t.sections.all() if s.key in ("reflection", "check-in", "wellbeing")
            ]
            for t in templates
        }
        for start in range(0, len(self.holders), CHUNK):
            chunk = self.holders[start : start + CHUNK]
            self._sessions_of(chunk)
            for holder in chunk:
                holder.sessions = None  # written: let them go

    def _plan(self, holder: _Holder) -> list:
        """(day, hour, supervisor, session type, cancelled) of each session of this person, in
        order, up to four weeks ahead; `cancelled` is (cancelled on, held again on, the day
        it was due again by if held again later than that) or None. Raises the session
        overdue spells on the way (F1-F5)."""
        rng, today, pack = self.rng, self.today, self.pack
        plan = []
        if not holder.lines:
            return plan
        horizon = today + timedelta(days=28)
        stop = min(holder.leaves - timedelta(days=1), horizon) if holder.leaves else horizon
        behind = rng.random() < 0.1  # someone whose supervision slips more than most
        kind_of = SESSION_TYPE.get(holder.category, "individual")
        if holder.category == "independent":
            kind_of = "lado" if holder.role == "lado" else "iro_cp_chair"
        last_held, due_on = None, None
        if holder.start >= self.lead_in:
            due_on = self.next_due(holder, None)
            day = holder.start + timedelta(days=rng.randint(3, 14))
        else:
            day = self.lead_in + timedelta(days=rng.randint(0, 25))

        def overdue(resolved_on):
            self.flag(
                "session_overdue",
                "F1-F5",
                due_on,
                resolved=day_start(resolved_on) if resolved_on else None,
                person=holder,
                detail=f"Formal supervision overdue; last held {last_held:%-d %B %Y}"
                if last_held
                else "Formal supervision overdue; none held yet",
                leaves=holder.leaves,
            )

        while day <= stop:
            boss, retry = self.supervisor_on(holder, day)
            if boss is None:
                if retry is None:
                    break
                day = max(retry, day + timedelta(days=1))
                continue
            kind = kind_of
            if kind == "individual" and rng.random() < 0.2:
                kind = "personal_support"
            hour = rng.choice([9, 10, 11, 13, 14, 15])
            cancelled = None
            if day < today and rng.random() < 0.05:
                cancelled_on = max(day - timedelta(days=rng.randint(0, 3)), holder.start)
                late = rng.random() < 0.12
                moved = day + timedelta(days=rng.randint(16, 30) if late else rng.randint(2, 10))
                if moved <= stop:
                    again_by = due.reschedule_due(pack, cancelled_on)
                    cancelled = (cancelled_on, moved, again_by if moved > again_by else None)
            held_on = cancelled[1] if cancelled else day
            if held_on == today:
                hour = rng.choice([9, 10])  # over by the clock's noon
            plan.append((day, hour, boss, kind, cancelled))
            if due_on is not None and held_on > due_on:
                overdue(held_on if held_on <= today else None)
            if held_on <= today:
                last_held = held_on
                holder.held.append(held_on)
            due_on = self.next_due(holder, held_on)
            span = (due_on - held_on).days
            if rng.random() < (0.2 if behind else 0.06):
                day = due_on + timedelta(days=rng.randint(1, max(3, span // 2)))
            else:
                day = due_on - timedelta(days=rng.randint(0, max(1, span // 3)))
            day = max(day, held_on + timedelta(days=1))
        if due_on is not None and due_on < today:
            overdue(None)  # still waiting (cut at leaving by flag())
        return plan

    def _sessions_of(self, holders):
        rng, now = self.rng, self.now
        rows = []
        for holder in holders:
            holder.sessions = []
            for day, hour, boss, kind, cancelled in self._plan(holder):
                minutes = rng.choice([60, 60, 75, 90])
                starts, replaces = at(day, hour), None
                if cancelled:
                    replaces = {
                        "supervisee_id": holder.user_id,
                        "supervisor_id": boss.user_id,
                        "session_type": kind,
                        "starts_at": starts,
                        "ends_at": starts + timedelta(minutes=minutes),
                        "status": "cancelled",
                        "cancelled_by_id": boss.user_id,
                        "cancelled_at": at(cancelled[0], 8, 30),
                        "cancellation_reason": rng.choice(
                            ["Court hearing", "Sickness", "Urgent visit", "Training"]
                        ),
                        "uid": self.uuid(),
                        "created_by_id": boss.user_id,
                        "created_at": starts - timedelta(days=21),
                    }
                    rows.append(replaces)
                    holder.sessions.append((replaces, boss, kind, cancelled))
                    starts = at(cancelled[1], hour)
                row = {
                    "supervisee_id": holder.user_id,
                    "supervisor_id": boss.user_id,
                    "session_type": kind,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=minutes),
                    "status": "held" if starts + timedelta(minutes=minutes) <= now else "planned",
                    "replaces": replaces,
                    "uid": self.uuid(),
                    "created_by_id": boss.user_id,
                    "created_at": starts - timedelta(days=21),
                }
                rows.append(row)
                holder.sessions.append((row, boss, kind, None))
        self.rows.reserve(SupervisionSession, rows)
        for row in rows:
            replaces = row.pop("replaces", None)
            row["replaces_id"] = replaces["id"] if replaces else None
        self.rows.write(SupervisionSession, rows)
        for holder in holders:
            for row, _, _, cancelled in holder.sessions:
                if cancelled and cancelled[2] is not None:
                    self.flag(
                        "cancellation_not_rescheduled",
                        "S4",
                        cancelled[2],
                        resolved=day_start(cancelled[1]) if cancelled[1] <= self.today else None,
                        person=holder,
                        about=f"session {row['id']}",
                        detail=f"Session cancelled on {cancelled[0]:%-d %B %Y}: moved to "
                        f"{cancelled[1]:%-d %B %Y}, after the window",
                        leaves=holder.leaves,
                    )
        self._records(holders)

    def _records(self, holders):
        today = self.today
        detailed_from = today - timedelta(days=396)  # 13 months
        records, signatures, sections, actions = [], [], [], []
        for holder in holders:
            for session, boss, kind, _ in holder.sessions:
                if session["status"] != "held":
                    continue
                records.append(self._record_of(holder, session, boss, kind, signatures=signatures))
        self.rows.write(SupervisionRecord, [r for r, _, _ in records], ids=True)
        self.rows.write(
            Signature,
            [
                {
                    "record_id": r["id"],
                    "signer_id": signer,
                    "role": role,
                    "signed_at": when,
                    "content_hash": HASH,
                }
                for r, signer, role, when in signatures
            ],
        )
        action_flags = []
        for record, holder, held_on in records:
            if held_on >= detailed_from:
                sections += self._sections_of(record)
            self._actions_of(record, holder, held_on, actions=actions, action_flags=action_flags)
        self.rows.write(RecordSection, sections)
        self.rows.write(Action, actions, ids=True)
        finalised = [r["id"] for r, _, _ in records if r["finalised_at"] is not None]
        self.rows.update(SupervisionRecord, finalised, status="finalised")
        for action, holder, due_on, done_on in action_flags:
            self.flag(
                "action_overdue",
                "R4",
                due_on,
                resolved=day_start(done_on) if done_on else None,
                person=holder,
                about=f"action {action['id']}",
                detail=f"Action due {due_on.day} {due_on:%B %Y} not done",
                leaves=holder.leaves,
            )

    def _record_of(self, holder, session, boss, kind, *, signatures: list) -> tuple:
        rng, pack, now = self.rng, self.pack, self.now
        held_on = session["starts_at"].date()
        late = rng.random() < 0.07
        shared_on = due.add_working_days(
            held_on, rng.randint(3, 9) if late else rng.randint(0, pack.record_working_days)
        )
        late_sign = rng.random() < 0.07
        signed_on = shared_on + timedelta(
            days=rng.randint(6, 20) if late_sign else rng.randint(0, 3)
        )
        final_on = signed_on + timedelta(days=rng.randint(0, 2))
        shared_at, signed_at = at(shared_on, 16), at(signed_on, 17)
        final_at = at(final_on, 17, 30)
        # Written as signed and finalised once its sections are in: PostgreSQL refuses
        # a part added to a finalised record.
        record = {
            "session_id": session["id"],
            "template_id": self.templates.get(kind) or self.templates["individual"],
            "status": "draft",
            "supervisee_name": holder.name,
            "supervisor_name": boss.name,
            "shared_at": None,
            "finalised_at": None,
            "created_at": session["ends_at"],
        }
        if shared_at <= now:
            record.update(status="shared", shared_at=shared_at, created_at=shared_at)
            if signed_at <= now:
                record["status"] = "supervisee_signed"
                signatures.append((record, holder.user_id, "supervisee", signed_at))
                if final_at <= now:
                    record["finalised_at"] = final_at
                    signatures.append((record, boss.user_id, "supervisor", final_at))
        record_due = due.record_due(pack, held_on)
        if shared_on > record_due or record["shared_at"] is None:
            self.flag(
                "record_overdue",
                "R6",
                record_due,
                resolved=day_start(shared_on) if record["shared_at"] else None,
                person=holder,
                about=f"session {session['id']}",
                detail=f"Record of the session on {held_on:%-d %B %Y} not yet written",
                leaves=holder.leaves,
            )
        if record["shared_at"] is not None:
            signoff = due.signoff_due(pack, shared_on)
            if final_on > signoff:
                self.flag(
                    "signoff_overdue",
                    "R7, R8",
                    signoff,
                    resolved=day_start(final_on) if record["finalised_at"] else None,
                    person=holder,
                    about=f"session {session['id']}",
                    detail=f"Record of the session on {held_on:%-d %B %Y} waiting for sign-off",
                    leaves=holder.leaves,
                )
        return record, holder, held_on

    def _sections_of(self, record: dict) -> list[dict]:
        rng = self.rng
        sections = []
        finalised = record["finalised_at"] is not None
        for section in self.sections.get(record["template_id"], ()):
            done = rng.random() < (0.85 if finalised else 0.4)
            sections.append(
                {
                    "record_id": record["id"],
                    "template_section_id": section,
                    "text": "Discussed and recorded." if done else "",
                    "progress": "completed" if done else rng.choice(["not_started", "in_progress"]),
                }
            )
        return sections

    def _actions_of(self, record, holder, held_on, *, actions: list, action_flags: list) -> None:
        rng, today, now = self.rng, self.today, self.now
        for position in range(rng.choices([0, 1, 2], [40, 45, 15])[0]):
            owner = rng.choices(["supervisee", "supervisor", "other"], [75, 20, 5])[0]
            due_on = held_on + timedelta(days=rng.randint(14, 42))
            roll = rng.random()
            if roll < 0.05:
                status, done_on = "dropped", due_on - timedelta(days=rng.randint(0, 10))
            elif roll < 0.92:
                late = rng.random() < 0.1
                status = "done"
                done_on = due_on + timedelta(
                    days=rng.randint(1, 30) if late else -rng.randint(0, 10)
                )
            elif due_on > today - timedelta(days=60):
                status, done_on = "open", None
            else:  # left open a while, then dropped
                status, done_on = "dropped", due_on + timedelta(days=rng.randint(10, 60))
            if done_on is not None and at(done_on, 15) > now:
                status, done_on = "open", None
            action = {
                "record_id": record["id"],
                "supervisee_id": holder.user_id,
                "description": rng.choice(
                    [
                        "Update the chronology",
                        "Book the safeguarding refresher",
                        "Read the neglect practice guidance",
                        "Arrange a joint visit",
                        "Complete the assessment",
                    ]
                ),
                "owner": owner,
                "owner_name": "Team administrator" if owner == "other" else "",
                "due_date": due_on,
                "status": status,
                "status_reason": "No longer needed" if status == "dropped" else "",
                "status_changed_at": at(done_on, 15) if done_on else None,
                "position": position,
            }
            actions.append(action)
            if owner == "supervisee" and (done_on is None or done_on > due_on):
                action_flags.append((action, holder, due_on, done_on))

    # --- Agreements, development ------------------------------------------------------------

    def agreements(self):
        """An agreement per line relationship, signed by both at about the first session (now
        and then later than the pack allows, A1), reviewed every year as a new version (now and
        then late, A2), superseded when the relationship ends."""

        rows, signatures = [], []
        for holder in self.holders:
            for boss, starts, ends, relationship_id in holder.lines:
                stop = ends + timedelta(days=1) if ends else None
                signed_on = self._first_agreement_signed(holder, starts, stop=stop)
                self._agreement_versions(
                    holder, boss, relationship_id, signed_on, stop, rows=rows, signatures=signatures
                )
        self.rows.reserve(SupervisionAgreement, rows)
        for row in rows:
            previous = row.pop("previous")
            row["previous_id"] = previous["id"] if previous else None
        self.rows.write(SupervisionAgreement, rows)
        self.rows.write(
            AgreementSignature,
            [
                {
                    "agreement_id": a["id"],
                    "signer_id": signer,
                    "role": role,
                    "signed_at": when,
                    "content_hash": HASH,
                }
                for a, signer, role, when in signatures
            ],
        )

    def _first_agreement_signed(self, holder, starts, *, stop) -> date:
        rng, pack, now = self.rng, self.pack, self.now
        firsts = [d for d in holder.held if d >= starts]
        missing_due = starts + timedelta(days=pack.agreement.draw_up_days)
        if pack.agreement.at_first_session and firsts:
            missing_due = min(missing_due, firsts[0])
        late = rng.random() < 0.12
        signed_on = missing_due + timedelta(days=rng.randint(3, 45) if late else -rng.randint(0, 5))
        signed_on = max(signed_on, starts)
        if signed_on > missing_due:
            in_force = at(signed_on, 11, 30)
            self.flag(
                "agreement_missing",
                "A1",
                missing_due,
                resolved=in_force if in_force <= now else None,
                person=holder,
                detail=f"No supervision agreement in force since the relationship "
                f"began on {starts:%-d %B %Y}",
                leaves=stop,
            )
        return signed_on

    def _agreement_versions(
        self, holder, boss, relationship_id, signed_on, stop, *, rows: list, signatures: list
    ) -> None:
        rng, pack, now = self.rng, self.pack, self.now
        version, previous, starts_on = 1, None, signed_on
        while at(starts_on, 11, 30) <= now and (stop is None or starts_on < stop):
            review = add_months_clamped(starts_on, pack.agreement.review_months)
            late = rng.random() < 0.1
            next_on = review + timedelta(days=rng.randint(5, 60) if late else -rng.randint(0, 40))
            ends_here = stop is not None and next_on >= stop
            superseded_at = None
            if ends_here:
                superseded_at = day_start(stop)
            elif at(next_on, 11, 30) <= now:
                superseded_at = at(next_on, 11, 30)
            if superseded_at is None or superseded_at > day_start(self.lead_in):
                agreement = {
                    "relationship_id": relationship_id,
                    "version": version,
                    "previous": previous,
                    "status": "superseded" if superseded_at else "active",
                    "starts_on": starts_on,
                    "review_due_on": review,
                    "frequency_value": 1,
                    "frequency_unit": "months",
                    "duration_minutes": 90,
                    **dict.fromkeys(SupervisionAgreement.TEXT_SECTIONS, TEXT),
                    "specific_provisions": "",
                    "created_by_id": boss.user_id,
                    "created_at": at(starts_on, 9),
                    "updated_at": at(starts_on, 11, 30),
                    "content_hash": HASH,
                    "superseded_at": superseded_at,
                    "superseded_reason": ""
                    if superseded_at is None
                    else ("Relationship ended" if ends_here else "Reviewed"),
                }
                rows.append(agreement)
                previous = agreement
                for role, signer, hour in (
                    ("supervisee", holder.user_id, 10),
                    ("supervisor", boss.user_id, 11),
                ):
                    signatures.append((agreement, signer, role, at(starts_on, hour, 30)))
            if next_on > review:
                in_force = at(next_on, 11, 30)
                self.flag(
                    "agreement_review_overdue",
                    "A2",
                    review,
                    resolved=in_force if in_force <= now and not ends_here else None,
                    person=holder,
                    detail=f"Agreement of {starts_on:%-d %B %Y} to review",
                    leaves=stop,
                )
            if superseded_at is None or ends_here:
                break
            version, starts_on = version + 1, next_on

    def development(self):
        """Practice observations and development conversations about every six months (now
        and then late: Q1, Q2), probation reviews for new starters (Q3)."""

        pack, today = self.pack, self.today
        observations, conversations, reviews = [], [], []
        schedules = (
            (pack.observations, "observation_due", "Q1", "Practice observation"),
            (pack.development_conversations, "development_plan_due", "Q2", "Development plan"),
        )
        for holder in self.holders:
            if not holder.lines:
                continue
            stop = holder.leaves or today + timedelta(days=1)
            self._observations_and_conversations(
                holder, schedules, stop=stop, observations=observations, conversations=conversations
            )
            if holder.probation_end is None:
                continue
            reviews += self._probation_reviews(holder, stop=stop)
        self.rows.write(PracticeObservation, observations)
        self.rows.write(DevelopmentConversation, conversations)
        self.rows.write(ProbationReview, reviews)

    def _observations_and_conversations(
        self, holder, schedules, *, stop, observations: list, conversations: list
    ) -> None:
        rng, today = self.rng, self.today
        plan_years, review_years = set(), set()
        for schedule, kind, rule, what in schedules:
            if schedule is None or holder.category not in schedule.categories:
                continue
            last, count, day = None, 0, None
            if holder.start < self.lead_in - timedelta(days=200):
                # The last one before the history, so the first in it is due in time.
                day = self.lead_in - timedelta(days=rng.randint(20, 150))
            while True:
                due_on = due.periodic_due(last, holder.start, schedule.per_year)
                before = day is not None
                if day is None:
                    late = rng.random() < 0.1
                    day = due_on + timedelta(
                        days=rng.randint(5, 60) if late else -rng.randint(0, 40)
                    )
                    if last is not None:
                        day = max(day, last + timedelta(days=30))
                if not before and day > due_on:
                    self.flag(
                        kind,
                        rule,
                        due_on,
                        resolved=day_start(day) if day <= today else None,
                        person=holder,
                        detail=f"{what}: {schedule.per_year} a year",
                        leaves=holder.leaves,
                    )
                if day > today or day >= stop:
                    break
                boss = self.line_boss(holder, day)
                if kind == "observation_due":
                    observations.append(
                        {
                            "practitioner_id": holder.user_id,
                            "practitioner_role": JOB_ROLES[holder.role][0],
                            "observer_id": boss.user_id,
                            "observer_role": "Line manager",
                            "observed_on": day,
                            "venue": rng.choice(["Family home", "School", "Contact centre"]),
                            "permission_gained": True,
                            "permission_details": "The family agreed.",
                            "observer_feedback": "Warm, clear and purposeful.",
                            "status": "signed",
                            "signed_by_both_at": at(day + timedelta(days=7), 16),
                            "created_by_id": boss.user_id,
                        }
                    )
                else:
                    # Plan years, one plan and one review each, as the table asks however
                    # the dates drift: a plan in its own year, a review in its plan's year.
                    years = plan_years if count % 2 == 0 else review_years
                    year = day.year if count % 2 == 0 else max(plan_years, default=day.year)
                    while year in years:
                        year += 1
                    years.add(year)
                    conversations.append(
                        {
                            "person_id": holder.user_id,
                            "kind": "plan" if count % 2 == 0 else "review",
                            "year": year,
                            "held_on": day,
                            "goals": "Build confidence in court work.",
                            "agreed_by_id": boss.user_id,
                            "status": "signed",
                            "signed_by_both_at": at(day + timedelta(days=3), 16),
                        }
                    )
                last, count, day = day, count + 1, None

    def _probation_reviews(self, holder, *, stop) -> list[dict]:
        rng, pack, today = self.rng, self.pack, self.today
        reviews = []
        for month, due_on in due.probation_review_dates(pack, holder.start, holder.probation_end):
            late = rng.random() < 0.1
            day = due_on + timedelta(days=rng.randint(3, 30) if late else -rng.randint(0, 7))
            if day > due_on:
                self.flag(
                    "probation_review_due",
                    "Q3",
                    due_on,
                    resolved=day_start(day) if day <= today else None,
                    person=holder,
                    about=f"month {month}",
                    detail=f"Probation review at the end of month {month}",
                    leaves=holder.leaves,
                )
            if day > today or day >= stop:
                break
            reviews.append(
                {
                    "person_id": holder.user_id,
                    "month": month,
                    "due_on": due_on,
                    "held_on": day,
                    "outcome": "confirm" if month == 5 else "on_track",
                    "notes": "Progressing well.",
                    "reviewer_id": self.line_boss(holder, day).user_id,
                }
            )
        return reviews

    # --- Children ---------------------------------------------------------------------------

    def _worker_on(self, team: _Unit, day: date, avoid=None) -> _Holder | None:
        """A caseholder in the team on `day` (not `avoid`); else its team manager."""
        posts = self.caseholding[team.code]
        for _ in range(6):
            holder = self.rng.choice(posts).holder_on(day)
            if holder is not None and holder is not avoid:
                return holder
        for post in posts:
            holder = post.holder_on(day)
            if holder is not None and holder is not avoid:
                return holder
        return team.manager_post.holder_on(day)

    def _segments(self, team: _Unit, opened: datetime, end: datetime | None) -> list:
        """(worker, start, end or None, reason) of each allocation: a worker holds the child
        until they leave (the case moves on the morning of their leaving day) or, now and then,
        until a transfer within the team."""
        rng, now = self.rng, self.now
        segments, moment, reason = [], opened, "new"
        while True:
            worker = self._worker_on(team, moment.date(), segments[-1][0] if segments else None)
            if worker is None:
                return segments
            stop = at(worker.leaves, 9) if worker.leaves else None
            if rng.random() < 0.08:
                left = ((end or now) - moment).days
                if left > 60:
                    moved = moment + timedelta(days=rng.randint(30, left - 1))
                    stop = moved if stop is None else min(stop, moved)
            if stop is not None and (end is None or stop < end) and stop < now:
                segments.append((worker, moment, stop, reason))
                moment, reason = stop, "transfer"
                continue
            segments.append((worker, moment, end, reason))
            return segments

    def children(self):
        rng, pack, today, now = self.rng, self.pack, self.today, self.now
        self.caseholding = defaultdict(list)
        for post in self.posts:
            if post.holds_cases:
                self.caseholding[post.unit.code].append(post)
        teams = [t for t in self.teams if self.caseholding[t.code]]
        if not teams:
            return
        weights = [len(self.caseholding[t.code]) for t in teams]
        span = (today - self.lead_in).days
        durations = {"early_help": (60, 300), "social_work": (60, 1400), "youth_justice": (90, 400)}
        check = None if self.evaluate else now
        children, allocations, ratings, notes = [], [], [], []
        for n in range(self.children_count):
            team = rng.choices(teams, weights)[0]
            service = team.service
            low, high = durations[service]
            length = int(rng.triangular(low, high, low + (high - low) / 4))
            if rng.random() < OPEN_SHARE:
                opened, closed = today - timedelta(days=rng.randint(1, min(length, span - 1))), None
            else:
                closed = today - timedelta(days=rng.randint(1, span - 30))
                opened = max(closed - timedelta(days=length), self.lead_in + timedelta(days=1))
            end = day_start(closed + timedelta(days=1)) if closed else None
            segments = self._segments(team, at(opened, rng.randint(9, 16)), end)
            if not segments:
                continue
            child, levels = self._child_row(
                n, team, segments, opened=opened, closed=closed, check=check
            )
            children.append(child)
            for scale, level in levels.items():
                ratings.append(
                    {
                        "child": child,
                        "scale": scale,
                        "level": level,
                        "set_by_id": segments[0][0].user_id,
                        "set_at": segments[0][1],
                    }
                )
            cycle = due.case_cycle(pack, service, levels)
            behind = rng.random() < 0.12
            discussed_in_service = False
            for worker, starts, ends, reason in segments:
                first_note = self._allocation_with_supervision(
                    child,
                    team,
                    worker,
                    starts,
                    ends,
                    reason,
                    cycle=cycle,
                    behind=behind,
                    allocations=allocations,
                    notes=notes,
                )
                if first_note is not None:
                    discussed_in_service = True
            if closed:
                self._close(
                    child, team, segments, closed, discussed_in_service=discussed_in_service
                )
        self.rows.write(Child, children, ids=True)
        for rows in (allocations, ratings, notes):
            for row in rows:
                row["child_id"] = row.pop("child")["id"]
        self.rows.write(Allocation, allocations)
        self.rows.write(RiskRating, ratings)
        self.rows.write(CaseNote, notes)
        for row in self.flags:
            if isinstance(row["child_id"], dict):
                row["child_id"] = row["child_id"]["id"]

    def _child_row(self, n, team, segments, *, opened, closed, check) -> tuple[dict, dict]:
        rng = self.rng
        service = team.service
        letters = "ABCDEFGHJKLMNPRSTW"
        levels = {"rag": rng.choices(*RAG)[0]}
        if service == "youth_justice":
            levels["serious_harm"] = rng.choices(*YJ_LEVELS)[0]
            levels["safety_wellbeing"] = rng.choices(*YJ_LEVELS)[0]
        child = {
            "reference": f"{self.prefix.upper()}{n:06d}",
            "initials": rng.choice(letters) + rng.choice(letters),
            "date_of_birth": opened - timedelta(days=rng.randint(200, 6200)),
            "service": service,
            "service_since": segments[0][1].date(),
            "plan": rng.choices(*PLANS[service])[0],
            "rag_rating": levels["rag"],
            "serious_harm_level": levels.get("serious_harm", ""),
            "safety_wellbeing_level": levels.get("safety_wellbeing", ""),
            "unit_id": team.id,
            "allocated_worker_id": segments[-1][0].user_id,
            "allocated_at": segments[-1][1],
            "closed_on": closed,
            "last_discussed_at": None,
            "next_review_on": None,
            "next_check_at": check,
            "created_at": segments[0][1],
        }
        return child, levels

    def _allocation_with_supervision(
        self, child, team, worker, starts, ends, reason, *, cycle, behind, allocations, notes
    ) -> datetime | None:
        rng, now = self.rng, self.now
        service, closed = team.service, child["closed_on"]
        hours = self.pack.cases.allocation_hours
        manager = team.manager_post.holder_on(starts.date()) or worker
        roll = rng.random()
        discussed = None
        if roll < 0.9:
            discussed = starts + timedelta(hours=rng.randint(1, 22))
        elif roll < 0.98:
            discussed = starts + timedelta(hours=rng.randint(26, 96))
        if discussed is not None and discussed > now:
            discussed = None
        allocations.append(
            {
                "child": child,
                "worker_id": worker.user_id,
                "unit_id": team.id,
                "service": service,
                "reason": reason,
                "starts_at": starts,
                "ends_at": ends,
                "first_discussed_at": discussed,
                "allocated_by_id": manager.user_id,
            }
        )
        first_note = self._case_supervision_notes(
            child, team, worker, starts, ends, cycle=cycle, behind=behind, notes=notes
        )
        if hours is not None:  # C3: a new allocation discussed within the hours
            # Real hours, as the rules count them (in UTC, so not across a clock change).
            due_at = (starts.astimezone(UTC) + timedelta(hours=hours)).astimezone(LONDON)
            ways = [m for m in (discussed, first_note, ends) if m is not None]
            resolved = min(ways) if ways else None
            if resolved is None or resolved > due_at:
                self.flag(
                    "allocation_not_discussed",
                    "C3",
                    due.local_date(due_at),
                    due_at=due_at,
                    resolved=resolved,
                    person=worker,
                    child=child,
                    about=starts.astimezone(UTC).isoformat(),
                    detail=f"New allocation to discuss within {hours} hours",
                    closes=closed,
                )
        return first_note

    def _case_supervision_notes(
        self, child, team, worker, starts, ends, *, cycle, behind, notes
    ) -> datetime | None:
        rng, now = self.rng, self.now
        service, closed = team.service, child["closed_on"]
        stopped = ends if ends is not None else now
        # Case supervision through the allocation, at the pack's cycle (C1, C2).
        first_note, last = None, starts.date()
        while True:
            due_on = due.step(last, cycle)
            gap = (due_on - last).days
            if rng.random() < (0.25 if behind else 0.05):
                day = due_on + timedelta(days=rng.randint(1, max(5, gap // 2)))
            else:
                day = due_on - timedelta(days=rng.randint(1, max(2, gap // 3)))
            moment = at(day, rng.randint(9, 16))
            final = moment + timedelta(days=rng.randint(0, 2))
            # A note counts once final: a draft, even written in time, leaves the
            # child overdue once the due date passes.
            counts = moment < stopped and final <= now
            if day > due_on or not counts:
                self.flag(
                    "case_review_overdue",
                    "C1, C2",
                    due_on,
                    resolved=moment if counts else ends,
                    person=worker,
                    child=child,
                    about="cycle",
                    detail="Case supervision cycle",
                    closes=closed,
                )
            if moment >= stopped:
                break
            author = (team.manager_post.holder_on(day) or worker).user_id
            notes.append(
                {
                    "child": child,
                    "kind": "case_supervision",
                    "author_id": author,
                    "worker_id": worker.user_id,
                    "unit_id": team.id,
                    "service": service,
                    "discussed_at": moment,
                    "current_situation": "Visits are happening as planned.",
                    "decision": "Continue with the plan.",
                    "reasons": "Progress is being made.",
                    "next_review_on": due.step(day, cycle),
                    "status": "final" if final <= now else "draft",
                    "finalised_at": final if final <= now else None,
                    "finalised_by_id": author if final <= now else None,
                    "content_hash": HASH if final <= now else "",
                    "created_at": moment,
                    "updated_at": min(final, now),
                }
            )
            if not counts:
                break
            first_note = first_note or moment
            child["last_discussed_at"] = moment
            child["next_review_on"] = due.step(day, cycle)
            last = day
        return first_note

    def _close(self, child, team, segments, closed, *, discussed_in_service: bool) -> None:
        rng = self.rng
        closer = team.manager_post.holder_on(closed) or segments[-1][0]
        child.update(
            closed_by_id=closer.user_id,
            closure_reason=rng.choice(["outcomes_met", "stepped_down", "moved_away"]),
            closure_rationale="The work is done and the family agree.",
            closure_supervision_held=discussed_in_service,
        )
        if not discussed_in_service:  # C4
            child["closure_without_supervision_reason"] = "The family moved away first."
            self.flag(
                "closure_without_supervision",
                "C4",
                closed,
                person=segments[-1][0],
                child=child,
                detail=f"Closed on {closed:%-d %B %Y} without formal case supervision "
                "in the closing service",
            )

    # --- Feedback and flags -----------------------------------------------------------------

    def feedback(self):
        """A third of the staff answer the questionnaire about each quarter."""

        rng, now = self.rng, self.now
        rows = []
        quarter = date(self.history_from.year, 3 * ((self.history_from.month - 1) // 3) + 1, 1)
        questions = [
            "happens_when_planned",
            "time_to_reflect",
            "wellbeing_support",
            "decisions_explained",
            "records_accurate_and_shared",
        ]
        while quarter <= self.today:
            ends = add_months_clamped(quarter, 3) - timedelta(days=1)
            for holder in self.holders:
                if rng.random() >= 0.33:
                    continue
                day = ends - timedelta(days=rng.randint(-10, 25))
                moment = at(day, rng.randint(9, 17))
                if moment > now or not holder.on(day):
                    continue
                boss = self.supervisor_on(holder, day)[0]
                if boss is None:
                    continue
                low, high = (3, 5) if rng.random() < 0.75 else (1, 4)
                row = {
                    "respondent_id": holder.user_id,
                    "supervisor_id": boss.user_id,
                    "unit_id": holder.post.unit.id,
                    "period": _quarter(quarter),
                    "comment": "",
                    "created_at": moment,
                }
                row.update({q: rng.randint(low, high) for q in questions})
                rows.append(row)
            quarter = add_months_clamped(quarter, 3)
        self.rows.write(FeedbackResponse, rows)

    def write_flags(self):
        self.rows.write(Flag, self.flags)

    def evaluate_flags(self):
        before = Flag.objects.count()
        scheduled.tick(self.now, look_back=self.now - day_start(self.history_from))
        self.counts["oversight.Flag"] = Flag.objects.count() - before

    # --- All of it --------------------------------------------------------------------------

    def run(self):
        started = clock.perf_counter()

        def timed(name, function, *args):
            begun = clock.perf_counter()
            result = function(*args)
            self.timings[name] = self.timings.get(name, 0) + clock.perf_counter() - begun
            return result

        with transaction.atomic():
            roles = timed("job roles", self.job_roles)
            timed("posts and people", self.structure)
            timed("posts and people", self.people)
            timed("staff", self.write_people, roles)
            timed("relationships and absences", self.relationships)
            timed("relationships and absences", self.absences)
            timed("sessions and records", self.sessions)
            timed("agreements", self.agreements)
            timed("development", self.development)
            timed("children", self.children)
            timed("feedback", self.feedback)
            if not self.evaluate:
                timed("flags", self.write_flags)
        if self.evaluate:
            timed("flag evaluation", self.evaluate_flags)
        self.seconds = clock.perf_counter() - started
        return self


def generate_org(
    *,
    staff: int,
    years: int,
    children: int,
    today: date,
    seed: int = 1,
    prefix: str = "syn",
    turnover: float = 0.13,
    evaluate: bool = False,
) -> dict:
    """Build the organisation (see the module docstring and FLAGS). Returns
    {"counts": {model label: rows written}, "seconds": total, "timings": {step: seconds},
    "directorate": the top Unit, "director": its manager (a User)}."""

    generator = _Generator(
        staff=staff,
        years=years,
        children=children,
        today=today,
        seed=seed,
        prefix=prefix,
        turnover=turnover,
        evaluate=evaluate,
    ).run()
    directorate = Unit.objects.select_related("manager").get(code=f"{prefix}-dir")
    return {
        "counts": dict(sorted(generator.counts.items())),
        "seconds": generator.seconds,
        "timings": generator.timings,
        "directorate": directorate,
        "director": directorate.manager,
    }
