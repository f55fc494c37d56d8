"""A leaver, and a change of line supervisor, from the HR system: the same services as the
administrators' pages (Organisation → Mark as left, Change supervisor), so the API does
exactly what the pages do. Only for people within the token's units (access.api_writes).

Each is idempotent: the same call again, once it has been done, changes nothing and answers
200 with `changed: false`, so a nightly feed may resend what it sent before.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from access.api_writes import staff_in_reach
from api.framework.calls import _CallSeenByAudit
from api.framework.views import ApiView
from api.models import Scope
from api.v1.described import errors
from api.v1.imports import bad_request
from supervision.models import SupervisoryRelationship, User
from supervision.people.leaving import staff_mark_left
from supervision.people.services import relationship_change_line_supervisor

WRITE_ERRORS = (401, 403, 404, 429)
BIGGEST_ID = 2**63
PERSON = OpenApiParameter(
    "id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The member of staff's id (as in /api/v1/staff/). Someone outside the "
    "token's units, or who is not staff, is not found (404).",
)


class LeavingRequestSerializer(serializers.Serializer):
    leaving_date = serializers.DateField(
        help_text="Their last working day (ISO 8601, such as 2026-12-31). Their file becomes "
        "read-only from the day after, and its retention period runs from this day."
    )


class LeavingSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text="The member of staff's id.")
    leaving_date = serializers.DateField(help_text="The leaving date now recorded.")
    changed = serializers.BooleanField(
        help_text="false: this leaving date was already recorded, and nothing changed."
    )


class SupervisorRequestSerializer(serializers.Serializer):
    supervisor = serializers.IntegerField(
        min_value=1,
        max_value=BIGGEST_ID - 1,
        help_text="The id of the new line supervisor: a member of staff within the token's "
        "units, still working.",
    )
    starts_on = serializers.DateField(
        help_text="The day the new supervisor takes over (ISO 8601). The current line "
        "supervision ends the day before."
    )


class SupervisorSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text="The supervisee's id.")
    supervisor = serializers.IntegerField(help_text="The line supervisor from `starts_on`.")
    starts_on = serializers.DateField(help_text="The day the supervision starts.")
    previous_supervisor = serializers.IntegerField(
        allow_null=True,
        help_text="Whose line supervision ended the day before, or null if there was none "
        "(or, when `changed` is false, the supervisor before this one was already recorded).",
    )
    changed = serializers.BooleanField(
        help_text="false: this supervisor already supervises from this day; nothing changed."
    )


def _bad(error: DjangoValidationError, fields: dict[str, str]):
    """The service's refusal, as a 400 naming the API's field."""
    raise ValidationError(
        {fields.get(field, field): messages for field, messages in error.message_dict.items()}
    ) from None


class _StaffWrite(ApiView):
    scopes = (Scope.WRITE_IMPORTS,)

    def person(self, pk: int) -> User:
        if pk >= BIGGEST_ID:
            raise NotFound()  # past what the database holds: no one, not an overflow
        person = staff_in_reach(self.reach()).select_related("profile").filter(pk=pk).first()
        if person is None:
            raise NotFound()
        return person

    def finalize_response(self, request, response, *args, **kwargs):
        # One person changed, or looked at and left as they were.
        if response.status_code == 200:
            self.rows_returned = 1
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema(
    summary="Record a leaver",
    description=(
        "What Organisation → Mark as left does (rule S2): records the leaving date; every "
        "supervisory relationship still open on that day, as supervisee or supervisor, ends "
        "on it and its agreement stops being in force; a date already past closes the account "
        "at once, otherwise the daily job does so the day after. A different date corrects "
        "the one recorded; the same date again changes nothing (200, `changed: false`). "
        "Needs write_imports; the person must be within the token's units (404 otherwise)."
    ),
    parameters=[PERSON],
    request=LeavingRequestSerializer,
    responses={
        200: OpenApiResponse(
            LeavingSerializer,
            description="Recorded, or already recorded.",
            examples=[
                OpenApiExample(
                    "Recorded",
                    value={"person": 42, "leaving_date": "2026-12-31", "changed": True},
                    response_only=True,
                )
            ],
        ),
        **errors(*WRITE_ERRORS),
        **bad_request(
            "A date missing or not valid, or one the page would refuse: `errors` names the field.",
            "leaving_date",
            "Enter a leaving date on or after the start date.",
        ),
    },
    examples=[OpenApiExample("Last day", value={"leaving_date": "2026-12-31"}, request_only=True)],
    tags=["Staff changes"],
)
class StaffLeaving(_StaffWrite):
    serializer_class = LeavingSerializer

    def post(self, request, pk: int):
        person = self.person(pk)
        given = LeavingRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        leaving_date = given.validated_data["leaving_date"]
        changed = person.profile.leaving_date != leaving_date
        if changed:
            try:
                staff_mark_left(
                    person=person,
                    leaving_date=leaving_date,
                    by=None,
                    request=_CallSeenByAudit(request._request),
                )
            except DjangoValidationError as error:
                _bad(error, {})
        return Response(
            {"person": person.pk, "leaving_date": leaving_date.isoformat(), "changed": changed}
        )


@extend_schema(
    summary="Change a line supervisor",
    description=(
        "What Organisation → Change supervisor does: ends the current line supervision the "
        "day before `starts_on` and starts the new one on it, in one transaction, so nobody "
        "is ever without, or with two, line supervisors. The agreement does not pass to the "
        "new supervisor (rule A2). The same supervisor from the same day again changes nothing "
        "(200, `changed: false`). Needs write_imports; the supervisee and the new supervisor "
        "must both be within the token's units (404 for the supervisee, 400 for the supervisor)."
    ),
    parameters=[PERSON],
    request=SupervisorRequestSerializer,
    responses={
        200: OpenApiResponse(
            SupervisorSerializer,
            description="Changed, or already so.",
            examples=[
                OpenApiExample(
                    "Changed",
                    value={
                        "person": 42,
                        "supervisor": 17,
                        "starts_on": "2027-01-04",
                        "previous_supervisor": 12,
                        "changed": True,
                    },
                    response_only=True,
                )
            ],
        ),
        **errors(*WRITE_ERRORS),
        **bad_request(
            "A supervisor who may not take over (outside the units, left, the supervisee, or "
            "already supervising), or a date the page would refuse: `errors` names the field.",
            "starts_on",
            "Enter a date after the current supervision began (8 January 2024).",
        ),
    },
    examples=[
        OpenApiExample(
            "New team manager",
            value={"supervisor": 17, "starts_on": "2027-01-04"},
            request_only=True,
        )
    ],
    tags=["Staff changes"],
)
class StaffSupervisor(_StaffWrite):
    serializer_class = SupervisorSerializer

    def post(self, request, pk: int):
        supervisee = self.person(pk)
        given = SupervisorRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        on = given.validated_data["starts_on"]
        # Whom the page offers: anyone still working but the supervisee; here also within the
        # token's units.
        supervisor = (
            staff_in_reach(self.reach())
            .filter(is_active=True, profile__is_active=True)
            .exclude(pk=supervisee.pk)
            .filter(pk=given.validated_data["supervisor"])
            .first()
        )
        if supervisor is None:
            raise ValidationError(
                {
                    "supervisor": [
                        "Choose a member of staff who is still working, within this token's "
                        "units, other than the supervisee."
                    ]
                }
            )
        # The open line supervision, as the service finds it.
        current = SupervisoryRelationship.objects.filter(
            supervisee=supervisee, kind=SupervisoryRelationship.Kind.LINE, ends_on__isnull=True
        ).first()
        if (
            current is not None
            and current.supervisor_id == supervisor.pk
            and (current.starts_on == on)
        ):
            previous = (
                SupervisoryRelationship.objects.filter(
                    supervisee=supervisee,
                    kind=SupervisoryRelationship.Kind.LINE,
                    starts_on__lt=on,
                )
                .order_by("-starts_on")
                .values_list("supervisor_id", flat=True)
                .first()
            )
            return self._answer(supervisee, supervisor, on, previous, changed=False)
        try:
            relationship_change_line_supervisor(
                supervisee=supervisee,
                new_supervisor=supervisor,
                on=on,
                by=None,
                request=_CallSeenByAudit(request._request),
            )
        except DjangoValidationError as error:
            _bad(error, {"new_supervisor": "supervisor", "on": "starts_on"})
        previous = current.supervisor_id if current is not None else None
        return self._answer(supervisee, supervisor, on, previous, changed=True)

    def _answer(self, supervisee, supervisor, on, previous, *, changed: bool):
        return Response(
            {
                "person": supervisee.pk,
                "supervisor": supervisor.pk,
                "starts_on": on.isoformat(),
                "previous_supervisor": previous,
                "changed": changed,
            }
        )
