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

They are made and written `chunk` people (or children) at a time, each person's rows drawn
together, so memory holds the posts and the people who held them (about a kilobyte each) and
one chunk's rows, not the organisation: with ten years, 209 MB at 2,000 staff and 230 MB at
8,000, where holding every row took a gigabyte (with --workers 2, whose walk adds a few
chunks' histories: 288 MB at 1,000 staff, 349 MB at 8,000). The chunk changes when rows are
written, never what they are. Time is linear too: from 1,000 to 8,000 staff each step's CPU
grew 8.0 to 8.6 times (this process and its workers, 46 to 367 s), so the national
organisation is about 7.5 times 8,000's work. The standards' walk costs about 6 ms of CPU a
person in the rules and 2 ms reading the person's history back (at 2,000 staff), whatever
the organisation's size: its reads go through indexes (see `_by_index`).
A finalised record is written finalised, after its sections (the database refuses a part
added to a finalised record; nothing is updated afterwards). No audit entries are written:
the audit log records what people did, and nobody did this. The tables filled are ANALYZEd
once the load commits.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import random
import time as clock
import uuid
from collections import Counter, defaultdict, deque
from contextlib import contextmanager
from datetime import date, timedelta

from django.db import connection, transaction

from demo.synthetic_children import _Children
from demo.synthetic_people import JOB_ROLES, _Holder, _Post, _Unit, at
from demo.synthetic_supervision import _Supervision
from demo.synthetic_writer import _Writer, peak_mb
from oversight.flags import facts, scheduled, spells
from oversight.models import FeedbackResponse, Flag
from oversight.policy import choice, due
from oversight.policy.due import day_start
from oversight.policy.packs import add_months_clamped
from oversight.reports import home_kept
from supervision.models import (
    JobRole,
    StaffProfile,
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
# People (or children) whose rows are made and written together: memory holds one chunk's
# rows whatever the organisation's size, and a round trip or two per table per chunk is
# nothing beside the rows.
CHUNK = 250
PROGRESS_EVERY = 5000  # people walked between two reports of the standards' walk (-v 2)
MANAGERS = ("director", "service_manager", "team_manager")
CHIEF = "chief_executive"


_WALK = {}  # the standards' walk's (versions, start, now), inherited by forked workers
_PLANS = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


@contextmanager
def _by_index():
    """A chunk's facts read through their keys' indexes (PostgreSQL): statistics or not, the
    planner hash-joins a whole table for a few hundred people (at 3,000 staff, 297 ms against
    68 ms for the records, 287 against 125 for the signatures), and tables grow with the
    organisation, so per chunk the reads would too. The settings are put back after."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in _PLANS))
        before = cursor.fetchone()
        for name in _PLANS:
            cursor.execute("SELECT set_config(%s, 'off', true)", [name])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in zip(_PLANS, before, strict=True):
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _standard_flag_rows(histories) -> list[dict]:
    """The standards' flags of a batch of people's histories, as rows to write."""
    versions, start, now = _WALK["args"]
    fields = [f.attname for f in Flag._meta.concrete_fields if not f.primary_key]
    found = spells.standard_flags(histories, versions, start, now)
    return [{name: getattr(flag, name) for name in fields} for flag in found]


class _Walked:
    """-v 2: the standards' walk reports the people walked every PROGRESS_EVERY, with the
    seconds so far, so a national run of an hour shows its rate and how far it has to go."""

    def __init__(self, generator, people: int):
        self.report, self.people, self.done = generator.progress, people, 0
        self.next = PROGRESS_EVERY
        self.began = clock.perf_counter()
        self.started = generator.started

    def add(self, people: int) -> None:
        self.done += people
        if self.report is None or self.done < self.next or self.done >= self.people:
            return
        self.next = self.done + PROGRESS_EVERY
        rate = self.done / max(clock.perf_counter() - self.began, 1e-9)
        self.report(
            f"standards' flags, {self.done:,} of {self.people:,} people ({rate:,.0f} a second)",
            clock.perf_counter() - self.started,
        )


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


class _Generator(_Supervision, _Children):
    def __init__(
        self,
        *,
        staff,
        years,
        children,
        today,
        seed,
        prefix,
        turnover,
        evaluate,
        chunk,
        method,
        progress=None,
        workers=1,
        hold_triggers=True,
    ):
        if Unit.objects.filter(code=f"{prefix}-dir").exists():
            raise ValueError(f"An organisation with the prefix {prefix!r} is already here.")
        if staff < 8:
            raise ValueError("An organisation needs at least 8 staff.")
        if years < 1:
            raise ValueError("Give at least 1 year of history.")
        if chunk < 1:
            raise ValueError("A chunk is at least 1 person or child.")
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
        self.rows = _Writer(self.now, self.counts, method)
        self.chunk, self.progress = chunk, progress
        if workers < 1:
            raise ValueError("Give at least 1 worker.")
        self.workers = workers
        self.hold_triggers = hold_triggers
        self.salt = int.from_bytes(hashlib.sha256(prefix.encode()).digest()[:16], "big")
        self.flags = []
        self.timings, self.cpu, self.peaks = {}, {}, {}
        self.working_days = {}  # (day, working days): the day that many after

    def chunks(self, items):
        """`items` a chunk at a time: what is made for one chunk is written before the next
        is made, so memory holds a chunk's rows, not the organisation's."""
        for start in range(0, len(items), self.chunk):
            yield items[start : start + self.chunk]

    def flush_flags(self):
        """Write the flags raised so far (each one's child, if any, already written); with
        `evaluate`, the flag job raises them instead."""
        if not self.evaluate:
            self.rows.write(Flag, self.flags)
        self.flags = []
        self.rows.check_keys()  # a chunk's rows all written: what they point at is there

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
        rng, n = self.rng, 0
        for chunk in self.chunks(self.holders):
            users = []
            for holder in chunk:
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
                n += 1
            self.rows.write(User, users, ids=True)
            for holder, user in zip(chunk, users, strict=True):
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
        for chunk in self.chunks(self.holders):
            self.rows.write(StaffProfile, self._profiles_of(chunk, roles, check))

    def _profiles_of(self, holders, roles, check) -> list[dict]:
        profiles = []
        for holder in holders:
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
        return profiles

    # --- Supervision relationships and absences ---------------------------------------------

    def relationships(self):
        for chunk in self.chunks(self.holders):
            self._relationships_of(chunk)

    def _relationships_of(self, holders):
        rows = []
        for holder in holders:
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
        for holder in holders:
            holder.lines = [(b, s, e, row["id"]) for b, s, e, row in holder.lines]

    def absences(self):
        """Managers away: a fortnight's leave a year (too short to need cover), and now and
        then a long absence, with temporary cover by their own manager for the people they
        supervise, arranged after a while: sometimes later than the pack allows (S5)."""

        self.away = defaultdict(list)  # id(holder) -> [(first day, last day or None, cover)]
        for chunk in self.chunks(self.holders):
            rows = []
            for holder in chunk:
                if holder.post.kind in MANAGERS:
                    rows += self._absences_of(holder)
            self.rows.write(SupervisorAbsence, rows)
        # Cover for each person the absent manager line supervised when the absence began.
        self.covered = {}
        for chunk in self.chunks(self.holders):
            covers = []
            for holder in chunk:
                covers += self._covers_for(holder)
            self.rows.write(SupervisoryRelationship, covers)
            self.flush_flags()

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
                if len(rows) >= self.chunk:
                    self.rows.write(FeedbackResponse, rows)
                    rows = []
            quarter = add_months_clamped(quarter, 3)
        self.rows.write(FeedbackResponse, rows)

    def standard_flags(self):
        """The standards' flags (F6, S3, Q5, C6), from the rules themselves over the facts just
        written: this generator copies only the older rules. Each chunk's histories are read
        here; with `workers` over 1, they are walked in that many forked processes while the
        next chunks are read and the flags found are written, in the chunks' order."""
        _WALK["args"] = choice.pack_versions(), day_start(self.history_from), self.now
        # Read back a chunk at a time: planned on statistics of the rows now in the tables,
        # not of empty ones (a whole-table scan per chunk), so the reads grow with the chunk.
        self.rows.analyse()

        def histories():
            for chunk in self.chunks(self.holders):
                ids = [holder.user_id for holder in chunk]
                profiles = facts._profiles().filter(user_id__in=ids).order_by("user_id")
                with _by_index():
                    batch = facts.person_histories(profiles)
                yield batch, len(chunk)

        walked = _Walked(self, len(self.holders))
        if self.workers <= 1:
            for batch, people in histories():
                # Through the writer like every other row: one way into each table.
                self.rows.write(Flag, _standard_flag_rows(batch))
                self.rows.check_keys()
                walked.add(people)
            return
        # Forked: the workers inherit the walk's arguments and never use the connection
        # (the rows they would read are not committed yet); the batches are read here.
        with multiprocessing.get_context("fork").Pool(self.workers) as pool:
            waiting = deque()
            for batch, people in histories():
                waiting.append((pool.apply_async(_standard_flag_rows, (batch,)), people))
                while len(waiting) > 2 * self.workers:
                    walked.add(self._write_walked(waiting.popleft()))
            while waiting:
                walked.add(self._write_walked(waiting.popleft()))

    def _write_walked(self, waiting) -> int:
        rows, people = waiting
        self.rows.write(Flag, rows.get())
        self.rows.check_keys()
        return people

    def evaluate_flags(self):
        before = Flag.objects.count()
        scheduled.tick(self.now, look_back=self.now - day_start(self.history_from))
        self.counts["oversight.Flag"] = Flag.objects.count() - before

    # --- All of it --------------------------------------------------------------------------

    def run(self):
        started = self.started = clock.perf_counter()

        def took(name, begun):
            wall, cpu = begun
            self.timings[name] = self.timings.get(name, 0) + clock.perf_counter() - wall
            self.cpu[name] = self.cpu.get(name, 0) + clock.process_time() - cpu
            self.peaks[name] = peak_mb()
            if self.progress is not None:
                self.progress(name, clock.perf_counter() - started)

        def timed(name, function, *args):
            begun = clock.perf_counter(), clock.process_time()
            result = function(*args)
            took(name, begun)
            return result

        with transaction.atomic():
            self.held = self.hold_triggers and self.rows.hold_triggers()
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
                timed("flags", self.flush_flags)
                timed("standards' flags", self.standard_flags)
            if self.held:
                timed("what the triggers do, for the whole load", self.rows.write_held)
            committing = clock.perf_counter(), clock.process_time()
        # The keys written before their rows are checked here, all at once.
        took("commit", committing)
        if not self.held:
            # The triggers noted the people of every row: the homes would read them all until
            # the hourly compaction (at 2,000 staff, 150 ms a supervisor's home).
            timed("notes of writes compacted", home_kept.compact)
        timed("statistics (ANALYZE)", self.rows.analyse)
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
    chunk: int = CHUNK,
    method: str | None = None,
    progress=None,
    workers: int = 1,
    hold_triggers: bool = True,
) -> dict:
    """Build the organisation (see the module docstring and FLAGS), `chunk` people (or
    children) at a time; `method` "copy" (PostgreSQL's default) or "insert"; `progress`, if
    given, is called with each step's name and the seconds so far as the step ends; `workers`
    forked processes walk the standards' flags (the slowest step at national scale). Returns
    {"counts": {model label: rows written}, "seconds": total, "timings": {step: seconds},
    "cpu": {step: this process's CPU seconds, the database's apart},
    "peaks": {step: this process's peak memory in MB when it ended},
    "directorate": the top Unit, "director": its manager (a User), "triggers_held": whether the
    tables' triggers were held off for the load (`hold_triggers`, on PostgreSQL with the right
    to) and their work done once for it}."""

    generator = _Generator(
        staff=staff,
        years=years,
        children=children,
        today=today,
        seed=seed,
        prefix=prefix,
        turnover=turnover,
        evaluate=evaluate,
        chunk=chunk,
        method=method,
        progress=progress,
        workers=workers,
        hold_triggers=hold_triggers,
    ).run()
    directorate = Unit.objects.select_related("manager").get(code=f"{prefix}-dir")
    return {
        "counts": dict(sorted(generator.counts.items())),
        "seconds": generator.seconds,
        "timings": generator.timings,
        "cpu": generator.cpu,
        "peaks": generator.peaks,
        "directorate": directorate,
        "director": directorate.manager,
        "triggers_held": generator.held,
    }
