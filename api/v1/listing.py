"""What the lists share: the filters every list offers (a unit, `updated_since`) applied
inside the token's reach, never widening it."""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter

from access.api import within
from api.framework.pagination import StablePages
from api.framework.views import ApiListView
from api.v1 import filters
from supervision.models import Unit

# An id: a whole number from 1 (the database's ids are 64-bit).
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}

UNIT = OpenApiParameter(
    "unit",
    ID,
    description="Only rows in this unit or a unit below it (an id from /units/). A unit "
    "outside the token's reach gives no rows.",
)


def ordered_by(field: str) -> type[StablePages]:
    return type(f"PagesBy_{field}", (StablePages,), {"ordering": field})


def unit_q(request, field: str) -> Q | None:
    """The `unit` parameter as a condition on `field` (a unit's path), or None when absent."""
    unit_id = filters.whole_number(request, "unit")
    if unit_id is None:
        return None
    path = Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
    return within([path] if path else [], field)


def changed_since(request, *fields: str) -> Q | None:
    """The `updated_since` parameter as a condition: any of `fields` at or after it."""
    since = filters.moment(request, "updated_since")
    if since is None:
        return None
    query = Q(pk__in=[])
    for field in fields:
        query |= Q(**{f"{field}__gte": since})
    return query


def narrowed(queryset, *conditions):
    for condition in conditions:
        if condition is not None:
            queryset = queryset.filter(condition)
    return queryset


class PeopleListView(ApiListView):
    """A list of rows about people, each counted in the unit `unit_path` leads to from the row:
    held to the token's reach, then narrowed by `unit`, by `updated_since` (`changed_since`)
    and by the list's own `filters()`."""

    unit_path: str

    def rows(self):
        raise NotImplementedError

    def filters(self) -> list[Q | None]:
        return []

    def changed_since(self) -> Q | None:
        return changed_since(self.request, "updated_at")

    def get_queryset(self):
        return narrowed(
            self.rows().filter(within(self.reach(), self.unit_path)),
            unit_q(self.request, self.unit_path),
            self.changed_since(),
            *self.filters(),
        )
