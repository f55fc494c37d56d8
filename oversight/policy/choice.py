"""Which policy pack applies on a day: the organisation's choice of pack and that pack's
versions, each from its effective date. A missing pack is an error, never a silent default."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from oversight.models import OrganisationPolicy, PolicyPackVersion
from oversight.policy.due import day_start
from oversight.policy.packs import PolicyPack, load_pack, pack_in_force


class NoPolicyPack(Exception):
    pass


def pack_code() -> str:
    """The pack the organisation runs today."""
    policy = OrganisationPolicy.current()
    if policy is None:
        raise NoPolicyPack("No policy pack is chosen for this organisation.")
    return policy.pack_code


def pack_versions(code: str | None = None) -> list[PolicyPack]:
    """One pack's versions, or, with no code, the organisation's timeline: for each choice of
    pack, the version in force when it was chosen (re-dated to the choice) and that pack's
    later versions up to the next choice. `pack_on` then answers any day with the pack the
    organisation ran on that day."""
    if code is not None:
        versions = [load_pack(row.data) for row in PolicyPackVersion.objects.filter(code=code)]
        if not versions:
            raise NoPolicyPack("The chosen policy pack has no versions.")
        return versions
    choices = list(OrganisationPolicy.objects.order_by("effective_from", "pk"))
    if not choices:
        raise NoPolicyPack("No policy pack is chosen for this organisation.")
    by_code: dict[str, list[PolicyPack]] = {}
    for row in PolicyPackVersion.objects.filter(code__in={c.pack_code for c in choices}):
        by_code.setdefault(row.code, []).append(load_pack(row.data))
    timeline: list[PolicyPack] = []
    for index, choice in enumerate(choices):
        versions = by_code.get(choice.pack_code, [])
        if not versions:
            continue
        until = choices[index + 1].effective_from if index + 1 < len(choices) else None
        first = pack_in_force(versions, choice.effective_from) or min(
            versions, key=lambda p: (p.effective_from, p.version)
        )
        timeline.append(replace(first, effective_from=choice.effective_from))
        timeline += [
            v
            for v in versions
            if choice.effective_from < v.effective_from
            and (until is None or v.effective_from < until)
        ]
    if not timeline:
        raise NoPolicyPack("The chosen policy pack has no versions.")
    return timeline


def pack_on(day: date, versions: list[PolicyPack] | None = None) -> PolicyPack:
    versions = versions if versions is not None else pack_versions()
    pack = pack_in_force(versions, day)
    if pack is None:
        # Before the first version's effective date, the first version applies: the rules
        # must answer for facts imported from before the organisation adopted the pack.
        pack = min(versions, key=lambda p: (p.effective_from, p.version), default=None)
    if pack is None:
        raise NoPolicyPack("The chosen policy pack has no versions.")
    return pack


def _version_changes(versions: list[PolicyPack]) -> list[datetime]:
    return [day_start(p.effective_from) for p in versions]
