"""The demo organisation's casework: about 200 children across the five case-holding teams,
with a year of case supervision, management oversight, group and front-door supervision.

Written straight to the database (not through the services) so loading takes seconds: no
password is re-entered per signature and no audit entry is written, since nobody did these
things. Final notes carry the hash the services would have given them, so a verifier accepts
them.

The same seed gives the same children on every run and on any day: the draws that decide who
the children are (references, initials, teams, workers, families) never depend on `today`, and
each child's history comes from its own generator seeded by that first pass. Dates are counted
back from `today`, so the demo always looks current. Loading twice creates nothing: children
are found by reference, and group and front-door sessions are only made with a fresh load.
"""

import itertools
import random
from datetime import date, datetime, timedelta

from django.utils import timezone

from casework import rules
from casework.models import (
    LOOKED_AFTER_PLANS,
    Allocation,
    CaseNote,
    CaseNoteAction,
    Child,
    Family,
    FrontDoorDiscussion,
    FrontDoorSession,
    GroupSession,
    Plan,
    ProgressionMove,
    ProgressionStage,
    RiskRating,
    RiskScale,
    Service,
    Transfer,
)
from casework.services import note_content
from demo.casework_children import (
    AGES,
    CAME_FROM,
    CLOSURE_REASONS,
    FIRST_REFERENCE,
    HISTORY_DAYS,
    LEVELS,
    PLAN_WEIGHTS,
    RAG_WEIGHTS,
    SEVERITY,
    YJ_WEIGHTS,
    _at,
    _Case,
    _draw_children,
    _pick,
    _pool,
    _Spec,
    _Stay,
    _Team,
    _teams,
    _weekday,
)
from demo.casework_groups import _GroupWork
from demo.casework_texts import (
    ACTIONS,
    ALLOCATION,
    CLOSING_DECISION,
    CLOSURE,
    DECISION,
    DISCUSS_NEXT,
    JOINT,
    MOVES,
    NEGLECT_COMMENTS,
    PLAN_SIGNED,
    REASONS,
    RISK_REASONS,
    SITUATION,
    STRATEGY,
    WITHOUT_SUPERVISION,
    WORKING_WELL,
    WORRIES,
    YJ_ACTIONS,
)
from oversight.policy.choice import pack_on
from supervision.models import SupervisoryRelationship
from supervision.records.canonical import content_hash


def load_demo_casework(today: date, rng: random.Random, units: dict, users: dict) -> dict:
    """Create the demo children that are missing, each with its history. Returns counts."""
    created = {"children": 0, "case notes": 0, "group sessions": 0, "front-door sessions": 0}
    teams = _teams(units, users)
    if not teams:
        return created
    specs = _draw_children(rng, teams)
    existing = set(
        Child.objects.filter(reference__in=[s.reference for s in specs]).values_list(
            "reference", flat=True
        )
    )
    new = [s for s in specs if s.reference not in existing]
    if not new:
        return created
    builder = _Builder(today, teams)
    for spec in new:
        builder.child(spec)
    if not existing:
        # Sessions bring several children together, so only a fresh load makes them.
        builder.group_sessions(random.Random(f"groups {FIRST_REFERENCE}"))
        builder.front_door(random.Random(f"front door {FIRST_REFERENCE}"))
    builder.finish()
    return builder.save(created)


class _Builder(_GroupWork):
    def __init__(self, today: date, teams: list[_Team]):
        self.today = today
        # The organisation's own pack, as the pages and flags read it.
        self.pack = pack_on(today)
        # Discussions are in the past: nothing is dated later than the start of today.
        self.cutoff = _at(today, 0)
        self.teams = {t.code: t for t in teams}
        self.starts = {w[0]: w[2] for t in teams for w in t.workers}
        self.lines: dict[int, list] = {}
        for supervisee, supervisor, starts_on, ends_on in SupervisoryRelationship.objects.filter(
            kind=SupervisoryRelationship.Kind.LINE
        ).values_list("supervisee_id", "supervisor_id", "starts_on", "ends_on"):
            self.lines.setdefault(supervisee, []).append((starts_on, ends_on, supervisor))
        self.cases: list[_Case] = []
        self.families: dict[str, Family] = {}
        self.ratings: list[RiskRating] = []
        self.moves: list[ProgressionMove] = []
        self.transfers: list[Transfer] = []
        self.groups: list[tuple[GroupSession, list[int]]] = []
        self.front_doors: list[tuple[FrontDoorSession, list[FrontDoorDiscussion]]] = []
        self.planned_transfers = 0
        self.marked = 0

    def supervisor(self, worker_id: int, day: date, team: _Team) -> int:
        """The worker's line supervisor on the day (the line manager supervises)."""
        for starts_on, ends_on, supervisor in self.lines.get(worker_id, []):
            if starts_on <= day and (ends_on is None or day <= ends_on):
                return supervisor
        return team.manager_id

    def _day_in(self, rng, earliest: date, latest: date) -> date:
        if latest <= earliest:
            return earliest
        return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))

    # One child -------------------------------------------------------------------------------

    def child(self, spec: _Spec) -> None:
        rng = random.Random(spec.seed)
        # Siblings arrive together, share a plan, and close or move together.
        shared = random.Random(spec.family_seed)
        team = spec.team
        worker_id, role, _, _ = spec.worker
        plan = (
            Plan.CARE_LEAVER
            if role == "personal-adviser"
            else _pick(shared, PLAN_WEIGHTS.get(team.code, [(Plan.ASSESSMENT, 1)]))
        )
        allocated_on, allocated_at, closed_on, no_supervision = self._allocation_dates(
            shared, worker_id
        )
        stays = self._stays(
            shared,
            spec,
            allocated_on=allocated_on,
            allocated_at=allocated_at,
            closed_on=closed_on,
            no_supervision=no_supervision,
        )
        child, levels = self._new_child(
            rng, shared, spec, plan=plan, stays=stays, closed_on=closed_on
        )
        last_day = closed_on or self.today - timedelta(days=1)
        case = _Case(spec, child, stays, rng, last_day, no_supervision)
        self.cases.append(case)
        self._case_history(case, levels, plan=plan)

    def _allocation_dates(self, shared, worker_id: int) -> tuple[date, datetime, date | None, bool]:
        today = self.today
        earliest = max(today - timedelta(days=HISTORY_DAYS), self.starts[worker_id] + timedelta(7))
        earliest = min(earliest, today - timedelta(days=1))
        allocated_on = self._day_in(shared, earliest, today - timedelta(days=1))
        if shared.random() < 0.25 and earliest <= today - timedelta(days=60):
            # Plenty of recent work too: a quarter arrived in the last two months.
            allocated_on = self._day_in(shared, today - timedelta(days=60), today - timedelta(1))
        allocated_on = _weekday(allocated_on, earliest)
        allocated_at = _at(allocated_on, shared.choice([9, 10, 11, 14, 15, 16]))
        closed_on = None
        no_supervision = False
        if shared.random() < 0.12 and allocated_on <= today - timedelta(days=30):
            no_supervision = shared.random() < 0.2
            stay_days = shared.randint(14, 45) if no_supervision else shared.randint(60, 400)
            closed_on = min(allocated_on + timedelta(days=stay_days), today - timedelta(days=2))
            closed_on = _weekday(closed_on, allocated_on)
        return allocated_on, allocated_at, closed_on, no_supervision

    def _stays(
        self, shared, spec: _Spec, *, allocated_on, allocated_at, closed_on, no_supervision
    ) -> list[_Stay]:
        today = self.today
        team = spec.team
        worker_id = spec.worker[0]
        stays = [
            _Stay(
                worker_id,
                team,
                allocated_at,
                allocated_on,
                None,
                None,
                Allocation.Reason.NEW,
                CaseNote.Kind.ALLOCATION,
                team.manager_id,
            )
        ]
        transferred = shared.random() < 0.10
        if transferred and not no_supervision and allocated_on <= today - timedelta(days=14):
            earlier = self._earlier_stay(shared, team, allocated_on)
            if earlier is not None:
                earlier_stay, kind = earlier
                stays[0].reason = Allocation.Reason.TRANSFER
                stays[0].arrived_by = kind
                earlier_stay.ends = allocated_at
                earlier_stay.ends_on = allocated_on - timedelta(days=1)
                stays.insert(0, earlier_stay)
        current = stays[-1]
        if closed_on:
            current.ends_on = closed_on
            current.ends = _at(closed_on + timedelta(days=1), 0)
        return stays

    def _new_child(self, rng, shared, spec: _Spec, *, plan, stays, closed_on) -> tuple[Child, dict]:
        today = self.today
        team = spec.team
        current = stays[-1]
        first_on = stays[0].starts_on
        low, high = AGES.get(plan, (0, 17))
        age_days = rng.randint(low * 365 + 30, high * 365 + 330)
        born = min(today - timedelta(days=age_days), first_on - timedelta(days=40))
        service = team.service
        service_since = (
            current.starts_on
            if len(stays) == 1 or stays[0].team.service != service
            else stays[0].starts_on
        )
        levels = {RiskScale.RAG: _pick(rng, RAG_WEIGHTS[service])}
        if service == Service.YOUTH_JUSTICE:
            levels[RiskScale.SERIOUS_HARM] = _pick(rng, YJ_WEIGHTS)
            levels[RiskScale.SAFETY_WELLBEING] = _pick(rng, YJ_WEIGHTS)
        chronic_neglect = plan == Plan.CHILD_PROTECTION and shared.random() < 0.3
        family = None
        if spec.family:
            family = self.families.get(spec.family) or Family(reference=spec.family)
            self.families[spec.family] = family
        child = Child(
            reference=spec.reference,
            initials=spec.initials,
            name=spec.name,
            date_of_birth=born,
            family=family,
            service=service,
            service_since=service_since,
            plan=plan,
            has_been_looked_after=plan in LOOKED_AFTER_PLANS,
            chronic_neglect=chronic_neglect,
            rag_rating=levels[RiskScale.RAG],
            serious_harm_level=levels.get(RiskScale.SERIOUS_HARM, ""),
            safety_wellbeing_level=levels.get(RiskScale.SAFETY_WELLBEING, ""),
            unit=team.unit,
            allocated_worker_id=current.worker_id,
            allocated_at=current.starts,
            closed_on=closed_on,
        )
        return child, levels

    def _case_history(self, case: _Case, levels: dict, *, plan) -> None:
        rng, stays, closed_on = case.rng, case.stays, case.child.closed_on
        self._risk_history(case, levels)
        self._progression(case)
        for stay in stays:
            self._oversight_at_start(case, stay)
            self._case_supervision(case, stay)
        if plan == Plan.CHILD_PROTECTION and rng.random() < 0.4:
            self._strategy_discussion(case)
        if plan != Plan.ASSESSMENT and rng.random() < 0.25:
            self._plan_signed_off(case)
        if len(stays) > 1:
            self._completed_transfer(case)
        elif not closed_on and case.spec.team.code == "assessment":
            self._planned_transfer(case)
        if closed_on:
            self._closure(case)

    def _earlier_stay(self, rng, team: _Team, allocated_on: date):
        came_from = [(self.teams[c], k) for c, k in CAME_FROM.get(team.code, []) if c in self.teams]
        if not came_from:
            return None
        previous, kind = rng.choice(came_from)
        start_by = allocated_on - timedelta(days=40)
        workers = [w for w in previous.workers if w[2] + timedelta(days=7) <= start_by]
        if not workers:
            return None
        worker_id = rng.choice(workers)[0]
        floor = max(self.starts[worker_id] + timedelta(days=7), self.today - timedelta(540))
        starts_on = _weekday(allocated_on - timedelta(days=rng.randint(40, 200)), floor)
        if starts_on > start_by:
            return None
        stay = _Stay(
            worker_id,
            previous,
            _at(starts_on, rng.choice([9, 10, 14])),
            starts_on,
            None,
            None,
            Allocation.Reason.NEW,
            CaseNote.Kind.ALLOCATION,
            previous.manager_id,
        )
        return stay, kind

    def _stay_on(self, case: _Case, day: date) -> _Stay | None:
        for stay in case.stays:
            if stay.starts_on <= day and (stay.ends_on is None or day <= stay.ends_on):
                return stay
        return None

    def _note(
        self,
        case: _Case,
        stay: _Stay,
        kind: str,
        when: datetime,
        *,
        author=None,
        final=True,
        group=None,
        actions=(),
        **fields,
    ) -> CaseNote:
        day = timezone.localtime(when).date()
        child = case.child
        note = CaseNote(
            child=child,
            kind=kind,
            group_session=group,
            author_id=author or self.supervisor(stay.worker_id, day, stay.team),
            worker_id=stay.worker_id,
            unit_id=stay.team.unit.pk,
            service=stay.team.service,
            discussed_at=when,
            **fields,
        )
        if child.plan == Plan.CHILD_PROTECTION and child.chronic_neglect:
            # C8: the manager says whether each independent review has been considered.
            answers = CaseNote.NeglectAnswer
            note.neglect_home_conditions = case.rng.choice([answers.ARRANGED, answers.NOT_NEEDED])
            note.neglect_chronology = case.rng.choice(
                [answers.ARRANGED, answers.ARRANGED, answers.NOT_CONSIDERED]
            )
            note.neglect_written_agreements = case.rng.choice(
                [answers.ARRANGED, answers.NOT_NEEDED]
            )
            note.neglect_comment = case.rng.choice(NEGLECT_COMMENTS)
        rows = [self._action(case, stay, note, day, what, who) for what, who in actions]
        case.notes.append((note, rows, final))
        return note

    def _action(self, case, stay, note, day, what, who) -> CaseNoteAction:
        due = day + timedelta(days=case.rng.choice([7, 14, 21, 28, 35]))
        status = CaseNoteAction.Status.OPEN
        if due < self.today and case.rng.random() < 0.8:
            status = case.rng.choice(["done", "done", "done", "dropped"])
        return CaseNoteAction(
            note=note,
            description=what,
            owner_id=stay.worker_id if who == "worker" else None,
            owner_name="" if who == "worker" else who,
            due_on=due,
            status=status,
        )

    def _some_actions(self, case: _Case, service: str, most: int) -> list:
        pool = ACTIONS + (YJ_ACTIONS if service == Service.YOUTH_JUSTICE else [])
        return case.rng.sample(pool, case.rng.randint(0, most))

    def _risk_history(self, case: _Case, levels: dict) -> None:
        rng = case.rng
        for scale, current in levels.items():
            # The youth justice scales start when the child arrives in youth justice.
            first = case.stays[0] if scale == RiskScale.RAG else case.stays[-1]
            span = (case.last_day - first.starts_on).days
            count = 1 if span < 21 else rng.randint(1, 4)
            sequence = [current]
            while len(sequence) < count:
                sequence.insert(0, rng.choice([v for v in LEVELS[scale] if v != sequence[0]]))
            days = sorted(rng.sample(range(7, span), count - 1)) if count > 1 else []
            previous, last_when = "", None
            for i, level in enumerate(sequence):
                if i == 0:
                    when, reason = first.starts, "Rated at allocation"
                else:
                    day = _weekday(first.starts_on + timedelta(days=days[i - 1]), first.starts_on)
                    when = _at(day, rng.choice([10, 12, 15]))
                    direction = "up" if SEVERITY[level] > SEVERITY[previous] else "down"
                    reason = rng.choice(RISK_REASONS[direction])
                    # Two changes moved onto one Friday still come one after the other.
                    when = max(when, last_when + timedelta(hours=1))
                last_when = when
                day = timezone.localtime(when).date()
                stay = self._stay_on(case, day) or first
                self.ratings.append(
                    RiskRating(
                        child=case.child,
                        scale=scale,
                        level=level,
                        previous_level=previous,
                        reason=reason,
                        set_by_id=self.supervisor(stay.worker_id, day, stay.team),
                        set_at=when,
                    )
                )
                previous = level

    def _progression(self, case: _Case) -> None:
        """The tile's path on the board, from assessment to where it stands, sometimes back."""
        rng = case.rng
        first = case.stays[0].starts_on
        span = (case.last_day - first).days
        if case.child.closed_on:
            target = ProgressionStage.CLOSING
        elif span < 20:
            target = rng.choice([1, 1, 2])
        else:
            target = rng.choices([1, 2, 3, 4, 5, 6], weights=[1, 2, 3, 3, 2, 0.4])[0]
        backwards = target >= 3 and rng.random() < 0.25
        went_back = False
        path, stage = [1], 1
        while stage != target or (backwards and not went_back and stage >= 3):
            if backwards and not went_back and stage >= 3:
                stage, went_back = stage - 1, True
            else:
                stage += 2 if stage + 2 <= target and rng.random() < 0.1 else 1
            path.append(stage)
        # One move a day at most, none on the day of allocation or in the future.
        room = span - 2
        if room <= 0:
            path = [1]
        elif len(path) - 1 > room:
            path = [1, path[-1]] if path[-1] != 1 else [1]
        days = sorted(rng.sample(range(2, span), len(path) - 1))
        for (before, after), offset in zip(itertools.pairwise(path), days, strict=True):
            day = first + timedelta(days=offset)
            stay = self._stay_on(case, day) or case.stays[-1]
            self.moves.append(
                ProgressionMove(
                    child=case.child,
                    from_stage=before,
                    to_stage=after,
                    note="Moved back: things changed at home" if after < before else "",
                    moved_by_id=self.supervisor(stay.worker_id, day, stay.team),
                    moved_at=_at(day, rng.choice([10, 11, 14])),
                )
            )
        case.child.progression_stage = path[-1]

    def _oversight_at_start(self, case: _Case, stay: _Stay) -> None:
        """C3: most allocations are discussed within 24 hours, some later, a new one not yet."""
        rng = case.rng
        roll = rng.random()
        hours = rng.randint(1, 20) if roll < 0.78 else rng.randint(28, 120)
        when = stay.starts + timedelta(hours=hours)
        if stay.ends is not None and when >= stay.ends:
            when = stay.starts + timedelta(hours=2)
        if when >= self.cutoff:
            return  # allocated yesterday, not yet discussed
        service = stay.team.service
        if stay.arrived_by in MOVES:
            decision, reasons = MOVES[stay.arrived_by]
        else:
            decisions, why = ALLOCATION[service]
            decision, reasons = rng.choice(decisions), rng.choice(why)
        self._note(
            case,
            stay,
            stay.arrived_by,
            when,
            author=stay.team.manager_id,
            current_situation=rng.choice(SITUATION[service]),
            decision=decision,
            reasons=reasons,
            actions=self._some_actions(case, service, 1),
        )
        stay.first_discussed_at = when

    def _case_supervision(self, case: _Case, stay: _Stay) -> None:
        """Formal case supervision every 4 to 10 weeks, inside the C1/C2 cycle; some children
        lapse (overdue now), a few recent notes are still drafts."""
        if case.no_supervision:
            return
        rng = case.rng
        child = case.child
        service = stay.team.service
        cycle = rules.cycle_days(
            service, child.serious_harm_level, child.safety_wellbeing_level, pack=self.pack
        )
        low, high = min(28, cycle - 9), min(70, cycle - 2)
        until = stay.ends_on if stay.ends_on else self.today - timedelta(days=1)
        closing = stay is case.stays[-1] and child.closed_on is not None
        if closing:
            until = child.closed_on - timedelta(days=14)
        elif stay.ends_on is None and rng.random() < 0.17:
            until = self.today - timedelta(days=cycle + rng.randint(3, 40))  # lapsed
        day = stay.starts_on + timedelta(days=rng.randint(low, high))
        while day <= until:
            day = _weekday(day, stay.starts_on)
            interval = rng.randint(low, high)
            draft = (self.today - day).days <= 10 and rng.random() < 0.35
            self._supervision_note(case, stay, day, interval, final=not draft)
            day += timedelta(days=interval)
        if closing:
            # C4: the closing service holds a formal case supervision before closure.
            day = _weekday(child.closed_on - timedelta(days=rng.randint(3, 12)), stay.starts_on)
            self._supervision_note(case, stay, day, (child.closed_on - day).days)

    def _supervision_note(self, case, stay, day, interval, final=True, kind=None, **extra):
        rng = case.rng
        service = stay.team.service
        when = _at(day, rng.choice([9, 10, 11, 13, 14, 15, 16]), rng.choice([0, 15, 30, 45]))
        return self._note(
            case,
            stay,
            kind or CaseNote.Kind.CASE_SUPERVISION,
            when,
            final=final,
            current_situation=rng.choice(SITUATION[service]),
            working_well=_pool(rng, WORKING_WELL, service),
            worries=_pool(rng, WORRIES, service),
            decision=_pool(rng, DECISION, service),
            reasons=_pool(rng, REASONS, service),
            next_review_on=day + timedelta(days=max(interval, 1)),
            actions=self._some_actions(case, service, 2),
            **extra,
        )

    def _strategy_discussion(self, case: _Case) -> None:
        stay = case.stays[-1]
        day = stay.starts_on + timedelta(days=case.rng.randint(1, 10))
        if day > case.last_day:
            return
        decision, reasons = STRATEGY
        when = _at(_weekday(day, stay.starts_on), 16, 30)
        self._note(
            case,
            stay,
            CaseNote.Kind.STRATEGY_DISCUSSION,
            when,
            author=stay.team.manager_id,
            decision=decision,
            reasons=reasons,
        )

    def _plan_signed_off(self, case: _Case) -> None:
        stay = case.stays[-1]
        day = stay.starts_on + timedelta(days=case.rng.randint(25, 50))
        if day > case.last_day:
            return
        decision, reasons = PLAN_SIGNED
        when = _at(_weekday(day, stay.starts_on), 12)
        self._note(
            case,
            stay,
            CaseNote.Kind.PLAN_SIGNED_OFF,
            when,
            author=stay.team.manager_id,
            decision=decision,
            reasons=reasons,
        )

    def _completed_transfer(self, case: _Case) -> None:
        """The earlier stay ended by a completed transfer (C5: joint supervision, usually)."""
        rng = case.rng
        before, after = case.stays[-2], case.stays[-1]
        planned_for = after.starts_on
        self.transfers.append(
            Transfer(
                child=case.child,
                from_worker_id=before.worker_id,
                from_unit=before.team.unit,
                from_service=before.team.service,
                to_worker_id=after.worker_id,
                to_unit=after.team.unit,
                to_service=after.team.service,
                planned_for=planned_for,
                reason=MOVES[after.arrived_by][1],
                status=Transfer.Status.COMPLETED,
                completed_at=after.starts,
                created_by_id=before.team.manager_id,
                created_at=_at(max(before.starts_on, planned_for - timedelta(days=35)), 12),
            )
        )
        if rng.random() < 0.7:
            earliest, latest = rules.transfer_supervision_window(planned_for, pack=self.pack)
            day = _weekday(self._day_in(rng, earliest, latest), before.starts_on)
            situation, worries, decision, reasons = JOINT
            self._note(
                case,
                before,
                CaseNote.Kind.JOINT_SUPERVISION,
                _at(day, 11),
                current_situation=situation,
                worries=worries,
                decision=decision,
                reasons=reasons,
                next_review_on=planned_for,
                working_well=_pool(rng, WORKING_WELL, before.team.service),
            )

    def _planned_transfer(self, case: _Case) -> None:
        """A few children in assessment are about to move on, some with the joint supervision
        already held inside the C5 window."""
        rng = case.rng
        stay = case.stays[-1]
        if self.planned_transfers >= 4 or rng.random() > 0.45:
            return
        if (self.today - stay.starts_on).days < 45 or case.child.plan == Plan.ASSESSMENT:
            return
        to_code = "children-in-care" if case.child.plan == Plan.CHILD_PROTECTION else "eh-north"
        to_team = self.teams.get(to_code)
        if to_team is None:
            return
        to_service = to_team.service
        planned_for = self.today + timedelta(days=rng.randint(7, 40))
        same_service = to_service == stay.team.service
        kind = CaseNote.Kind.TRANSFER if same_service else CaseNote.Kind.STEP_DOWN
        self.transfers.append(
            Transfer(
                child=case.child,
                from_worker_id=stay.worker_id,
                from_unit=stay.team.unit,
                from_service=stay.team.service,
                to_worker_id=rng.choice(to_team.workers)[0],
                to_unit=to_team.unit,
                to_service=to_service,
                planned_for=planned_for,
                reason=MOVES[kind][1],
                created_by_id=stay.team.manager_id,
                created_at=_at(self.today - timedelta(days=rng.randint(3, 20)), 12),
            )
        )
        self.planned_transfers += 1
        if case.child.progression_stage != ProgressionStage.CLOSING:
            # Every earlier move is at least two days old, so this one comes last.
            day = self.today - timedelta(days=1)
            self.moves.append(
                ProgressionMove(
                    child=case.child,
                    from_stage=case.child.progression_stage,
                    to_stage=ProgressionStage.CLOSING,
                    note="Transfer planned",
                    moved_by_id=self.supervisor(stay.worker_id, day, stay.team),
                    moved_at=_at(day, 16),
                )
            )
            case.child.progression_stage = ProgressionStage.CLOSING
        earliest, latest = rules.transfer_supervision_window(planned_for, pack=self.pack)
        latest = min(latest, self.today - timedelta(days=1))
        if earliest <= latest:
            day = self._day_in(rng, earliest, latest)
            situation, worries, decision, reasons = JOINT
            self._note(
                case,
                stay,
                CaseNote.Kind.JOINT_SUPERVISION,
                _at(day, 11),
                current_situation=situation,
                worries=worries,
                decision=decision,
                reasons=reasons,
                next_review_on=planned_for,
            )

    def _closure(self, case: _Case) -> None:
        rng = case.rng
        child = case.child
        stay = case.stays[-1]
        service = stay.team.service
        reason = (
            "adulthood" if child.plan == Plan.CARE_LEAVER else rng.choice(CLOSURE_REASONS[service])
        )
        child.closure_reason = reason
        child.closure_rationale = (
            f"{CLOSURE[reason]} The family told us they felt listened to, and knew how to ask "
            "for help again."
        )
        child.closed_by_id = stay.team.manager_id
        if case.no_supervision:
            child.closure_without_supervision_reason = rng.choice(WITHOUT_SUPERVISION)
        when = _at(child.closed_on, 15)
        self._note(
            case,
            stay,
            CaseNote.Kind.CLOSURE,
            when,
            author=stay.team.manager_id,
            decision=CLOSING_DECISION,
            reasons=CLOSURE[reason],
        )

    # The child as the notes leave it ---------------------------------------------------------

    def finish(self) -> None:
        """What the services would have kept on the child: the latest final formal discussion
        and its review date, the first discussion of each allocation, a few discuss-next marks."""
        for case in self.cases:
            child = case.child
            formal = [
                n for n, _, final in case.notes if final and n.kind in CaseNote.FORMAL_SUPERVISION
            ]
            if formal:
                latest = max(formal, key=lambda n: n.discussed_at)
                child.last_discussed_at = latest.discussed_at
                child.next_review_on = latest.next_review_on
            for stay in case.stays:
                discussed = [
                    n.discussed_at
                    for n, _, _ in case.notes
                    if n.unit_id == stay.team.unit.pk
                    and n.discussed_at >= stay.starts
                    and (stay.ends is None or n.discussed_at < stay.ends)
                ]
                stay.first_discussed_at = min(discussed) if discussed else None
            if child.closed_on:
                supervised = [
                    timezone.localtime(n.discussed_at).date()
                    for n in formal
                    if n.service == child.service
                ]
                child.closure_supervision_held = rules.supervised_in_service(
                    child.service_since, supervised
                )
            elif (
                self.marked < 10
                and (self.today - case.stays[-1].starts_on).days > 20
                and case.rng.random() < 0.08
            ):
                stay = case.stays[-1]
                marked = _at(self.today - timedelta(days=case.rng.randint(1, 10)), 17)
                if child.last_discussed_at and marked <= child.last_discussed_at:
                    continue
                child.discuss_next_marked_at = marked
                child.discuss_next_marked_by_id = self.supervisor(
                    stay.worker_id, self.today, stay.team
                )
                child.discuss_next_reason = case.rng.choice(DISCUSS_NEXT)
                self.marked += 1

    # Writing it all down ---------------------------------------------------------------------

    def save(self, created: dict) -> dict:
        known = Family.objects.in_bulk(list(self.families), field_name="reference")
        missing = [f for ref, f in self.families.items() if ref not in known]
        Family.objects.bulk_create(missing)
        for family in missing:
            family.created_at = min(
                c.stays[0].starts for c in self.cases if c.child.family is family
            )
        _update_rows(Family, missing, ["created_at"])
        for ref, family in self.families.items():
            if ref in known:
                family.pk = known[ref].pk
        children = [case.child for case in self.cases]
        Child.objects.bulk_create(children)
        for case in self.cases:
            case.child.created_at = case.stays[0].starts
        _update_rows(Child, children, ["created_at"])

        Allocation.objects.bulk_create(
            Allocation(
                child=case.child,
                worker_id=stay.worker_id,
                unit=stay.team.unit,
                service=stay.team.service,
                reason=stay.reason,
                starts_at=stay.starts,
                ends_at=stay.ends,
                first_discussed_at=stay.first_discussed_at,
                allocated_by_id=stay.allocated_by_id,
            )
            for case in self.cases
            for stay in case.stays
        )
        RiskRating.objects.bulk_create(self.ratings, batch_size=500)
        created_at = [t.created_at for t in self.transfers]
        Transfer.objects.bulk_create(self.transfers)
        for transfer, when in zip(self.transfers, created_at, strict=True):
            transfer.created_at = when
        Transfer.objects.bulk_update(self.transfers, ["created_at"])

        sessions = [session for session, _ in self.groups]
        created_at = [s.created_at for s in sessions]
        GroupSession.objects.bulk_create(sessions)
        for session, when in zip(sessions, created_at, strict=True):
            session.created_at = when
        GroupSession.objects.bulk_update(sessions, ["created_at"])
        through = GroupSession.participants.through
        through.objects.bulk_create(
            through(groupsession_id=session.pk, user_id=person)
            for session, people in self.groups
            for person in dict.fromkeys(people)
        )
        ProgressionMove.objects.bulk_create(self.moves, batch_size=500)

        notes = self._save_notes()

        doors = [session for session, _ in self.front_doors]
        created_at = [s.created_at for s in doors]
        FrontDoorSession.objects.bulk_create(doors)
        for session, when in zip(doors, created_at, strict=True):
            session.created_at = when
        FrontDoorSession.objects.bulk_update(doors, ["created_at"])
        FrontDoorDiscussion.objects.bulk_create(
            FrontDoorDiscussion(
                session=session,
                child=d.child,
                criterion=d.criterion,
                discussion=d.discussion,
                learning=d.learning,
            )
            for session, discussions in self.front_doors
            for d in discussions
        )
        created["children"] = len(children)
        created["case notes"] = notes
        created["group sessions"] = len(sessions)
        created["front-door sessions"] = len(doors)
        return created

    def _save_notes(self) -> int:
        """Drafts first, then their actions, then final with the hash of what they say: the
        order the services take, and on PostgreSQL the only one the locking trigger allows."""
        entries = [entry for case in self.cases for entry in case.notes]
        notes = [note for note, _, _ in entries]
        for note in notes:
            note.status = CaseNote.Status.DRAFT
        CaseNote.objects.bulk_create(notes, batch_size=500)
        CaseNoteAction.objects.bulk_create(
            [action for _, actions, _ in entries for action in actions], batch_size=500
        )
        for note, _, final in entries:
            written = note.discussed_at + timedelta(hours=note.pk % 5 + 1)
            note.created_at = written
            note.updated_at = written
            if final:
                note.content_hash = content_hash(note_content(note))
                note.status = CaseNote.Status.FINAL
                note.version = 2
                note.finalised_at = written
                note.finalised_by_id = note.author_id
        _update_rows(
            CaseNote,
            notes,
            [
                "status",
                "version",
                "finalised_at",
                "finalised_by",
                "content_hash",
                "created_at",
                "updated_at",
            ],
        )
        return len(notes)


def _update_rows(model, objects, fields: list[str]) -> None:
    """One UPDATE a row: bulk_update's CASE expressions take seconds for a thousand notes,
    plain per-row updates a fraction of that."""
    columns = [model._meta.get_field(name).attname for name in fields]
    for obj in objects:
        model.objects.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in columns})
