"""Queued downloads: a file built from what one person could see is theirs alone. Not even an
administrator opens another person's: it is a copy of pages only its owner was shown."""

from access.people import may_act
from oversight.models import Export


def own_export(user, export_id) -> Export | None:
    if not may_act(user) or not str(export_id).isdigit():
        return None
    return Export.objects.filter(pk=export_id, requested_by=user).first()
