"""Writing a checked import, all of it in one transaction: any problem or exception rolls the
whole import back."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from agreements.models import AgreementSignature, SupervisionAgreement
from agreements.services import DEFAULT_TEXT, agreement_hash
from casework import rules
from casework.models import (
    SCALE_FIELDS,
    Allocation,
    CaseNote,
    Child,
    RiskRating,
)
from casework.services import note_content
from oversight.policy.due import day_start
from oversight.policy.services import organisation_pack_choose
from oversight.records_management.importing.checking import _Check, check
from oversight.records_management.importing.files import IMPORTED_SIGNATURE
from oversight.records_management.importing.outcomes import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ImportRefused,
    Item,
    Plan,
    Problem,
)
from oversight.records_management.importing.values import _moment_on, local_day
from oversight.records_management.importing.writing_history import (
    _HistoryWriter,
    mark_first_discussions,
)
from supervision.models import (
    JobRole,
    RecordSection,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.organisation import audit
from supervision.people.passwords import Why, set_password_link_queue
from supervision.records.canonical import content_hash, load_record_for_content, record_hash

# --- Writing --------------------------------------------------------------------------------


def import_files(
    files: dict[str, bytes | list],
    *,
    by=None,
    request=None,
    dry_run: bool = False,
    pack: tuple[str, date] | None = None,
    reach=None,
    audit_detail: dict | None = None,
) -> Plan:
    """Check, then (unless a dry run) write everything in one transaction. Raises
    ImportRefused with every problem found, having written nothing.

    The one way in for the command, the upload page and the API: `files` holds each file's
    CSV bytes or its rows as a list of objects (see `check`, and `reach` there). The audit
    entry counts rows, never their content; `audit_detail` adds who called (an API token).

    `pack` (code, day): the organisation's choice of pack from that day, made first, so the
    files are checked and their history judged by it; in the same transaction as the rest."""
    with transaction.atomic():
        if pack is not None:
            _choose_pack(*pack, by=by, request=request)
        plan = check(files, reach=reach)
        plan.pack = pack
        if not plan.ok:
            raise ImportRefused(plan.problems)
        if dry_run:
            # The choice of pack too: a dry run writes nothing.
            transaction.set_rollback(True)
            return plan
        _Writer(plan, by, request).run()

        counts = plan.counts()
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="data_import",
            detail={
                "change": "data imported",
                "files": plan.files,
                "created": {n: c[CREATE] for n, c in counts.items()},
                "updated": {n: c[UPDATE] for n, c in counts.items()},
                "unchanged": {n: c[UNCHANGED] for n, c in counts.items()},
                "job_roles_created": len(plan.new_job_roles),
                **(audit_detail or {}),
            },
        )
    return plan


def _choose_pack(code: str, day: date, *, by, request) -> None:
    try:
        organisation_pack_choose(code, by, effective_from=day, request=request)
    except ValidationError as error:
        raise ImportRefused(
            [
                Problem("", f"--pack {code} --pack-from {day.isoformat()}: {m}")
                for m in error.messages
            ]
        ) from None


class _Writer(_HistoryWriter):
    def __init__(self, plan: Plan, by, request=None):
        self.plan = plan
        self.request = request
        self.check: _Check = plan.state
        self.by = by
        self.now = plan.now
        self.today = local_day(plan.now)
        self.users = dict(self.check.db_users)
        self.units = dict(self.check.db_units)
        self.roles = dict(self.check.db_roles)
        self.relationships = {}
        self.children = dict(self.check.db_children)
        self.spelled: set[str] = set()

    def items(self, name: str) -> list[Item]:
        return self.plan.items.get(name, [])

    def run(self) -> None:
        self.job_roles()
        self.write_units()
        self.write_staff()
        self.write_unit_managers()
        self.write_relationships()
        self.write_agreements()
        self.write_sessions()
        self.write_cases()
        self.write_allocations()
        self.write_risk_ratings()
        self.write_case_notes()
        self.mark_spells_discussed()

    def job_roles(self) -> None:
        holds_cases = {"practitioner", "asye", "student"}
        for code, role in self.plan.new_job_roles.items():
            self.roles[code] = JobRole.objects.create(
                code=code,
                name=role["name"],
                category=role["category"],
                holds_cases=role["category"] in holds_cases,
            )

    def write_units(self) -> None:
        items = sorted(self.items("units.csv"), key=lambda i: self.check.unit_depth(i.data["code"]))
        for item in items:
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            unit = item.existing or Unit(code=data["code"])
            unit.name = data["name"]
            unit.kind = data["kind"]
            if "parent" in data:
                unit.parent = self.units[data["parent"]] if data["parent"] else None
            unit.save()
            self.units[data["code"]] = unit

    def write_staff(self) -> None:
        for item in self.items("staff.csv"):
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            user = item.existing
            created = user is None
            if created:
                user = User(email=data["email"], full_name=data["full_name"])
                # Nobody knows a password for them: they set their own with an emailed link.
                user.set_unusable_password()
                user.save()
                self.users[data["email"]] = user
            elif user.full_name != data["full_name"]:
                user.full_name = data["full_name"]
                user.save(update_fields=["full_name"])
            profile = getattr(user, "profile", None) if item.existing is not None else None
            if profile is None:
                profile = StaffProfile(user=user)
            profile.job_role = self.roles[data["job_role"]]
            profile.unit = self.units[data["unit"]]
            for name in (
                "start_date",
                "employment_type",
                "qualified_date",
                "asye_start_date",
                "is_student",
                "probation_end_date",
                "leaving_date",
            ):
                if name in data:
                    setattr(profile, name, data[name])
            # As marking someone as left does: their file is archived from then on.
            profile.is_active = profile.leaving_date is None
            profile.save()
            if created:
                # Written to the outbox in this transaction, so it is sent if and only if the
                # import is; not to someone who has already left.
                set_password_link_queue(
                    user, why=Why.IMPORT, by=self.by, request=self.request, now=self.now
                )

    def write_unit_managers(self) -> None:
        for item in self.items("units.csv"):
            data = item.data
            if item.outcome == UNCHANGED or "manager" not in data:
                continue
            unit = self.units[data["code"]]
            manager = self.users[data["manager"]] if data["manager"] else None
            if unit.manager_id != (manager.pk if manager else None):
                unit.manager = manager
                unit.save()

    def write_relationships(self) -> None:
        for rel in self.check.relationships.values():
            if rel.db is not None:
                self.relationships[rel.key] = rel.db
        items = self.items("relationships.csv")
        # Ends first, so a new line supervisor never overlaps the one before in the database.
        for item in items:
            if item.outcome != UPDATE:
                continue
            relationship = item.existing
            relationship.ends_on = item.changes["ends_on"]
            relationship.save(update_fields=["ends_on"])
            if relationship.ends_on is not None:
                # As a change of supervisor does: the agreement stops being in force.
                SupervisionAgreement.objects.filter(
                    relationship=relationship,
                    status__in=[
                        SupervisionAgreement.Status.ACTIVE,
                        SupervisionAgreement.Status.DRAFT,
                    ],
                ).update(
                    status=SupervisionAgreement.Status.SUPERSEDED,
                    superseded_at=min(self.now, _moment_on(relationship.ends_on)),
                    superseded_reason="arrangement ended",
                )
        for item in items:
            if item.outcome != CREATE:
                continue
            rel = item.data["rel"]
            supervisee, supervisor, kind, starts_on = rel.key
            self.relationships[rel.key] = SupervisoryRelationship.objects.create(
                supervisee=self.users[supervisee],
                supervisor=self.users[supervisor],
                kind=kind,
                starts_on=starts_on,
                ends_on=rel.ends_on,
            )

    def write_agreements(self) -> None:
        Status = SupervisionAgreement.Status
        by_relationship = defaultdict(list)
        for item in self.items("agreements.csv"):
            if item.outcome != UNCHANGED:
                by_relationship[item.data["rel"].key].append(item)
        for key, items in by_relationship.items():
            relationship = self.relationships[key]
            rel = self.check.relationships[key]
            items.sort(key=lambda i: i.data["starts_on"])
            signed = [i for i in items if i.data["signed_on"]]
            latest_signed = signed[-1] if signed else None
            for item in items:
                data = item.data
                agreement = item.existing
                fields = {
                    "starts_on": data["starts_on"],
                    "review_due_on": data["review_due_on"],
                    "frequency_value": data["frequency_value"],
                    "frequency_unit": data["frequency_unit"],
                    "duration_minutes": data["duration_minutes"],
                    "mode": data["mode"],
                }
                if agreement is None:
                    previous = (
                        SupervisionAgreement.objects.filter(relationship=relationship)
                        .order_by("-version")
                        .first()
                    )
                    agreement = SupervisionAgreement(
                        relationship=relationship,
                        version=data["version"],
                        previous=previous,
                        created_by=relationship.supervisor,
                        **fields,
                        **DEFAULT_TEXT,
                    )
                else:
                    for name, value in fields.items():
                        setattr(agreement, name, value)
                agreement.full_clean(exclude=["previous"])
                agreement.save()
                if data["signed_on"]:
                    self._sign_agreement(agreement, relationship, data["signed_on"])
                    if item is latest_signed and rel.ends_on is None:
                        self._supersede_in_force(relationship, agreement, data)
                        status, reason, when = Status.ACTIVE, "", None
                    elif item is latest_signed:
                        status, reason = Status.SUPERSEDED, "arrangement ended"
                        when = min(self.now, _moment_on(rel.ends_on))
                    else:
                        status = Status.SUPERSEDED
                        reason = f"reviewed: replaced by version {agreement.version + 1}"
                        when = _moment_on(signed[signed.index(item) + 1].data["signed_on"])
                    SupervisionAgreement.objects.filter(pk=agreement.pk).update(
                        status=status,
                        content_hash=agreement.content_hash,
                        superseded_at=when,
                        superseded_reason=reason,
                    )
                elif rel.ends_on is not None:
                    SupervisionAgreement.objects.filter(pk=agreement.pk).update(
                        status=Status.SUPERSEDED,
                        superseded_at=min(self.now, _moment_on(rel.ends_on)),
                        superseded_reason="arrangement ended",
                    )

    def _sign_agreement(self, agreement, relationship, signed_on: date) -> None:
        agreement.content_hash = agreement_hash(agreement)
        when = _moment_on(signed_on)
        for role, signer in (
            (AgreementSignature.Role.SUPERVISEE, relationship.supervisee),
            (AgreementSignature.Role.SUPERVISOR, relationship.supervisor),
        ):
            AgreementSignature.objects.create(
                agreement=agreement,
                signer=signer,
                role=role,
                signed_at=when,
                method=IMPORTED_SIGNATURE,
                content_hash=agreement.content_hash,
            )

    def _supersede_in_force(self, relationship, agreement, data: dict) -> None:
        SupervisionAgreement.objects.filter(
            relationship=relationship, status=SupervisionAgreement.Status.ACTIVE
        ).exclude(pk=agreement.pk).update(
            status=SupervisionAgreement.Status.SUPERSEDED,
            superseded_at=_moment_on(data["signed_on"]),
            superseded_reason=f"reviewed: replaced by version {agreement.version}",
        )

    def write_sessions(self) -> None:
        sessions = dict(self.check.db_sessions.items())
        items = sorted(self.items("sessions.csv"), key=lambda i: i.data["starts_at"])
        for item in items:
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            session = item.existing
            replaces = (
                sessions.get((data["supervisee"], data["replaces"])) if data["replaces"] else None
            )
            fields = {
                "supervisor": self.users[data["supervisor"]],
                "session_type": data["session_type"],
                "ends_at": data["ends_at"],
                "status": data["status"],
                "cancellation_reason": data["cancellation_reason"],
                "cancelled_by": self.users[data["cancelled_by"]] if data["cancelled_by"] else None,
                "mode": data["mode"],
                "location": data["location"],
                "replaces": replaces,
            }
            if session is None:
                session = SupervisionSession(
                    supervisee=self.users[data["supervisee"]],
                    starts_at=data["starts_at"],
                    created_by=self.users[data["supervisor"]],
                    **fields,
                )
                session.save()
            elif set(item.changes) - {"record_status"}:
                # Only what differs: a column left out of the file is not in the changes.
                for name in set(item.changes) & set(fields):
                    setattr(session, name, fields[name])
                session.save()
            sessions[(data["supervisee"], data["starts_at"])] = session
            self._record(session, data)

    def _record(self, session, data: dict) -> None:
        """Brings the session's record up to the status in the file, as the product would have:
        started, shared (names and roles captured), signed by the supervisee, finalised. Both
        signatures cover the same content, since nothing is written between them."""

        Status = SupervisionRecord.Status
        wanted = _Check.RECORD_RANK[data["record_status"]]
        if not wanted:
            return
        record = SupervisionRecord.objects.filter(session=session).first()
        if record is None:
            template = self.check.templates[session.session_type]
            record = SupervisionRecord(session=session, template=template)
            if wanted >= 2:
                self._snapshot(record, session)
            record.save()
            RecordSection.objects.bulk_create(
                RecordSection(record=record, template_section=section)
                for section in template.sections.all()
            )
        elif wanted >= 2 and _Check.RECORD_RANK[record.status] < 2:
            # Saved first: the signatures' hash is of the record as stored.
            self._snapshot(record, session)
            record.save()
        rank = _Check.RECORD_RANK[record.status]
        if wanted <= rank:
            return
        if rank < 2:
            record.status = Status.SHARED
            record.shared_at = _moment_on(data["shared_on"], session.ends_at)
        content_hash = None
        if wanted >= 3:
            content_hash = record_hash(load_record_for_content(record.pk))
        if wanted >= 3 and rank < 3:
            Signature.objects.create(
                record=record,
                signer=session.supervisee,
                role=Signature.Role.SUPERVISEE,
                signed_at=_moment_on(data["signed_on"], record.shared_at),
                method=IMPORTED_SIGNATURE,
                content_hash=content_hash,
            )
            record.status = Status.SUPERVISEE_SIGNED
        if wanted >= 4:
            finalised_at = _moment_on(data["finalised_on"], record.shared_at)
            Signature.objects.create(
                record=record,
                signer=session.supervisor,
                role=Signature.Role.SUPERVISOR,
                signed_at=finalised_at,
                method=IMPORTED_SIGNATURE,
                content_hash=content_hash,
            )
            record.status = Status.FINALISED
            record.finalised_at = finalised_at
            record.content_hash = content_hash
        record.version += 1
        record.save()

    def _snapshot(self, record, session) -> None:
        record.organisation_name = settings.ORGANISATION_NAME
        for side in ("supervisee", "supervisor"):
            person = getattr(session, side)
            profile = getattr(person, "profile", None)
            setattr(record, f"{side}_name", person.full_name)
            setattr(record, f"{side}_role", profile.job_role.name if profile else "")

    def responsible(self, unit_code: str, worker: str) -> object:
        """Who allocated, rated or closed a case, when the file does not say: the manager of
        its team, or of the nearest unit above with one; the worker if none has."""
        code, guard = unit_code, 0
        while code is not None and guard < 100:
            manager = self.units[code].manager
            if manager is not None:
                return manager
            code, guard = self.check.parent_of(code), guard + 1
        return self.users[worker]

    def write_cases(self) -> None:
        self.closed_now: set[str] = set()
        for item in self.items("cases.csv"):
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            by = self.responsible(data["unit"], data["worker"])
            levels = {f: data[f] for f in SCALE_FIELDS.values()}
            child = item.existing
            spells = self.check.spells.get(data["reference"])
            if child is None:
                allocated = data["allocated_at"]
                # With a history, the child came into its service with its first allocation.
                first = spells[0].starts_at if spells else allocated
                child = Child(
                    reference=data["reference"],
                    initials=data["initials"],
                    service=data["service"],
                    service_since=local_day(first),
                    chronic_neglect=data["chronic_neglect"],
                    unit=self.units[data["unit"]],
                    allocated_worker=self.users[data["worker"]],
                    allocated_at=allocated,
                    **levels,
                )
                child.has_been_looked_after = data["has_been_looked_after"]
                child.plan_set(data["plan"])
                child.save()
                if spells:
                    self.write_spells(child)
                else:
                    Allocation.objects.create(
                        child=child,
                        worker=child.allocated_worker,
                        unit=child.unit,
                        service=child.service,
                        starts_at=allocated,
                        allocated_by=by,
                    )
                for scale, name in SCALE_FIELDS.items():
                    # A scale with its history in risk_ratings.csv is written from there.
                    if levels[name] and not self.rated_by_file(data["reference"], scale):
                        RiskRating.objects.create(
                            child=child,
                            scale=scale,
                            level=levels[name],
                            reason="Rated at allocation",
                            set_by=by,
                            set_at=first,
                        )
            else:
                for name in ("initials", "chronic_neglect"):
                    if name in item.changes:
                        setattr(child, name, item.changes[name])
                if "has_been_looked_after" in item.changes:
                    child.has_been_looked_after = True
                if "plan" in item.changes:
                    # A plan away from care keeps the child's having been looked after.
                    child.plan_set(item.changes["plan"])
                for scale, name in SCALE_FIELDS.items():
                    if name in item.changes and not self.rated_by_file(data["reference"], scale):
                        RiskRating.objects.create(
                            child=child,
                            scale=scale,
                            level=item.changes[name],
                            previous_level=getattr(child, name),
                            reason="Changed by import",
                            set_by=by,
                            set_at=self.now,
                        )
                        setattr(child, name, item.changes[name])
                child.save()
                self.write_spells(child)
            if data["closed_on"] is not None and child.closed_on is None:
                self._close(child, data, by)
            self.children[data["reference"]] = child

    def _close(self, child, data: dict, by) -> None:
        closed_on = data["closed_on"]
        # As closing in the product does: closed today, now; on an earlier day, its end.
        ends = self.now if closed_on >= self.today else day_start(closed_on + timedelta(days=1))
        for allocation in Allocation.objects.filter(child=child, ends_at__isnull=True):
            allocation.ends_at = ends
            allocation.save(update_fields=["ends_at"])
        child.closed_on = closed_on
        child.closure_reason = data["closure_reason"]
        child.closure_rationale = data["closure_rationale"]
        child.closed_by = by
        child.discuss_next_marked_at = None
        child.discuss_next_marked_by = None
        child.discuss_next_reason = ""
        child.save()
        self.closed_now.add(child.reference)

    def write_case_notes(self) -> None:
        written = defaultdict(list)
        for item in self.items("case_supervisions.csv"):
            if item.outcome == UNCHANGED:
                continue
            note = self._write_case_note(item.data)
            written[note.child.pk].append(note)
        children = Child.objects.in_bulk(list(written))
        allocations = defaultdict(list)
        for allocation in Allocation.objects.filter(child_id__in=list(written)):
            allocations[allocation.child_id].append(allocation)
        for child_id, notes in written.items():
            _catch_up_discussion_dates(children[child_id], notes)
            mark_first_discussions(allocations[child_id], notes)
        self._record_closure_supervision()

    def _write_case_note(self, data: dict) -> CaseNote:
        child = self.children[data["reference"]]
        author = self.users[data["author"]]
        allocation = data["allocation"]
        note = CaseNote.objects.create(
            child=child,
            kind=data["kind"],
            author=author,
            # The worker and team as they stood on the day (C1, C4).
            worker=allocation.worker if allocation else self.users[data["worker"]],
            unit=allocation.unit if allocation else self.units[data["unit"]],
            service=data["service"],
            discussed_at=data["discussed_at"],
            current_situation=data["current_situation"],
            working_well=data["working_well"],
            worries=data["worries"],
            decision=data["decision"],
            reasons=data["reasons"],
            next_review_on=data["next_review_on"],
        )
        # Final once saved, with the hash of what it says: the order the services take,
        # and on PostgreSQL the only one the locking trigger allows.
        note.content_hash = content_hash(note_content(note))
        note.status = CaseNote.Status.FINAL
        note.finalised_at = data["discussed_at"]
        note.finalised_by = author
        note.version += 1
        note.save()
        return note

    def _record_closure_supervision(self) -> None:
        # C4 for the cases this import closed: whether their service held formal case
        # supervision since the child arrived in it.
        for reference in getattr(self, "closed_now", set()):
            child = self.children[reference]
            days = [
                local_day(moment)
                for moment in CaseNote.objects.filter(
                    child=child,
                    status=CaseNote.Status.FINAL,
                    kind__in=CaseNote.FORMAL_SUPERVISION,
                    service=child.service,
                    discussed_at__lt=day_start(child.closed_on + timedelta(days=1)),
                ).values_list("discussed_at", flat=True)
            ]
            Child.objects.filter(pk=child.pk).update(
                closure_supervision_held=rules.supervised_in_service(
                    child.service_since or date.min, days
                )
            )


def _catch_up_discussion_dates(child, notes: list[CaseNote]) -> None:
    last, review = child.last_discussed_at, child.next_review_on
    # What finalising each note would have done, in the order they were discussed.
    for note in sorted(notes, key=lambda n: n.discussed_at):
        if note.is_formal_supervision and (last is None or note.discussed_at > last):
            last = note.discussed_at
            review = note.next_review_on or review
        elif note.next_review_on and not note.is_formal_supervision:
            review = note.next_review_on
    if (last, review) != (child.last_discussed_at, child.next_review_on):
        Child.objects.filter(pk=child.pk).update(last_discussed_at=last, next_review_on=review)
