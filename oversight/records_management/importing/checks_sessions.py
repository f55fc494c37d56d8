"""Checking sessions.csv: supervision sessions and their records."""

from __future__ import annotations

from datetime import datetime, timedelta

from oversight.records_management.importing.outcomes import CREATE, UNCHANGED, UPDATE, Item
from oversight.records_management.importing.values import _long, _Row, local_day
from supervision.models import (
    SessionType,
    SupervisionRecord,
    SupervisionSession,
)


class _SessionChecks:
    def check_sessions(self) -> None:
        Status = SupervisionSession.Status
        seen: dict[tuple, int] = {}
        self.sessions: dict[tuple, dict] = {}
        pending_replaces = []
        for row in self.rows("sessions.csv"):
            data = self._session_from_row(row)
            supervisee, supervisor = data["supervisee"], data["supervisor"]
            self.need_staff(row, "supervisee_email", supervisee)
            self.need_staff(row, "supervisor_email", supervisor)
            if supervisor and supervisor == supervisee:
                row.error("supervisor_email", "A person cannot supervise themselves")
            if not row.ok:
                self.doubtful.add(("session", supervisee, data["starts_at"]))
                continue
            starts, status = data["starts_at"], data["status"]
            if status != Status.PLANNED and starts > self.now:
                row.error("status", "A session in the future can only be planned", show_value=True)
            recorded = self.db_sessions.get((supervisee, starts))
            if (
                status == Status.CANCELLED
                and not data["cancellation_reason"]
                and (row.has("cancellation_reason") or recorded is None)
            ):
                row.error("cancellation_reason", "Enter why the session was cancelled")
            if status != Status.CANCELLED and data["cancellation_reason"]:
                row.error("cancellation_reason", "Leave this empty: the session was not cancelled")
            self._check_cancelled_by(row, data)
            self._check_record(row, data)
            key = (supervisee, starts)
            if not row.ok:
                self.doubtful.add(("session", *key))
            if key in seen:
                row.error(
                    "starts_at",
                    f"{supervisee} already has a session at this time on row {seen[key]}",
                )
            if not row.ok:
                continue
            seen[key] = row.number
            data["ends_at"] = starts + timedelta(minutes=data["duration"])
            data["row"] = row.number
            self.sessions[key] = data
            if data["replaces"] is not None:
                pending_replaces.append((row, data))
            self._plan_session(row, data)
        self._check_replaced_sessions(pending_replaces)

    def _session_from_row(self, row: _Row) -> dict:
        return {
            "supervisee": row.email("supervisee_email"),
            "supervisor": row.email("supervisor_email"),
            "session_type": row.choice("session_type", SessionType.choices, required=True),
            "starts_at": row.moment("starts_at", required=True),
            "duration": row.integer("duration_minutes", 15, 480, required=True),
            "status": row.choice("status", SupervisionSession.Status.choices, required=True),
            "mode": row.choice(
                "mode",
                SupervisionSession.Mode.choices,
                default=SupervisionSession.Mode.IN_PERSON,
            ),
            "location": row.text("location", max_length=200),
            "cancellation_reason": row.text("cancellation_reason"),
            "cancelled_by": row.email("cancelled_by_email", required=False),
            "replaces": row.moment("replaces_starts_at"),
            "record_status": row.choice("record_status", self.RECORD_CHOICES, default="none"),
            "shared_on": row.date("record_shared_on"),
            "signed_on": row.date("record_signed_on"),
            "finalised_on": row.date("record_finalised_on"),
        }

    def _check_cancelled_by(self, row: _Row, data: dict) -> None:
        """Who cancelled: as in the product, where cancelling is for whoever supervises the
        supervisee (the session's supervisor, or another arrangement of theirs that day)."""
        person = data["cancelled_by"]
        if person is None:
            return
        if data["status"] != SupervisionSession.Status.CANCELLED:
            row.error("cancelled_by_email", "Leave this empty: the session was not cancelled")
            return
        if not self.need_staff(row, "cancelled_by_email", person):
            return
        supervisee, day = data["supervisee"], local_day(data["starts_at"])
        if person == data["supervisor"] or any(
            rel.supervisor == person and rel.supervisee == supervisee and rel.covers(day)
            for rel in self.relationships.values()
        ):
            return
        if person == supervisee:
            message = (
                "A supervisee does not cancel their own session in the product: name the "
                "supervisor who cancelled it"
            )
        else:
            message = (
                f"Name the session's supervisor, or someone supervising {supervisee} on "
                f"{_long(day)} (in relationships.csv or already recorded): only they can "
                "cancel a session"
            )
        row.error("cancelled_by_email", message, show_value=True)

    def _check_replaced_sessions(self, pending_replaces: list[tuple[_Row, dict]]) -> None:
        Status = SupervisionSession.Status
        for row, data in pending_replaces:
            target = (data["supervisee"], data["replaces"])
            if ("session", *target) in self.doubtful:
                continue
            status = None
            if target in self.sessions:
                status = self.sessions[target]["status"]
            elif target in self.db_sessions:
                status = self.db_sessions[target].status
            if status is None:
                row.error(
                    "replaces_starts_at",
                    f"{data['supervisee']} has no session at this "
                    "time in sessions.csv or already recorded",
                    show_value=True,
                )
            elif status != Status.CANCELLED:
                row.error(
                    "replaces_starts_at",
                    "The session it replaces must be cancelled",
                    show_value=True,
                )
            elif data["replaces"] >= data["starts_at"]:
                row.error(
                    "replaces_starts_at",
                    "The session it replaces must start earlier",
                    show_value=True,
                )

    def _check_record(self, row: _Row, data: dict) -> None:
        status = data["record_status"]
        rank = self.RECORD_RANK[status]
        if rank and data["status"] != SupervisionSession.Status.HELD:
            row.error("record_status", "Only a held session has a record", show_value=True)
            return
        if rank and data["session_type"] not in self.templates:
            row.error("session_type", "There is no record template for this kind of session")
            return
        session_day = local_day(data["starts_at"])
        dates = [
            ("record_shared_on", "shared_on", 2),
            ("record_signed_on", "signed_on", 3),
            ("record_finalised_on", "finalised_on", 4),
        ]
        previous = session_day
        for column, key, needed_from in dates:
            value = data[key]
            if rank < needed_from:
                if value is not None:
                    row.error(column, f"Leave this empty for a record that is {status}")
                continue
            if value is None:
                if key == "signed_on" and status == "finalised":
                    data["signed_on"] = data["finalised_on"]
                    continue
                row.error(column, f"Enter the date: the record is {status.replace('_', ' ')}")
                continue
            if value > self.today:
                row.error(column, "Enter a date today or in the past", show_value=True)
            elif value < previous:
                row.error(column, f"Enter a date on or after {_long(previous)}", show_value=True)
            previous = value
        if (
            status == "finalised"
            and data["signed_on"]
            and data["finalised_on"]
            and data["signed_on"] > data["finalised_on"]
        ):
            row.error("record_signed_on", "The supervisee signs before the record is finalised")

    def _plan_session(self, row: _Row, data: dict) -> None:
        existing = self.db_sessions.get((data["supervisee"], data["starts_at"]))
        if existing is None:
            self.add("sessions.csv", Item(row.number, CREATE, data))
            return
        record = getattr(existing, "record", None)
        replaces = self.replaced_moment(existing)
        current = {
            "supervisor": existing.supervisor.email.lower(),
            "session_type": existing.session_type,
            "ends_at": existing.ends_at,
            "status": existing.status,
            "mode": existing.mode,
            "location": existing.location,
            "cancellation_reason": existing.cancellation_reason,
            "cancelled_by": existing.cancelled_by.email.lower() if existing.cancelled_by else None,
            "replaces": replaces,
        }
        wanted = {k: data[k] for k in current}
        optional = {
            "mode": "mode",
            "location": "location",
            "replaces": "replaces_starts_at",
            "cancellation_reason": "cancellation_reason",
            "cancelled_by": "cancelled_by_email",
        }
        for name, column in optional.items():
            if not row.has(column):
                wanted[name] = current[name]  # a column left out keeps what is recorded
        changes = {k: v for k, v in wanted.items() if current[k] != v}
        recorded = record.status if record is not None else "none"
        finalised = recorded == SupervisionRecord.Status.FINALISED
        want_rank, have_rank = (self.RECORD_RANK[data["record_status"]], self.RECORD_RANK[recorded])
        if not row.has("record_status"):
            want_rank = have_rank
        elif want_rank > have_rank:
            changes["record_status"] = data["record_status"]
        elif want_rank < have_rank:
            row.error(
                "record_status",
                f"The record is already {recorded.replace('_', ' ')} "
                "in the product and cannot go back",
                show_value=True,
            )
            return
        if finalised and (changes or self._record_dates_differ(record, data)):
            row.error(
                "starts_at",
                "This session's record is finalised and cannot be changed: "
                "add an addendum in the product instead",
            )
            return
        if record is not None and changes.get("status"):
            row.error("status", "This session has a record, so it was held", show_value=True)
            return
        outcome = UPDATE if changes else UNCHANGED
        self.add("sessions.csv", Item(row.number, outcome, data, existing, changes))

    def _record_dates_differ(self, record, data: dict) -> bool:
        if (
            record.shared_at
            and data["shared_on"]
            and local_day(record.shared_at) != data["shared_on"]
        ):
            return True
        return bool(
            record.finalised_at
            and data["finalised_on"]
            and local_day(record.finalised_at) != data["finalised_on"]
        )

    def replaced_moment(self, session) -> datetime | None:
        if session.replaces_id is None:
            return None
        for s in self.db_sessions.values():
            if s.pk == session.replaces_id:
                return s.starts_at
        return "recorded"  # a cancelled session outside the file: never equal to a file value

    # cases.csv -------------------------------------------------------------------------------
