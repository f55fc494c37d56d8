"""Data for the transfer and closure parts of the child's page, so the page that includes
them passes only the child: each tag costs a fixed number of queries."""

from django import template

from casework import transfer_services
from casework.models import Child
from supervision.models import User

register = template.Library()


@register.simple_tag
def child_transfers(child: Child) -> list[transfer_services.JointSupervision]:
    """The child's transfers, newest first, each with its C5 answer. Two queries, or one when
    there are none."""
    return transfer_services.transfers_of(child)


@register.simple_tag
def closed_by(child: Child) -> User | None:
    """Who closed the case: one query for a closed case, none for an open one."""
    if child.closed_on is None or child.closed_by_id is None:
        return None
    return User.objects.filter(pk=child.closed_by_id).only("full_name").first()
