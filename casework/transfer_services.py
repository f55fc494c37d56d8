"""Transfers of a child's case (C5) and its closure (C4): the reads the pages show and the
writes that change the case.

Each write owns its transaction and its audit entry and refuses what the rules do not allow,
so a view cannot get it wrong; who may call them is decided by casework.access. The C4 and C5
answers are worked out from the notes each time they are shown: there is no column for them
on Transfer, and deriving them means a note drafted late still counts where the rule says so.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from casework import rules
from casework.models import (
    PLANS_BY_SERVICE,
    SCALE_FIELDS,
    SCALES_BY_SERVICE,
    Allocation,
    CaseNote,
    Child,
    Plan,
    Service,
    Transfer,
)
from oversight.policy.choice import pack_on, pack_versions
from oversight.policy.due import day_start
from oversight.policy.packs import PolicyPack
from supervision.models import Unit, User
from supervision.organisation import audit

# C5: a discussion of the child that may be the joint supervision before a transfer. A draft
# counts: the supervision was held, even if its note is not signed yet.
JOINT_SUPERVISION_KINDS = (
    CaseNote.Kind.JOINT_SUPERVISION,
    CaseNote.Kind.TRANSFER,
    CaseNote.Kind.CASE_SUPERVISION,
)


def _audit(request, by, object_type: str, obj, change: str, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=object_type,
        object_id=obj.pk,
        detail={"change": change, **detail},
    )


def _long(day: date) -> str:
    return f"{day:%-d %B %Y}"


# --- Reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JointSupervision:
    """C5 for one transfer: the window for a joint supervision and the one held in it."""

    transfer: Transfer
    earliest: date
    latest: date
    held_on: date | None

    @property
    def held(self) -> bool:
        return self.held_on is not None

    @property
    def window_passed(self) -> bool:
        return timezone.localdate() > self.latest

    @property
    def with_whom(self) -> str:
        """The professionals to bring together: the worker handing over and the one taking
        over."""
        workers = (self.transfer.from_worker, self.transfer.to_worker)
        names = list(dict.fromkeys(w.full_name for w in workers if w))
        return " and ".join(names)


def joint_supervision(
    transfer: Transfer, discussed_on: list[date], pack: PolicyPack
) -> JointSupervision:
    earliest, latest = rules.transfer_supervision_window(transfer.planned_for, pack=pack)
    return JointSupervision(
        transfer=transfer,
        earliest=earliest,
        latest=latest,
        held_on=rules.held_in_transfer_window(transfer.planned_for, discussed_on, pack=pack),
    )


def _discussion_days(child: Child, earliest: date, latest: date) -> list[date]:
    """Local days on which the child was discussed in a way C5 counts, in one query."""
    moments = CaseNote.objects.filter(
        child=child,
        kind__in=JOINT_SUPERVISION_KINDS,
        discussed_at__gte=day_start(earliest),
        discussed_at__lt=day_start(latest + timedelta(days=1)),
    ).values_list("discussed_at", flat=True)
    return [timezone.localtime(moment).date() for moment in moments]


def transfers_of(child: Child) -> list[JointSupervision]:
    """Every transfer of the child, newest first, each with its C5 answer: two queries
    however many transfers and notes there are."""
    transfers = list(
        Transfer.objects.filter(child=child).select_related(
            "from_worker", "to_worker", "from_unit", "to_unit"
        )
    )
    if not transfers:
        return []
    versions = pack_versions()
    packs = [pack_on(t.planned_for, versions) for t in transfers]
    windows = [
        rules.transfer_supervision_window(t.planned_for, pack=pack)
        for t, pack in zip(transfers, packs, strict=True)
    ]
    days = _discussion_days(
        child, min(start for start, _ in windows), max(end for _, end in windows)
    )
    return [joint_supervision(t, days, pack) for t, pack in zip(transfers, packs, strict=True)]


def transfer_of(child: Child, transfer_id) -> Transfer | None:
    if not str(transfer_id).isdigit():
        return None
    return (
        Transfer.objects.filter(child=child, pk=transfer_id)
        .select_related("from_worker", "to_worker", "from_unit", "to_unit", "created_by")
        .first()
    )


def joint_supervision_of(transfer: Transfer) -> JointSupervision:
    pack = pack_on(transfer.planned_for)
    earliest, latest = rules.transfer_supervision_window(transfer.planned_for, pack=pack)
    return joint_supervision(transfer, _discussion_days(transfer.child, earliest, latest), pack)


@dataclass(frozen=True)
class ServiceSupervision:
    """C4 for an open case: has its current service held a formal case supervision since the
    child arrived in it, and when was the last."""

    service: str
    since: date | None
    last_on: date | None

    @property
    def held(self) -> bool:
        return self.last_on is not None

    @property
    def service_label(self) -> str:
        return Service(self.service).label


def _arrived_in_service(child: Child) -> date | None:
    if child.service_since:
        return child.service_since
    return timezone.localtime(child.allocated_at).date() if child.allocated_at else None


def service_supervision(child: Child) -> ServiceSupervision:
    """One query: the latest final formal case supervision the child's service held since
    the child arrived in it (drafts do not count: C4 asks for a supervision recorded)."""
    since = _arrived_in_service(child)
    notes = CaseNote.objects.filter(
        child=child,
        status=CaseNote.Status.FINAL,
        kind__in=CaseNote.FORMAL_SUPERVISION,
        service=child.service,
    )
    if since:
        notes = notes.filter(discussed_at__gte=day_start(since))
    latest = notes.order_by("-discussed_at").values_list("discussed_at", flat=True).first()
    last_on = timezone.localtime(latest).date() if latest else None
    held = last_on is not None and rules.supervised_in_service(since or date.min, [last_on])
    return ServiceSupervision(service=child.service, since=since, last_on=last_on if held else None)


def receiving_workers(day: date | None = None) -> QuerySet:
    """Who can take a case: active staff in a role that holds cases, not yet gone."""
    day = day or timezone.localdate()
    return User.objects.filter(
        Q(profile__leaving_date__isnull=True) | Q(profile__leaving_date__gte=day),
        is_active=True,
        is_staff=False,
        profile__is_active=True,
        profile__job_role__holds_cases=True,
    )


# --- Transfers ------------------------------------------------------------------------------


def _worker_errors(worker: User | None, unit: Unit | None, day: date) -> dict[str, str]:
    """The receiving worker must be able to take cases, in the receiving team."""
    if worker is None:
        return {"to_worker": "Choose the worker who will take the case"}
    in_unit = receiving_workers(day).filter(pk=worker.pk).values_list("profile__unit", flat=True)
    unit_ids = list(in_unit)
    if not unit_ids:
        return {
            "to_worker": f"{worker.full_name} cannot take cases: choose an active member of "
            "staff who holds cases"
        }
    if unit is not None and unit_ids[0] != unit.pk:
        return {"to_worker": f"Choose a worker in {unit.name}: {worker.full_name} is not in it"}
    return {}


@transaction.atomic
def transfer_plan(
    *,
    child: Child,
    to_unit: Unit | None,
    to_worker: User | None,
    to_service: str,
    planned_for: date | None,
    reason: str,
    by: User,
    request=None,
) -> Transfer:
    """A transfer planned for a day to come, so the joint supervision can be held 2 to 4 weeks
    before it (C5). Nothing moves until it is completed."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    today = timezone.localdate()
    if not child.is_open:
        raise ValidationError(f"This case was closed on {_long(child.closed_on)}")
    errors = {}
    if to_unit is None:
        errors["to_unit"] = "Choose the team that will take the case"
    elif to_unit.kind != Unit.Kind.TEAM:
        errors["to_unit"] = f"Choose a team: {to_unit.name} is not a team"
    errors.update(_worker_errors(to_worker, to_unit if "to_unit" not in errors else None, today))
    if to_service not in Service.values:
        errors["to_service"] = "Choose the service that will hold the case"
    if planned_for is None:
        errors["planned_for"] = "Enter the date of the transfer"
    elif planned_for < today:
        errors["planned_for"] = "Enter a transfer date today or in the future"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter the reason for the transfer"
    if not errors and (
        to_worker.pk == child.allocated_worker_id
        and to_unit.pk == child.unit_id
        and to_service == child.service
    ):
        errors["to_worker"] = (
            f"{to_worker.full_name} already holds the case in {to_unit.name}: choose another "
            "worker, team or service"
        )
    if errors:
        raise ValidationError(errors)
    pending = Transfer.objects.filter(child=child, status=Transfer.Status.PLANNED).first()
    if pending is not None:
        raise ValidationError(
            f"A transfer is already planned for {_long(pending.planned_for)}: complete or "
            "cancel it first"
        )
    transfer = Transfer.objects.create(
        child=child,
        from_worker_id=child.allocated_worker_id,
        from_unit_id=child.unit_id,
        from_service=child.service,
        to_worker=to_worker,
        to_unit=to_unit,
        to_service=to_service,
        planned_for=planned_for,
        reason=reason,
        created_by=by,
    )
    _audit(
        request,
        by,
        "transfer",
        transfer,
        "planned",
        child=child.reference,
        planned_for=planned_for.isoformat(),
    )
    return transfer


def _planned(transfer: Transfer) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != Transfer.Status.PLANNED:
        raise ValidationError(f"This transfer is already {locked.get_status_display().lower()}")
    return locked


@transaction.atomic
def transfer_complete(*, transfer: Transfer, by: User, request=None) -> Transfer:
    """The child moves on the day the transfer is completed, on or after its planned date.

    The old allocation ends and a new one starts at the same moment, so the allocation
    history has no gap. A joint supervision is not required to complete (C5 says "ideally"):
    whether one was held is derived from the notes whenever the transfer is shown, and the
    answer at this moment is kept in the audit entry.
    """
    child = Child.objects.select_for_update().get(pk=transfer.child_id)
    transfer = _planned(transfer)
    now = timezone.now()
    today = timezone.localdate(now)
    if not child.is_open:
        raise ValidationError(f"This case was closed on {_long(child.closed_on)}")
    if today < transfer.planned_for:
        raise ValidationError(
            f"This transfer is planned for {_long(transfer.planned_for)}: complete it on or "
            "after that day"
        )
    worker_errors = _worker_errors(transfer.to_worker, transfer.to_unit, today)
    if worker_errors:
        raise ValidationError(
            f"{transfer.to_worker.full_name} can no longer take the case in "
            f"{transfer.to_unit.name}: cancel this transfer and plan another"
        )
    held = joint_supervision_of(transfer)

    Allocation.objects.filter(child=child, ends_at__isnull=True).update(ends_at=now)
    Allocation.objects.create(
        child=child,
        worker=transfer.to_worker,
        unit=transfer.to_unit,
        service=transfer.to_service,
        reason=Allocation.Reason.TRANSFER,
        starts_at=now,
        allocated_by=by,
    )
    changes = {
        "allocated_worker": transfer.to_worker,
        "unit": transfer.to_unit,
        "allocated_at": now,
    }
    if transfer.to_service != child.service:
        changes["service"] = transfer.to_service
        # C4 counts formal supervision from the day the child arrived in the new service.
        changes["service_since"] = today
        # The old service's levels mean nothing on the new service's scales. Clearing them is
        # not written to RiskRating: that history is of levels set, and the new service rates
        # the child afresh, which risk_rating_set records.
        for scale, field in SCALE_FIELDS.items():
            if scale not in SCALES_BY_SERVICE[transfer.to_service]:
                changes[field] = ""
        # A plan belongs to a service; until the new service agrees its own, the child is
        # being assessed there.
        if child.plan not in PLANS_BY_SERVICE[transfer.to_service]:
            changes["plan"] = Plan.ASSESSMENT
            changes["chronic_neglect"] = False
    Child.objects.filter(pk=child.pk).update(**changes)

    transfer.status = Transfer.Status.COMPLETED
    transfer.completed_at = now
    transfer.save(update_fields=["status", "completed_at"])
    _audit(
        request,
        by,
        "transfer",
        transfer,
        "completed",
        child=child.reference,
        worker=transfer.to_worker_id,
        service=transfer.to_service,
        joint_supervision_on=held.held_on.isoformat() if held.held_on else None,
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, by: User, request=None) -> Transfer:
    transfer = _planned(transfer)
    transfer.status = Transfer.Status.CANCELLED
    # When it was called off: C5's flag for it ends then (oversight.policy.standards).
    transfer.completed_at = timezone.now()
    transfer.save(update_fields=["status", "completed_at"])
    _audit(request, by, "transfer", transfer, "cancelled", child=transfer.child.reference)
    return transfer


# --- Closure --------------------------------------------------------------------------------


def _allocation_ends(closed_on: date, now: datetime) -> datetime:
    """Closed today: now. Closed on an earlier day: the end of that day, which is after the
    allocation started (the closure date is never before it)."""
    if closed_on >= timezone.localdate(now):
        return now
    return day_start(closed_on + timedelta(days=1))


@transaction.atomic
def child_close(
    *,
    child: Child,
    closed_on: date | None,
    closure_reason: str,
    closure_rationale: str,
    closure_without_supervision_reason: str = "",
    by: User,
    request=None,
) -> Child:
    """Close the case. C4: if the closing service has held no formal case supervision since
    the child arrived in it, the manager must say why, and the closure records that it closed
    without one."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    if not child.is_open:
        raise ValidationError(f"This case is already closed, on {_long(child.closed_on)}")
    now = timezone.now()
    today = timezone.localdate(now)
    allocated_on = timezone.localtime(child.allocated_at).date() if child.allocated_at else None
    errors = {}
    if closed_on is None:
        errors["closed_on"] = "Enter the closure date"
    elif closed_on > today:
        errors["closed_on"] = "Enter a closure date today or in the past"
    elif allocated_on and closed_on < allocated_on:
        errors["closed_on"] = (
            f"Enter a closure date on or after the allocation date, {_long(allocated_on)}"
        )
    if closure_reason not in Child.ClosureReason.values:
        errors["closure_reason"] = "Choose the reason for closing the case"
    closure_rationale = (closure_rationale or "").strip()
    if not closure_rationale:
        errors["closure_rationale"] = (
            "Enter the rationale for closing: the work done and the family's thoughts and feelings"
        )
    supervision = service_supervision(child)
    why_not = "" if supervision.held else (closure_without_supervision_reason or "").strip()
    if not supervision.held and not why_not:
        errors["closure_without_supervision_reason"] = (
            "Enter why the case is closing without a formal case supervision in "
            f"{supervision.service_label.lower()}"
        )
    if errors:
        raise ValidationError(errors)

    Allocation.objects.filter(child=child, ends_at__isnull=True).update(
        ends_at=_allocation_ends(closed_on, now)
    )
    # A closed case is not going anywhere.
    cancelled = Transfer.objects.filter(child=child, status=Transfer.Status.PLANNED).update(
        status=Transfer.Status.CANCELLED
    )
    Child.objects.filter(pk=child.pk).update(
        closed_on=closed_on,
        closure_reason=closure_reason,
        closure_rationale=closure_rationale,
        closure_supervision_held=supervision.held,
        closure_without_supervision_reason=why_not,
        closed_by=by,
        # Nobody will discuss a closed case next time.
        discuss_next_marked_at=None,
        discuss_next_marked_by=None,
        discuss_next_reason="",
    )
    child.refresh_from_db()
    _audit(
        request,
        by,
        "child",
        child,
        "closed",
        closed_on=closed_on.isoformat(),
        reason=closure_reason,
        supervision_held=supervision.held,
        transfers_cancelled=cancelled,
    )
    return child
