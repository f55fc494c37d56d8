"""Writes to policy packs: a new version of a pack from an effective date,
and which pack the organisation runs. Each owns its transaction and its audit entry.

A version never changes once made: a change is a new version with the date it applies from,
so a report for an earlier date still finds the version that was in force then
(`oversight.policy.choice.pack_on`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.models import Child
from oversight.models import OrganisationPolicy, PolicyPackVersion
from oversight.policy.due import LONDON
from oversight.policy.packs import PackError, load_pack
from supervision.models import StaffProfile
from supervision.organisation import audit

# What a version says about itself rather than about the rules: never "a change of setting".
_NOT_SETTINGS = ("code", "version", "effective_from", "notes")


def pack_error_dict(error: PackError) -> dict[str, list[str]]:
    """PackError lines ("cases.review.social_work.every: must be 1 or more") keyed by path."""
    errors: dict[str, list[str]] = {}
    for line in error.errors:
        path, _, message = line.partition(": ")
        errors.setdefault(path if message else "pack", []).append(message or line)
    return errors


def changed_paths(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list:
    """The settings that differ, as dotted paths to the deepest object that differs (a list is
    compared whole)."""
    paths = []
    for key in sorted(set(before) | set(after)):
        if not prefix and key in _NOT_SETTINGS:
            continue
        path = f"{prefix}.{key}" if prefix else key
        old, new = before.get(key), after.get(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            paths += changed_paths(old, new, path)
        elif old != new or (key in before) != (key in after):
            paths.append(path)
    return paths


def _note_key(notes: Mapping[str, str], path: str) -> str:
    """The note that explains a setting: the one on the setting itself, or on the nearest
    setting that holds it ("cases.review" explains "cases.review.social_work.every")."""
    parts = path.split(".")
    for length in range(len(parts), 0, -1):
        candidate = ".".join(parts[:length])
        if candidate in notes:
            return candidate
    return path


def _notes_after_change(
    notes: Mapping[str, str], changed: list[str], reason: str, version: int, effective_from: date
) -> dict[str, str]:
    # A note cites where its value came from; a changed value now comes from this decision.
    # The earlier versions keep their own notes, so nothing is lost.
    when = f"{effective_from:%-d %B %Y}"
    updated = dict(notes)
    for path in changed:
        updated[_note_key(updated, path)] = f"Version {version}, from {when}: {reason}"
    updated["effective_from"] = f"Version {version} applies from {when}: {reason}"
    return updated


def _look_again_from(moment: datetime) -> None:
    """Everyone's due dates may move when the new version starts: nobody waits past that
    moment for the next look, so flags follow the new rules from their first day."""

    StaffProfile.objects.filter(next_check_at__gt=moment).update(next_check_at=moment)
    Child.objects.filter(next_check_at__gt=moment).update(next_check_at=moment)


@transaction.atomic
def pack_version_create(
    code: str,
    data: Mapping[str, Any],
    effective_from: date,
    by,
    *,
    reason: str = "",
    request=None,
) -> PolicyPackVersion:
    """A new version of pack `code` with the settings in `data`, applying from
    `effective_from` (today or later, and not before the latest version's date).

    Raises ValidationError keyed by the path of each problem ("effective_from",
    "intervals.asye.phases[1].until_weeks"); nothing is saved unless all is well. With a
    `reason`, the notes of the settings that changed say why, in place of the citation of
    the council's policy for the value they replace.
    """
    # Locked so two administrators saving at once cannot both take the next number.
    rows = list(PolicyPackVersion.objects.select_for_update().filter(code=code))
    if not rows:
        raise ValidationError(f"There is no policy pack called {code!r} to change.")
    latest = max(rows, key=lambda row: row.version)
    latest_start = max(row.effective_from for row in rows)
    version = latest.version + 1

    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if effective_from < today:
        errors["effective_from"] = [
            "Enter today's date or a later one: a change applies from its effective date "
            "and cannot rewrite what was in force before"
        ]
    elif effective_from < latest_start:
        errors["effective_from"] = [
            f"Enter {latest_start:%-d %B %Y} or later: version {latest.version} already "
            "applies from then"
        ]

    new = copy.deepcopy(dict(data))
    new.update(code=code, version=version, effective_from=effective_from.isoformat())
    changed = changed_paths(latest.data, new)
    if reason and isinstance(new.get("notes"), Mapping):
        new["notes"] = _notes_after_change(new["notes"], changed, reason, version, effective_from)
    try:
        load_pack(new)
    except PackError as error:
        for path, messages in pack_error_dict(error).items():
            errors.setdefault(path, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if not changed:
        raise ValidationError(
            f"Nothing is different from version {latest.version}: change at least one setting"
        )

    row = PolicyPackVersion.objects.create(
        code=code,
        version=version,
        name=new["name"],
        effective_from=effective_from,
        data=new,
        created_by=by,
    )
    _look_again_from(datetime.combine(effective_from, time.min, tzinfo=LONDON))
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="policy_pack_version",
        object_id=row.pk,
        detail={
            "change": "policy pack version made",
            "pack": code,
            "version": version,
            "effective_from": effective_from.isoformat(),
            "changed": changed,
        },
    )
    return row


@transaction.atomic
def organisation_pack_choose(
    code: str, by, *, effective_from: date | None = None, request=None
) -> OrganisationPolicy:
    """Run pack `code` from `effective_from` (today if not given; never a day to come).

    A day in the past is for history imported or kept from before the organisation chose:
    every day from it is judged by this pack, so any choice made on or after it is replaced
    (the audit entry names them). Everyone is looked at again at the next tick, so flags
    follow the chosen pack's rules at once."""

    if not PolicyPackVersion.objects.filter(code=code).exists():
        raise ValidationError({"pack_code": "Choose a policy pack that has at least one version"})
    today = timezone.localdate()
    day = effective_from or today
    if day > today:
        raise ValidationError(
            {
                "effective_from": "Enter today's date or an earlier one: a pack runs from a day "
                "that has begun"
            }
        )
    # Choices are kept, never overwritten: a report for an earlier day uses the pack then.
    list(OrganisationPolicy.objects.select_for_update())
    current = OrganisationPolicy.current(day)
    previous = current.pack_code if current else ""
    replaced = list(OrganisationPolicy.objects.filter(effective_from__gte=day))
    if previous == code and all(p.pack_code == code for p in replaced):
        return current
    OrganisationPolicy.objects.filter(pk__in=[p.pk for p in replaced]).delete()
    policy = OrganisationPolicy.objects.create(pack_code=code, effective_from=day, chosen_by=by)
    StaffProfile.objects.update(next_check_at=None)
    Child.objects.update(next_check_at=None)
    detail = {"change": "policy pack chosen", "from": previous, "to": code}
    if day != today:
        detail["effective_from"] = day.isoformat()
    if day != today and replaced:
        detail["replaced"] = [
            f"{p.pack_code} from {p.effective_from.isoformat()}"
            for p in sorted(replaced, key=lambda p: p.effective_from)
        ]
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="organisation_policy",
        object_id=policy.pk,
        detail=detail,
    )
    return policy
