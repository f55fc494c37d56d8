"""The synthetic organisation's supervision over the years: sessions and their records,
agreements, observations, development conversations and probation reviews (see
`demo.synthetic`)."""

from __future__ import annotations

from copy import copy
from datetime import date, timedelta

from agreements.models import AgreementSignature, SupervisionAgreement
from demo.synthetic_people import JOB_ROLES, _Holder, at
from oversight.policy import due
from oversight.policy.due import day_start
from oversight.policy.packs import add_months_clamped
from supervision.models import (
    Action,
    DevelopmentConversation,
    PracticeObservation,
    ProbationReview,
    RecordSection,
    RecordTemplate,
    Signature,
    SupervisionRecord,
    SupervisionSession,
)

SESSION_TYPE = {"senior_manager": "management", "manager": "management"}
HASH = "0" * 64
TEXT = "As agreed between us."


class _Supervision:
    """Part of `demo.synthetic._Generator`, whose state these methods share."""

    # --- Sessions and records ---------------------------------------------------------------

    def next_due(self, holder: _Holder, last: date | None) -> date:
        """The rules' own answer: when the next formal session is due after `last`."""
        facts = holder.facts
        if last is not None:
            held = (due.HeldSession(held_on=last, session_type="individual"),)
            # dataclasses.replace, without running __init__ over every field again: asked
            # once a session, millions of times at national scale (PersonFacts is a plain
            # frozen dataclass, nothing worked out from its fields).
            facts = copy(facts)
            object.__setattr__(facts, "sessions", held)
        return due.next_session_due(self.pack, facts)

    def working_days_after(self, day: date, days: int) -> date:
        """`due.add_working_days`, remembered: a few thousand distinct days and counts make
        every record's dates, millions of times at national scale."""
        key = (None, day, days)
        found = self.working_days.get(key)
        if found is None:
            found = self.working_days[key] = due.add_working_days(day, days)
        return found

    def due_after(self, rule, day: date) -> date:
        """`rule(self.pack, day)` (record_due, signoff_due), remembered likewise."""
        key = (rule, day, None)
        found = self.working_days.get(key)
        if found is None:
            found = self.working_days[key] = rule(self.pack, day)
        return found

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
        for chunk in self.chunks(self.holders):
            self._sessions_of(chunk)
            for holder in chunk:
                holder.sessions = None  # written: let them go
                # All the agreements need of the sessions held: the first on or after the
                # start of each line relationship (as a list of every day held, ten years
                # of sessions would stay in memory to the end).
                holder.first_held = {
                    starts: next((d for d in holder.held if d >= starts), None)
                    for _, starts, _, _ in holder.lines
                }
                holder.held = None
            self.flush_flags()

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
        """The sessions, records, signatures, sections and actions of a chunk of people, each
        person's drawn together so that the chunk changes what is written when, never what."""
        made = {"sessions": [], "records": [], "signatures": [], "sections": [], "actions": []}
        for holder in holders:
            made["sessions"] += self._sessions_for(holder)
            self._records_for(holder, made)
            holder.sessions = None  # made: let them go
        self.rows.write(SupervisionSession, made["sessions"])
        # A record's sections go in before the record itself, which is written in its last
        # state (finalised or not): the database refuses a part added to a finalised record,
        # and an UPDATE of every finalised record afterwards would write each row twice.
        # The sections' key to their record is checked at commit.
        self.rows.write(RecordSection, made["sections"])
        self.rows.write(SupervisionRecord, made["records"])
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
                for r, signer, role, when in made["signatures"]
            ],
        )
        self.rows.write(Action, made["actions"])

    def _sessions_for(self, holder) -> list[dict]:
        rng, now = self.rng, self.now
        rows = []
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
        return rows

    def _records_for(self, holder, made: dict) -> None:
        detailed_from = self.today - timedelta(days=396)  # 13 months
        records, actions, action_flags = [], [], []
        for session, boss, kind, _ in holder.sessions:
            if session["status"] != "held":
                continue
            session["no_record"] = False  # written after this (SupervisionSession.no_record)
            records.append(
                self._record_of(holder, session, boss, kind, signatures=made["signatures"])
            )
        self.rows.reserve(SupervisionRecord, [r for r, _, _ in records])
        for record, _, held_on in records:
            if held_on >= detailed_from:
                made["sections"] += self._sections_of(record)
            self._actions_of(record, holder, held_on, actions=actions, action_flags=action_flags)
        self.rows.reserve(Action, actions)
        made["records"] += [r for r, _, _ in records]
        made["actions"] += actions
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
        shared_on = self.working_days_after(
            held_on, rng.randint(3, 9) if late else rng.randint(0, pack.record_working_days)
        )
        late_sign = rng.random() < 0.07
        signed_on = shared_on + timedelta(
            days=rng.randint(6, 20) if late_sign else rng.randint(0, 3)
        )
        final_on = signed_on + timedelta(days=rng.randint(0, 2))
        shared_at, signed_at = at(shared_on, 16), at(signed_on, 17)
        final_at = at(final_on, 17, 30)
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
                    record.update(status="finalised", finalised_at=final_at)
                    signatures.append((record, boss.user_id, "supervisor", final_at))
        record_due = self.due_after(due.record_due, held_on)
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
            signoff = self.due_after(due.signoff_due, shared_on)
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

        for chunk in self.chunks(self.holders):
            self._agreements_of(chunk)
            self.flush_flags()

    def _agreements_of(self, holders):
        rows, signatures = [], []
        for holder in holders:
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
        first = holder.first_held.get(starts)
        missing_due = starts + timedelta(days=pack.agreement.draw_up_days)
        if pack.agreement.at_first_session and first is not None:
            missing_due = min(missing_due, first)
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
        schedules = (
            (pack.observations, "observation_due", "Q1", "Practice observation"),
            (pack.development_conversations, "development_plan_due", "Q2", "Development plan"),
        )
        for chunk in self.chunks(self.holders):
            observations, conversations, reviews = [], [], []
            for holder in chunk:
                if not holder.lines:
                    continue
                stop = holder.leaves or today + timedelta(days=1)
                self._observations_and_conversations(
                    holder,
                    schedules,
                    stop=stop,
                    observations=observations,
                    conversations=conversations,
                )
                if holder.probation_end is None:
                    continue
                reviews += self._probation_reviews(holder, stop=stop)
            self.rows.write(PracticeObservation, observations)
            self.rows.write(DevelopmentConversation, conversations)
            self.rows.write(ProbationReview, reviews)
            self.flush_flags()

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
