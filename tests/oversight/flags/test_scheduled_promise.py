"""The flag job's promise: the compliance report for any moment equals the flags held then, across
a year of facts entered through the services with the clock held at each moment.
The ticks themselves are tested in test_scheduled.py."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework import services as casework
from casework import transfer_services
from oversight.flags import sync
from oversight.flags.compliance import compliance_rows, held_rows
from oversight.flags.scheduled import tick
from oversight.models import Flag, FlagKind
from supervision.development import services as development_services
from supervision.models import StaffProfile
from supervision.people.services import relationship_change_line_supervisor
from supervision.records import services as record_services
from supervision.sessions import planning
from tests.conftest import SUPERVISEE_PASSWORD
from tests.oversight.flags.small_org import (
    Org,
    at,
    build_org,
    flags_of,
    local,
)


@pytest.fixture
def org(db):
    with at(local(2026, 2, 1, 9)):
        return build_org()


# --- The promise: the report for any moment equals the flags held then -----------------------


def write_up(session, by, shared: datetime, signed=None, final=None, actions=()):
    """The record of a session: started and shared at `shared`, signed and finalised later."""
    with at(shared):
        record = record_services.record_start(session=session, by=by)
        for description, due_date in actions:
            record_services.action_add(
                record=record,
                description=description,
                owner="supervisee",
                owner_name="",
                due_date=due_date,
                by=by,
            )
        record_services.record_share(record=record, by=by)
    if signed:
        with at(signed):
            record_services.record_sign(
                record=record, password=SUPERVISEE_PASSWORD, by=session.supervisee
            )
    if final:
        with at(final):
            record_services.record_finalise(record=record, password=SUPERVISEE_PASSWORD, by=by)
    return record


class Month:
    """Five weeks of an organisation's life, 1 March to 5 April 2026 (British Summer Time
    begins on 29 March): facts entered on time and some late, and the job ticking six times a
    day. The comments give what the rules make of each event (Kent, Kent's policy)."""

    TICKS = ((0, 5), (6, 0), (9, 15), (12, 30), (17, 45), (23, 55))
    FIRST, LAST = date(2026, 3, 1), date(2026, 4, 5)

    def __init__(self, org: Org):
        self.org = org
        self.events: list[tuple[datetime, str, object]] = []
        self.notes = {}
        self.sessions = {}
        self.records = {}
        self.children = {}

    def on(self, moment: datetime, what: str):
        def register(write):
            self.events.append((moment, what, write))
            return write

        return register

    def history(self):
        """Before the month: people, their agreements and first sessions, the children."""
        org = self.org
        with at(local(2025, 10, 31, 9)):
            self.m2 = org.person("m2", date(2024, 1, 8), category="manager")
            self.p1 = org.person("p1", date(2024, 1, 8))
            self.p2 = org.person("p2", date(2026, 2, 2), probation_end_date=date(2026, 8, 2))
            self.a1 = org.person("a1", date(2026, 2, 16), category="asye")
            StaffProfile.objects.filter(user=self.a1).update(asye_start_date=date(2026, 2, 16))
        with at(local(2025, 11, 1, 9)):
            c4 = org.child("NS400004", self.p1, local(2025, 11, 1, 9))
        with at(local(2025, 11, 1, 13)):
            org.discuss(c4, local(2025, 11, 1, 12))  # C1: next due 30 January: overdue
        with at(local(2025, 12, 1, 9)):
            c1 = org.child("NS400001", self.p1, local(2025, 12, 1, 9))
        with at(local(2025, 12, 1, 15)):
            org.discuss(c1, local(2025, 12, 1, 14))  # next due 1 March
        with at(local(2026, 2, 1, 9)):
            c5 = org.child("NS400005", self.p2, local(2026, 2, 1, 9))  # never discussed
            development_services.observation_record(
                practitioner=self.p1,
                by=org.manager,
                observer_role="Line manager",
                observed_on=date(2026, 2, 1),
                venue="Family home",
                permission_gained=True,
            )
            development_services.conversation_record(
                person=self.p1,
                kind="plan",
                year=2026,
                held_on=date(2026, 2, 1),
                goals="Court skills",
                by=org.manager,
            )
        with at(local(2026, 2, 2, 9)):
            org.agree(self.p2, starts_on=date(2026, 2, 2))
        with at(local(2026, 2, 5, 10)):
            # F7: every three weeks, more often than Kent's month.
            org.agree(self.p1, frequency=3, unit="weeks", starts_on=date(2026, 2, 5))
        with at(local(2026, 2, 10, 11)):
            first = org.held(self.p1, local(2026, 2, 10, 10))
        write_up(
            first, org.manager, local(2026, 2, 11, 9), local(2026, 2, 11, 12), local(2026, 2, 12, 9)
        )
        with at(local(2026, 2, 16, 10)):
            c2 = org.child(
                "NS400002",
                self.a1,
                local(2026, 2, 16, 10),
                service="youth_justice",
                serious_harm_level="medium",
                safety_wellbeing_level="low",
            )
        with at(local(2026, 2, 16, 16)):
            org.discuss(c2, local(2026, 2, 16, 15))  # C2: medium, 60 days
        for day in (16, 23):
            with at(local(2026, 2, day, 11)):
                held = org.held(self.a1, local(2026, 2, day, 10))
            write_up(
                held,
                org.manager,
                local(2026, 2, day + 1, 9),
                local(2026, 2, day + 1, 12),
                local(2026, 2, day + 2, 9),
            )
        with at(local(2026, 2, 20, 9)):
            self.sessions["p1 9 March"] = org.planned(self.p1, local(2026, 3, 9, 10))
            self.sessions["p2 20 March"] = org.planned(self.p2, local(2026, 3, 20, 10))
        self.children = {"c1": c1, "c2": c2, "c4": c4, "c5": c5}

    def plan(self):
        org, p1, p2, a1, m2 = self.org, self.p1, self.p2, self.a1, self.m2
        c1, c2, c4, c5 = (self.children[k] for k in ("c1", "c2", "c4", "c5"))
        manager = org.manager

        # A1 (ASYE, F2): weekly for six weeks from 16 February, fortnightly from 30 March.
        for day in (2, 9, 18):

            @self.on(local(2026, 3, day, 11), f"a1 session {day} March")
            def _(day=day):
                held = org.held(a1, local(2026, 3, day, 10))
                self.sessions[f"a1 {day}"] = held

            @self.on(local(2026, 3, day + 1, 9), f"a1 record {day} March")
            def _(day=day):
                write_up(self.sessions[f"a1 {day}"], manager, local(2026, 3, day + 1, 9))

        # Missed 16 March: overdue from 17 March until held on 18 March. Missed 25 March:
        # overdue from 26 March (GMT) to the session on 30 March (BST).
        @self.on(local(2026, 3, 30, 11), "a1 session 30 March")
        def _():
            org.held(a1, local(2026, 3, 30, 10))

        # A1: no agreement since the first session on 16 February (A1); signed 4 March.
        @self.on(local(2026, 3, 4, 15), "a1 agreement")
        def _():
            org.agree(a1, starts_on=date(2026, 3, 4))

        # P2: month-1 probation review due 2 March, held 5 March, entered 6 March (Q3).
        @self.on(local(2026, 3, 6, 10), "p2 probation review")
        def _():
            development_services.probation_review_record(
                person=p2,
                month=1,
                held_on=date(2026, 3, 5),
                outcome="on_track",
                notes="Settling in.",
                by=manager,
            )

        # P2: first session due 2 March; held 4 March.
        @self.on(local(2026, 3, 4, 11), "p2 session")
        def _():
            self.sessions["p2 4 March"] = org.held(p2, local(2026, 3, 4, 10))

        @self.on(local(2026, 3, 5, 9), "p2 record")
        def _():
            write_up(
                self.sessions["p2 4 March"],
                manager,
                local(2026, 3, 5, 9),
                local(2026, 3, 6, 9),
                local(2026, 3, 9, 9),
                actions=[("Book the course", date(2026, 3, 28))],
            )

        # S4: the session of 20 March cancelled on 12 March, none held until 1 April.
        @self.on(local(2026, 3, 12, 9), "p2 cancellation")
        def _():
            planning.session_cancel(
                session=self.sessions["p2 20 March"], by=manager, reason="Court"
            )

        @self.on(local(2026, 4, 1, 11), "p2 session 1 April")
        def _():
            self.sessions["p2 1 April"] = org.held(p2, local(2026, 4, 1, 10))

        @self.on(local(2026, 4, 2, 9), "p2 record 1 April, action done")
        def _():
            record = record_services.record_start(session=self.sessions["p2 1 April"], by=manager)
            action = p2.supervision_actions.get()
            record_services.action_review(
                record=record, action=action, outcome="done", note="", by=manager
            )
            record_services.record_share(record=record, by=manager)

        # P1: every three weeks by agreement, so due 3 March; held 9 March.
        @self.on(local(2026, 3, 9, 11, 30), "p1 session held")
        def _():
            planning.session_record_outcome(
                session=self.sessions["p1 9 March"], by=manager, status="held"
            )

        @self.on(local(2026, 3, 9, 12), "p1 record started")
        def _():
            record = record_services.record_start(session=self.sessions["p1 9 March"], by=manager)
            record_services.action_add(
                record=record,
                description="Read the neglect guidance",
                owner="supervisee",
                owner_name="",
                due_date=date(2026, 3, 20),
                by=manager,
            )
            self.records["p1 9 March"] = record

        # R6: due 11 March, shared 13 March.
        @self.on(local(2026, 3, 13, 16), "p1 record shared late")
        def _():
            record_services.record_share(record=self.records["p1 9 March"], by=manager)

        @self.on(local(2026, 3, 16, 9), "p1 record signed")
        def _():
            record_services.record_sign(
                record=self.records["p1 9 March"], password=SUPERVISEE_PASSWORD, by=p1
            )

        @self.on(local(2026, 3, 20, 15), "p1 record finalised")
        def _():
            record_services.record_finalise(
                record=self.records["p1 9 March"], password=SUPERVISEE_PASSWORD, by=manager
            )

        # A change of supervisor from 23 March, entered on 20 March: the agreement is
        # superseded at once (A2), so none is in force from 20 March.
        @self.on(local(2026, 3, 20, 10), "p1 change of supervisor")
        def _():
            relationship_change_line_supervisor(
                supervisee=p1, new_supervisor=m2, on=date(2026, 3, 23), by=manager
            )

        # Held on 23 March with the new supervisor, entered on 27 March with its record:
        # the record was overdue on 26 March, unseen by any tick.
        @self.on(local(2026, 3, 27, 9), "p1 late session and record, action done")
        def _():
            held = org.held(p1, local(2026, 3, 23, 10), by=m2)
            record = record_services.record_start(session=held, by=m2)
            action = p1.supervision_actions.get()
            record_services.action_review(
                record=record, action=action, outcome="done", note="", by=m2
            )
            record_services.record_share(record=record, by=m2)

        @self.on(local(2026, 3, 30, 11), "p1 agreement with the new supervisor")
        def _():
            org.agree(p1, starts_on=date(2026, 3, 30))

        # C1: due 1 March; discussed 9 March at 2pm, the note finalised a week later.
        @self.on(local(2026, 3, 9, 15), "c1 discussed")
        def _():
            self.notes["c1"] = org.discuss(c1, local(2026, 3, 9, 14), final=False)

        @self.on(local(2026, 3, 16, 10), "c1 note finalised")
        def _():
            casework.case_note_finalise(
                note=self.notes["c1"], password=SUPERVISEE_PASSWORD, by=manager
            )

        # C2 (youth justice): serious harm rises to very high on 10 March, so the 30-day
        # cycle from 16 February applies: due 18 March; discussed 24 March.
        @self.on(local(2026, 3, 10, 11), "c2 risk rises")
        def _():
            casework.risk_rating_set(child=c2, scale="serious_harm", level="very_high", by=manager)

        @self.on(local(2026, 3, 24, 11), "c2 discussed")
        def _():
            org.discuss(c2, local(2026, 3, 24, 10))

        # C3: a new allocation on 10 March at 9am, discussed the next day at 3pm.
        @self.on(local(2026, 3, 10, 9), "c3 allocated")
        def _():
            self.children["c3"] = org.child("NS400003", p2, local(2026, 3, 10, 9))

        @self.on(local(2026, 3, 11, 16), "c3 discussed")
        def _():
            org.discuss(self.children["c3"], local(2026, 3, 11, 15), final=False)

        # C4: overdue since 31 January, transferred to P2 on 20 March, discussed 23 March.
        @self.on(local(2026, 3, 10, 12), "c4 transfer planned")
        def _():
            self.transfer = transfer_services.transfer_plan(
                child=c4,
                to_unit=org.team,
                to_worker=p2,
                to_service="social_work",
                planned_for=date(2026, 3, 20),
                reason="Caseloads balanced",
                by=manager,
            )

        @self.on(local(2026, 3, 20, 10), "c4 transferred")
        def _():
            transfer_services.transfer_complete(transfer=self.transfer, by=manager)

        @self.on(local(2026, 3, 23, 12), "c4 discussed")
        def _():
            org.discuss(c4, local(2026, 3, 23, 11), final=False)

        # C5: never discussed; closed on 25 March, entered on 26 March (C4).
        @self.on(local(2026, 3, 26, 10), "c5 closed")
        def _():
            transfer_services.child_close(
                child=c5,
                closed_on=date(2026, 3, 25),
                closure_reason="outcomes_met",
                closure_rationale="The family no longer need the service.",
                closure_without_supervision_reason="The manager was on leave.",
                by=manager,
            )

    def run(self):
        self.history()
        self.plan()
        moments = list(self.events)
        day = self.FIRST
        while day <= self.LAST:
            moments += [
                (local(day.year, day.month, day.day, h, m), "tick", None) for h, m in self.TICKS
            ]
            day += timedelta(days=1)
        self.ticks = []
        rows = 0
        for moment, _, write in sorted(moments, key=lambda e: (e[0], e[1] == "tick")):
            with at(moment):
                if write is None:
                    tick(moment)
                    self.ticks.append(moment)
                    # Never deleted; never two open flags for one item.
                    assert Flag.objects.count() >= rows
                    rows = Flag.objects.count()
                    open_items = Flag.objects.filter(resolved_at__isnull=True).values_list(
                        "kind", "person", "child", "about"
                    )
                    assert len(open_items) == len(set(open_items))
                else:
                    write()

    def moments(self) -> list[datetime]:
        """Moments to compare: across each day, at day boundaries in London, either side of
        every event and every flag's start and end, and around the clocks going forward."""
        found = set()
        day = date(2026, 2, 10)
        while day <= self.LAST:
            for h, m in ((0, 0), (9, 0), (12, 0), (15, 0)):
                found.add(local(day.year, day.month, day.day, h, m))
            found.add(local(day.year, day.month, day.day, 23, 59, 59, 999999))
            day += timedelta(days=1)
        edges = [m for m, _, _ in self.events]
        for flag in Flag.objects.all():
            edges += [flag.overdue_since, *([flag.resolved_at] if flag.resolved_at else [])]
        for edge in edges:
            for delta in (timedelta(0), timedelta(microseconds=1), -timedelta(seconds=1)):
                found.add(edge + delta)
        utc = ZoneInfo("UTC")
        for h, m, s in ((0, 59, 59), (1, 0, 0), (1, 0, 1), (23, 0, 0)):
            found.add(datetime(2026, 3, 29, h, m, s, tzinfo=utc))
        end = self.ticks[-1]
        return sorted(m for m in found if m <= end)


def test_the_report_for_any_moment_equals_the_flags_held_then(org):
    """Issue 7, point 7: "compliance --as-of T must equal what the flags table says held at T,
    when the job has been running", for facts entered on time and late."""
    month = Month(org)
    month.run()

    checked = 0
    # Before the first evaluation's look back, only spells still open then were kept (the
    # package's own limits, oversight/flags/__init__.py): a month short of supervision time in
    # 2024 began and ended long before.
    kept_from = month.ticks[0] - sync.LATE_FACTS_WINDOW
    for moment in month.moments():
        if moment < kept_from:
            continue
        held, reported = held_rows(moment), compliance_rows(moment)
        assert held == reported, (moment, set(held) - set(reported), set(reported) - set(held))
        checked += 1
    assert checked > 300

    def one(kind, **subject):
        (found,) = [f for f in flags_of(kind=kind, **subject) if f.resolved_at != f.overdue_since]
        return found

    c1, c4 = month.children["c1"], month.children["c4"]
    # Dated by the facts, not by the ticks that noticed them.
    assert one(FlagKind.CASE_REVIEW_OVERDUE, child=c1).resolved_at == local(2026, 3, 9, 14)
    review = flags_of(child=c4, kind=FlagKind.CASE_REVIEW_OVERDUE)
    assert [(f.person, f.resolved_at) for f in review] == [(month.p1, local(2026, 3, 20, 10))]
    records = [
        (f.due, f.overdue_since, f.resolved_at)
        for f in flags_of(month.p1, kind=FlagKind.RECORD_OVERDUE)
        if f.overdue_since > local(2026, 3, 1)
    ]
    assert records == [
        (date(2026, 3, 11), local(2026, 3, 12), local(2026, 3, 13)),  # seen, shared late
        (date(2026, 3, 25), local(2026, 3, 26), local(2026, 3, 27)),  # never seen: kept
    ]
    a1_sessions = [
        (f.overdue_since, f.resolved_at) for f in flags_of(month.a1, kind=FlagKind.SESSION_OVERDUE)
    ]
    assert a1_sessions == [
        (local(2026, 3, 17), local(2026, 3, 18)),
        (local(2026, 3, 26), local(2026, 3, 30)),  # across the start of summer time
    ]
    assert local(2026, 3, 30) == datetime(2026, 3, 29, 23, tzinfo=ZoneInfo("UTC"))
    # A1 (004 Supervision Standards): an agreement in force for the line relationship. The
    # change of supervisor, entered on 20 March for 23 March, leaves P1's agreement in force
    # until the old relationship's last day, the 22nd (it was superseded at once before, and
    # the item was wrongly overdue for three days); the new relationship's own agreement was
    # due at its first session.
    spells = [
        (f.due, f.overdue_since, f.resolved_at)
        for f in flags_of(month.p1, kind=FlagKind.AGREEMENT_MISSING)
        if f.resolved_at != f.overdue_since
    ]
    assert spells == [
        (date(2024, 2, 5), local(2024, 2, 6), local(2026, 2, 5, 10)),  # kept by the first tick
        (date(2026, 3, 23), local(2026, 3, 24), local(2026, 3, 30, 11)),
    ]
    closure = one(FlagKind.CLOSURE_WITHOUT_SUPERVISION, child=month.children["c5"])
    assert closure.overdue_since == local(2026, 3, 26) and closure.resolved_at is None
    assert closure.raised_at == local(2026, 3, 26, 12, 30)
