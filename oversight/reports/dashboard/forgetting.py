"""The writes outside the flag job that change a closed month of the dashboard: each deletes
the summaries it changes (`oversight.models.forget_summaries`) in its own transaction, from
the model's own save, so every way in (the services, the importer, the API, the admin) is
caught without each remembering to. The flag job forgets its own, in its batch
(`oversight.flags.sync`), as it writes in bulk, which sends no signal.

What moves a figure of a closed month (figures count a member of staff in their unit now for
all history, and a child's flag in the unit on the flag):
- a member of staff changing unit: every month of the units above one and not the other;
- their start or leaving date: the months whose last day is between the old and the new;
- a new member of staff, or one deleted: every month of their unit's chain;
- a unit moving: every month of the units above it before and not after, and the reverse;
- a record finalised, or a session cancelled, in a closed month (an import, a date put back):
  that month of the supervisee's unit's chain.
Each is asked only when it can matter: a save that changes none of these reads nothing more
than the row as it was. The delete comes after the save (post_save), and waits for a page
counting summaries at that moment (`oversight.models.hold_summaries`), so what the page stored
without seeing the write is deleted too.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from oversight.models import forget_month_summaries, forget_summaries, unit_chain
from oversight.reports.dashboard.summaries import open_month_start
from supervision.models import (
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    Unit,
)


def _span(old, new):
    """The days from the earlier of two dates to the later (None: no end)."""
    if old == new:
        return None
    if old is None or new is None:
        return (old or new, None)
    return (min(old, new), max(old, new))


def _path_of(unit_id) -> str | None:
    return Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first()


def _profile_saving(sender, instance, raw=False, **kwargs):
    """What the save will change, worked out from the row as it was; deleted once saved
    (`_forget_after_saving`), so a page counting meanwhile is ordered with the write."""
    if raw:
        return
    before = (
        StaffProfile.objects.filter(pk=instance.pk)
        .values("unit_id", "unit__path", "start_date", "leaving_date")
        .first()
        if instance.pk
        else None
    )
    if before is None:
        instance._summaries_changed = [(unit_chain(_path_of(instance.unit_id)), None, None)]
        return
    changes, new_path = [], before["unit__path"]
    if before["unit_id"] != instance.unit_id:
        new_path = _path_of(instance.unit_id)
        changes.append((unit_chain(before["unit__path"]) ^ unit_chain(new_path), None, None))
    for old, new in (
        (before["start_date"], instance.start_date),
        (before["leaving_date"], instance.leaving_date),
    ):
        span = _span(old, new)
        if span is not None:
            changes.append((unit_chain(new_path), *span))
    instance._summaries_changed = changes


def _forget_after_saving(sender, instance, raw=False, **kwargs):
    changes = instance.__dict__.pop("_summaries_changed", None)
    if changes and not raw:
        forget_summaries(changes)


def _profile_deleted(sender, instance, **kwargs):
    forget_summaries([(unit_chain(_path_of(instance.unit_id)), None, None)])


def _unit_saving(sender, instance, raw=False, **kwargs):
    if raw or not instance.pk:
        return
    before = Unit.objects.filter(pk=instance.pk).values("parent_id", "path").first()
    if before is None or before["parent_id"] == instance.parent_id:
        return
    parent = _path_of(instance.parent_id)
    moved = unit_chain(before["path"]) ^ unit_chain(f"{parent or '/'}{instance.pk}/")
    instance._summaries_changed = [(moved, None, None)]


def _supervisee_path(user_id) -> str | None:
    return StaffProfile.objects.filter(user_id=user_id).values_list("unit__path", flat=True).first()


def _record_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.status != SupervisionRecord.Status.FINALISED or not instance.finalised_at:
        return
    if not _is_closed(instance.finalised_at):
        return
    supervisee = SupervisionSession.objects.filter(pk=instance.session_id).values_list(
        "supervisee_id", flat=True
    )
    forget_month_summaries(_supervisee_path(supervisee.first()), instance.finalised_at)


def _session_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.cancelled_at is None or not _is_closed(instance.cancelled_at):
        return
    forget_month_summaries(_supervisee_path(instance.supervisee_id), instance.cancelled_at)


def _is_closed(moment) -> bool:
    """Before the current London month: the only months kept."""
    return moment < open_month_start(timezone.now())


def connect() -> None:
    pre_save.connect(_profile_saving, sender=StaffProfile, dispatch_uid="summaries-profile")
    post_delete.connect(_profile_deleted, sender=StaffProfile, dispatch_uid="summaries-del")
    post_save.connect(_forget_after_saving, sender=StaffProfile, dispatch_uid="summaries-p")
    pre_save.connect(_unit_saving, sender=Unit, dispatch_uid="summaries-unit")
    post_save.connect(_forget_after_saving, sender=Unit, dispatch_uid="summaries-u")
    post_save.connect(_record_saved, sender=SupervisionRecord, dispatch_uid="summaries-record")
    post_save.connect(_session_saved, sender=SupervisionSession, dispatch_uid="summaries-session")
