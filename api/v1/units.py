"""Units: the organisation's tree, as far as the token reaches (its units and those below)."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers

from access.api import units_in_reach
from api.framework.views import ApiListView, ApiRetrieveView
from api.models import Scope
from api.v1.described import ITEM_ERRORS, LIST_ERRORS, errors
from supervision.models import Unit


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(
        source="parent_id",
        allow_null=True,
        help_text="The unit above, or null at the top of the tree (or of what the token sees "
        "when the unit above is outside it: compare with `within`).",
    )
    within = serializers.SerializerMethodField(
        help_text="The ids of the units above, from the top of the tree down."
    )

    class Meta:
        model = Unit
        fields = ["id", "name", "code", "kind", "parent", "within"]
        extra_kwargs = {
            "id": {"help_text": "The unit's id, stable for as long as the unit exists."},
            "name": {"help_text": "The unit's name, as people know it."},
            "code": {"help_text": "The short code used in imports and feeds."},
            "kind": {"help_text": "Directorate, service, team or other."},
        }

    def get_within(self, unit) -> list[int]:
        return [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]


UNIT_EXAMPLE = OpenApiExample(
    "A team",
    value={
        "id": 9,
        "name": "Assessment team north",
        "code": "assessment-north",
        "kind": "team",
        "parent": 4,
        "within": [1, 4],
    },
    response_only=True,
)

READ_ANY = (Scope.READ_FIGURES, Scope.READ_PEOPLE)


class _UnitsInReach:
    serializer_class = UnitSerializer
    scopes = READ_ANY

    def get_queryset(self):
        return units_in_reach(self.reach()).order_by("pk")


@extend_schema_view(
    get=extend_schema(
        summary="List units",
        description="The units the token sees: its account's units and every unit below "
        "them, by id. Needs read_figures or read_people.",
        responses={200: UnitSerializer(many=True), **errors(*LIST_ERRORS)},
        examples=[UNIT_EXAMPLE],
        tags=["Organisation"],
    )
)
class UnitList(_UnitsInReach, ApiListView):
    pass


@extend_schema_view(
    get=extend_schema(
        summary="One unit",
        description="A unit the token sees. Needs read_figures or read_people.",
        responses={200: UnitSerializer, **errors(*ITEM_ERRORS)},
        examples=[UNIT_EXAMPLE],
        tags=["Organisation"],
    )
)
class UnitDetail(_UnitsInReach, ApiRetrieveView):
    pass
