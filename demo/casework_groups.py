"""The demo's group and front-door supervision sessions (see `demo.casework`)."""

import random
from datetime import date, timedelta

from casework.models import (
    CaseNote,
    FrontDoorDiscussion,
    FrontDoorSession,
    GroupSession,
    Plan,
    Service,
)
from demo.casework_children import SEVERITY, _at, _Case, _Stay, _Team, _weekday
from demo.casework_texts import (
    FOUR_PS,
    FRONT_DOOR,
    FRONT_DOOR_LEARNING,
    FRONT_DOOR_REFLECTIONS,
    PROGRESSION,
    TEAM_MEETING,
)


class _GroupWork:
    """Part of `demo.casework._Builder`, whose state these methods share."""

    # Group and front-door sessions -----------------------------------------------------------

    def _open_in(self, team: _Team, day: date) -> list[tuple[_Case, _Stay]]:
        found = []
        for case in self.cases:
            if case.no_supervision:
                continue
            stay = self._stay_on(case, day)
            if stay and stay.team is team and (day - stay.starts_on).days >= 7:
                found.append((case, stay))
        return found

    def _group(self, rng, team, fmt, day, hour, minutes, summary="") -> GroupSession:
        manager = team.manager_id
        staff = [w[0] for w in team.workers if w[2] + timedelta(days=7) <= day]
        taking_part = rng.sample(staff, min(len(staff), rng.randint(2, 4)))
        session = GroupSession(
            unit=team.unit,
            format=fmt,
            held_at=_at(day, hour),
            duration_minutes=minutes,
            facilitator_id=manager,
            summary=summary,
            created_by_id=manager,
            created_at=_at(day, hour + 2),
        )
        self.groups.append((session, [manager, *taking_part]))
        return session

    def group_sessions(self, rng: random.Random) -> None:
        """Monthly group case supervision in the social work teams (C6), a case formulation in
        youth justice with the four Ps, and a team meeting with minutes and no children."""
        formats = {
            "assessment": GroupSession.Format.FAMILY_SAFEGUARDING,
            "children-in-care": GroupSession.Format.CASE_PROGRESSION,
        }
        for code, fmt in formats.items():
            team = self.teams.get(code)
            if team is None:
                continue
            for months_ago in (4, 3, 2, 1):
                day = self.today - timedelta(days=30 * months_ago)
                day -= timedelta(days=(day.weekday() - 1) % 7)  # the Tuesday before
                session = self._group(rng, team, fmt, day, 10, 90)
                workers = set(self.groups[-1][1])
                candidates = [(c, s) for c, s in self._open_in(team, day) if s.worker_id in workers]
                chosen = rng.sample(candidates, min(len(candidates), rng.randint(3, 6)))
                for position, (case, stay) in enumerate(chosen):
                    when = session.held_at + timedelta(minutes=15 * position)
                    if fmt == GroupSession.Format.FAMILY_SAFEGUARDING:
                        note = self._supervision_note(
                            case,
                            stay,
                            day,
                            31,
                            kind=CaseNote.Kind.GROUP_SUPERVISION,
                            group=session,
                        )
                        note.author_id = session.facilitator_id
                        note.discussed_at = when
                    else:
                        self._progression_discussion(case, stay, session, when, rng)
        team = self.teams.get("yj-team")
        if team is not None:
            day = self.today - timedelta(days=18)
            day -= timedelta(days=(day.weekday() - 2) % 7)  # the Wednesday before
            session = self._group(rng, team, GroupSession.Format.CASE_FORMULATION, day, 13, 180)
            candidates = sorted(
                self._open_in(team, day),
                key=lambda cs: -SEVERITY.get(cs[0].child.serious_harm_level, 0),
            )[:8]
            for position, (case, stay) in enumerate(
                rng.sample(candidates, min(2, len(candidates)))
            ):
                note = self._supervision_note(
                    case,
                    stay,
                    day,
                    30,
                    kind=CaseNote.Kind.GROUP_SUPERVISION,
                    group=session,
                    **FOUR_PS,
                )
                note.author_id = session.facilitator_id
                note.discussed_at = session.held_at + timedelta(minutes=80 * position)
        team = self.teams.get("eh-north")
        if team is not None:
            day = self.today - timedelta(days=12)
            day -= timedelta(days=day.weekday())  # the Monday before
            self._group(rng, team, GroupSession.Format.TEAM_MEETING, day, 14, 120, TEAM_MEETING)

    def _progression_discussion(self, case, stay, session, when, rng) -> None:
        situation, decision, reasons = rng.choice(PROGRESSION)
        self._note(
            case,
            stay,
            CaseNote.Kind.CASE_PROGRESSION,
            when,
            author=session.facilitator_id,
            group=session,
            current_situation=situation,
            decision=decision,
            reasons=reasons,
        )
        # The tile moved at this session if a move fell close to it (keeping the order).
        moves = [m for m in self.moves if m.child is case.child]
        for i, move in enumerate(moves):
            if abs((move.moved_at - when).days) > 20 or move.group_session is not None:
                continue
            after_previous = i == 0 or moves[i - 1].moved_at < when
            before_next = i == len(moves) - 1 or when < moves[i + 1].moved_at
            if after_previous and before_next:
                move.moved_at = when
                move.group_session = session
                move.moved_by_id = session.facilitator_id
                return

    def front_door(self, rng: random.Random) -> None:
        """C7: front-door supervision in the assessment team, two or three families each,
        by reference only."""
        team = self.teams.get("assessment")
        if team is None:
            return
        for days_ago in (40, 20, 6):
            day = _weekday(self.today - timedelta(days=days_ago), self.today - timedelta(50))
            eligible = [w for w in team.workers if w[2] + timedelta(days=7) <= day]
            eligible = [w for w in eligible if w[1] != "social-work-student"] or eligible
            if not eligible:
                continue
            supervisee = rng.choice(eligible)[0]
            session = FrontDoorSession(
                supervisor_id=self.supervisor(supervisee, day, team),
                supervisee_id=supervisee,
                held_at=_at(day, 15),
                reflections=rng.choice(FRONT_DOOR_REFLECTIONS),
                created_at=_at(day, 17),
            )
            # Children who came in around then; one per family.
            nearby = [
                c
                for c in self.cases
                if c.stays[0].team.service in (Service.SOCIAL_WORK, Service.EARLY_HELP)
                and 0 <= (c.stays[0].starts_on - day).days <= 28
            ] or [c for c in self.cases if c.stays[0].team is team]
            families, chosen, wanted = set(), [], rng.choice([2, 3, 3])
            for case in rng.sample(nearby, len(nearby)):
                key = case.spec.family or case.spec.reference
                if key not in families:
                    families.add(key)
                    chosen.append(case)
                if len(chosen) == wanted:
                    break
            if len(chosen) < 2:
                continue
            discussions = []
            for case in chosen:
                if case.stays[0].team.service == Service.EARLY_HELP:
                    criterion = "early_help"
                elif case.child.plan == Plan.CHILD_PROTECTION:
                    criterion = "strategy"
                else:
                    criterion = rng.choice(["sw_assessment", "sw_assessment", "advice"])
                discussions.append(
                    FrontDoorDiscussion(
                        child=case.child,
                        criterion=criterion,
                        discussion=FRONT_DOOR[criterion],
                        learning=rng.choice(FRONT_DOOR_LEARNING),
                    )
                )
            self.front_doors.append((session, discussions))
