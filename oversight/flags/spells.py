"""The flags the job would hold for the standards' items (oversight.policy.standards), walked
from a batch of people's histories in one pass, for the synthetic organisation
(demo/synthetic.py): it copies the other rules in its own generator, fast, and takes these
from the rules themselves rather than copy a fifth set. The flags are as `sync` makes them when
it first evaluates a history from `start` (a spell held at `start` is dated from its due date).
"""

from __future__ import annotations

from datetime import datetime

from oversight.flags.sync import _flag_from, _turns_overdue, _walk
from oversight.models import Flag
from oversight.policy import due
from oversight.policy.choice import pack_on


def standard_flags(histories, versions, start: datetime, now: datetime) -> list[Flag]:
    flags = []
    for history in histories:

        def items_at(versions, at, history=history):
            if not history.on_staff(at):
                return []
            pack = pack_on(due.local_date(at), versions)
            return due.standard_items(pack, history.standards_facts_at(pack, at), at)

        timeline = _walk(history, versions, start, now, items_at=items_at)
        spells = list(timeline.ended_spells())
        if timeline.keys:
            spells += [(key, timeline.last_began(key), None) for key in timeline.keys[-1]]
        for key, began, ended in spells:
            item = timeline.items[key]
            flag = _flag_from(item, now, history.flag_subject(began))
            if began > timeline.moments[0] and began > _turns_overdue(item.due):
                flag.overdue_since = began  # not overdue when its due date passed
            flag.raised_at = flag.overdue_since
            flag.resolved_at = flag.noticed_resolved_at = ended
            flags.append(flag)
    return flags
