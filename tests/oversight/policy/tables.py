"""What the tables of dates in test_due.py and test_due_children.py share: the shipped packs,
London moments, a pack with some values changed, and ways to pick items out of the answers."""

import copy
from datetime import date, datetime
from zoneinfo import ZoneInfo

from oversight.policy.due import HeldSession, PersonFacts
from oversight.policy.packs import load_pack, pack_to_dict, shipped_packs

PACKS = shipped_packs()
KENT, SURREY, P002 = PACKS["kent"], PACKS["surrey"], PACKS["policy-002"]
LONDON = ZoneInfo("Europe/London")


def at(y, m, d, hour=12, minute=0):
    """A moment in Europe/London."""
    return datetime(y, m, d, hour, minute, tzinfo=LONDON)


def variant(pack, **changes):
    data = copy.deepcopy(pack_to_dict(pack))
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    return load_pack(data)


def sessions(*days, kind="individual"):
    return tuple(HeldSession(d, kind) for d in days)


def person(category="practitioner", start=date(2025, 1, 6), **facts):
    return PersonFacts(category=category, start_date=start, person="sam@example.org", **facts)


def items_of(kind, items):
    return [item for item in items if item.kind == kind]


def one(kind, items):
    found = items_of(kind, items)
    assert len(found) == 1, found
    return found[0]
