"""The synthetic organisation's children: their allocations, risk ratings, case
supervision and closures (see `demo.synthetic`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from casework.models import LOOKED_AFTER_PLANS, Allocation, CaseNote, Child, RiskRating
from demo.synthetic_people import LONDON, _Holder, _Unit, at
from demo.synthetic_supervision import HASH
from oversight.policy import due
from oversight.policy.due import day_start

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
OPEN_SHARE = 0.6  # of the children, open today


class _Children:
    """Part of `demo.synthetic._Generator`, whose state these methods share."""

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
            if len(children) >= self.chunk:
                self._write_children(children, allocations, ratings, notes)
                children, allocations, ratings, notes = [], [], [], []
        self._write_children(children, allocations, ratings, notes)

    def _write_children(self, children, allocations, ratings, notes):
        """A chunk of children with their allocations, ratings, case notes and flags."""
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
        self.flush_flags()

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
            "plan": (plan := rng.choices(*PLANS[service])[0]),
            "has_been_looked_after": plan in LOOKED_AFTER_PLANS,
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
