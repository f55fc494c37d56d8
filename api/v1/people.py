"""People and their supervision arrangements: staff, supervisory relationships, agreements'
status and sessions' dates and states. Never a personal section, nor any text written in a
record, an agreement or a session: only identifiers, dates, kinds and states.

Each list holds the people whose unit is in the token's reach, by the unit they are in now."""

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers

from agreements.models import SupervisionAgreement
from api.models import Scope
from api.v1 import filters
from api.v1.described import LIST_ERRORS, UPDATED_SINCE, errors
from api.v1.listing import UNIT, PeopleListView, changed_since, ordered_by
from supervision.models import (
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
)
from supervision.organisation.roles import active_on

PEOPLE = (Scope.READ_PEOPLE,)
TAGS = ["People"]


# --- Staff -----------------------------------------------------------------------------------


class StaffSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user_id", help_text="The person's id.")
    name = serializers.CharField(source="user.full_name", help_text="Their full name.")
    email = serializers.EmailField(
        source="user.email", help_text="Their work email address: the key HR feeds match on."
    )
    job_role = serializers.CharField(source="job_role.code", help_text="Their job role's code.")
    job_role_name = serializers.CharField(source="job_role.name", help_text="Its name.")
    job_role_category = serializers.CharField(
        source="job_role.category",
        help_text="practitioner, asye, student, independent, manager, senior_manager or "
        "support: what the policy pack's due rules read.",
    )
    unit = serializers.IntegerField(source="unit_id", help_text="The unit they are in.")
    line_supervisor = serializers.IntegerField(
        allow_null=True,
        help_text="The person id of their line supervisor today, or null when they have none.",
    )
    updated_at = serializers.DateTimeField(
        source="changed_at",
        help_text="When their staff details, name or email last changed.",
    )

    class Meta:
        model = StaffProfile
        fields = [
            "id",
            "name",
            "email",
            "job_role",
            "job_role_name",
            "job_role_category",
            "unit",
            "employment_type",
            "start_date",
            "leaving_date",
            "is_active",
            "line_supervisor",
            "updated_at",
        ]
        extra_kwargs = {
            "employment_type": {"help_text": "Permanent, part-time, agency or fixed-term."},
            "start_date": {"help_text": "Their first day."},
            "leaving_date": {"help_text": "Their last day, when known."},
            "is_active": {"help_text": "False once they have left."},
        }


@extend_schema(
    summary="List staff",
    description="Members of staff in the token's units, by id: their role, unit, dates and "
    "line supervisor. No personal section, wellbeing or record content. Needs read_people.",
    parameters=[UNIT, UPDATED_SINCE],
    responses={200: StaffSerializer(many=True), **errors(*LIST_ERRORS)},
    examples=[
        OpenApiExample(
            "A practitioner",
            value={
                "id": 42,
                "name": "Sam Patel",
                "email": "sam.patel@example.org",
                "job_role": "social-worker",
                "job_role_name": "Social Worker",
                "job_role_category": "practitioner",
                "unit": 9,
                "employment_type": "permanent",
                "start_date": "2024-09-02",
                "leaving_date": None,
                "is_active": True,
                "line_supervisor": 17,
                "updated_at": "2026-12-01T09:30:00Z",
            },
            response_only=True,
        )
    ],
    tags=TAGS,
)
class StaffList(PeopleListView):
    serializer_class = StaffSerializer
    scopes = PEOPLE
    pagination_class = ordered_by("user_id")
    unit_path = "unit__path"

    def rows(self):
        line = SupervisoryRelationship.objects.filter(
            active_on(timezone.localdate()),
            supervisee=OuterRef("user_id"),
            kind=SupervisoryRelationship.Kind.LINE,
        ).order_by("-starts_on")
        return StaffProfile.objects.select_related("user", "job_role").annotate(
            line_supervisor=Subquery(line.values("supervisor_id")[:1]),
            changed_at=Greatest("updated_at", "user__details_changed_at"),
        )

    def changed_since(self) -> Q | None:
        return _staff_changed_since(self.request)


def _staff_changed_since(request) -> Q | None:
    """A staff row changes with their profile, their name or email (on the account), and their
    line supervisor (a relationship begun, ended or changed): any of them since."""
    profile_or_account = changed_since(request, "updated_at", "user__details_changed_at")
    if profile_or_account is None:
        return None
    since = filters.moment(request, "updated_since")
    relationship = SupervisoryRelationship.objects.filter(
        supervisee=OuterRef("user_id"), updated_at__gte=since
    )
    return profile_or_account | Q(Exists(relationship))


# --- Supervisory relationships ---------------------------------------------------------------


class RelationshipSerializer(serializers.ModelSerializer):
    supervisor = serializers.IntegerField(
        source="supervisor_id", help_text="The supervisor's person id."
    )
    supervisee = serializers.IntegerField(
        source="supervisee_id", help_text="The supervisee's person id."
    )

    class Meta:
        model = SupervisoryRelationship
        fields = ["id", "supervisor", "supervisee", "kind", "starts_on", "ends_on", "updated_at"]
        extra_kwargs = {
            "kind": {"help_text": "Line, designated, practice educator or temporary cover."},
            "starts_on": {"help_text": "The first day of the relationship."},
            "ends_on": {"help_text": "Its last day, inclusive; null while it continues."},
            "updated_at": {"help_text": "When it last changed (it ended, say)."},
        }


@extend_schema(
    summary="List supervisory relationships",
    description="Who supervises whom, of what kind and from when to when, for supervisees in "
    "the token's units (the supervisor may be elsewhere). Needs read_people.",
    parameters=[
        UNIT,
        UPDATED_SINCE,
        OpenApiParameter(
            "active_on",
            OpenApiTypes.DATE,
            description="Only relationships in force on this day.",
        ),
    ],
    responses={200: RelationshipSerializer(many=True), **errors(*LIST_ERRORS)},
    examples=[
        OpenApiExample(
            "Line supervision",
            value={
                "id": 7,
                "supervisor": 17,
                "supervisee": 42,
                "kind": "line",
                "starts_on": "2024-09-02",
                "ends_on": None,
                "updated_at": "2024-09-02T10:00:00Z",
            },
            response_only=True,
        )
    ],
    tags=TAGS,
)
class RelationshipList(PeopleListView):
    serializer_class = RelationshipSerializer
    scopes = PEOPLE
    unit_path = "supervisee__profile__unit__path"

    def rows(self):
        return SupervisoryRelationship.objects.all()

    def filters(self) -> list[Q | None]:
        day = filters.day(self.request, "active_on")
        return [active_on(day) if day else None]


# --- Agreements ------------------------------------------------------------------------------


class AgreementSerializer(serializers.ModelSerializer):
    relationship = serializers.IntegerField(
        source="relationship_id", help_text="The supervisory relationship it is for."
    )
    supervisor = serializers.IntegerField(
        source="relationship.supervisor_id", help_text="The supervisor's person id."
    )
    supervisee = serializers.IntegerField(
        source="relationship.supervisee_id", help_text="The supervisee's person id."
    )

    class Meta:
        model = SupervisionAgreement
        fields = [
            "id",
            "relationship",
            "supervisor",
            "supervisee",
            "version",
            "status",
            "starts_on",
            "review_due_on",
            "frequency_value",
            "frequency_unit",
            "duration_minutes",
            "mode",
            "superseded_at",
            "updated_at",
        ]
        extra_kwargs = {
            "version": {"help_text": "1 for the first agreement, one more for each review."},
            "status": {"help_text": "draft, active (signed and in force) or superseded."},
            "starts_on": {"help_text": "The day it takes effect."},
            "review_due_on": {"help_text": "The day it is due for review."},
            "frequency_value": {"help_text": "How often supervision happens: every this many…"},
            "frequency_unit": {"help_text": "…weeks or months."},
            "duration_minutes": {"help_text": "How long a session lasts."},
            "mode": {"help_text": "In person, virtual or either."},
            "superseded_at": {"help_text": "When a newer version replaced it."},
            "updated_at": {"help_text": "When it last changed."},
        }


@extend_schema(
    summary="List supervision agreements' status",
    description="Each agreement's version, status, dates and agreed frequency, for supervisees "
    "in the token's units. Never the agreement's text. Needs read_people.",
    parameters=[
        UNIT,
        UPDATED_SINCE,
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=SupervisionAgreement.Status.values,
            description="Only agreements in this status.",
        ),
    ],
    responses={200: AgreementSerializer(many=True), **errors(*LIST_ERRORS)},
    examples=[
        OpenApiExample(
            "An agreement in force",
            value={
                "id": 3,
                "relationship": 7,
                "supervisor": 17,
                "supervisee": 42,
                "version": 2,
                "status": "active",
                "starts_on": "2026-03-01",
                "review_due_on": "2027-03-01",
                "frequency_value": 4,
                "frequency_unit": "weeks",
                "duration_minutes": 90,
                "mode": "in_person",
                "superseded_at": None,
                "updated_at": "2026-03-02T11:15:00Z",
            },
            response_only=True,
        )
    ],
    tags=TAGS,
)
class AgreementList(PeopleListView):
    serializer_class = AgreementSerializer
    scopes = PEOPLE
    unit_path = "relationship__supervisee__profile__unit__path"

    def rows(self):
        return SupervisionAgreement.objects.select_related("relationship").defer(*_AGREEMENT_TEXT)

    def filters(self) -> list[Q | None]:
        status = filters.choice(self.request, "status", SupervisionAgreement.Status.values)
        return [Q(status=status) if status else None]


# Not even read from the database.
_AGREEMENT_TEXT = [
    "purpose_and_aims",
    "agenda_expectations",
    "contact_between_sessions",
    "cover_when_absent",
    "records_and_signing",
    "confidentiality",
    "supervisee_expectations",
    "supervisor_expectations",
    "resolving_differences",
    "specific_provisions",
]


# --- Sessions --------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    supervisor = serializers.IntegerField(
        source="supervisor_id", help_text="The supervisor at the time, by person id."
    )
    supervisee = serializers.IntegerField(
        source="supervisee_id", help_text="The supervisee's person id."
    )
    replaces = serializers.IntegerField(
        source="replaces_id",
        allow_null=True,
        help_text="The cancelled session this one was booked to replace, if any.",
    )
    record_status = serializers.ChoiceField(
        choices=SupervisionRecord.Status.choices,
        allow_null=True,
        help_text="Where its record is: draft, shared, amendment_requested, supervisee_signed "
        "or finalised; null when no record has been started.",
    )

    class Meta:
        model = SupervisionSession
        fields = [
            "id",
            "supervisee",
            "supervisor",
            "session_type",
            "starts_at",
            "ends_at",
            "mode",
            "status",
            "cancelled_at",
            "replaces",
            "record_status",
            "updated_at",
        ]
        extra_kwargs = {
            "session_type": {"help_text": "Individual, case, group and so on."},
            "starts_at": {"help_text": "When it starts (or started)."},
            "ends_at": {"help_text": "When it ends."},
            "mode": {"help_text": "In person or virtual."},
            "status": {"help_text": "planned, held, cancelled or did_not_take_place."},
            "cancelled_at": {"help_text": "When it was cancelled, if it was."},
            "updated_at": {"help_text": "When it last changed."},
        }


@extend_schema(
    summary="List sessions' dates and states",
    description="Supervision sessions of supervisees in the token's units: when, what kind, "
    "planned, held or cancelled, and how far its record has gone. Never what was discussed "
    "or written, nor why a session was cancelled. Needs read_people.",
    parameters=[
        UNIT,
        UPDATED_SINCE,
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=SupervisionSession.Status.values,
            description="Only sessions in this state.",
        ),
        OpenApiParameter(
            "starts_from", OpenApiTypes.DATE, description="Only sessions starting on or after."
        ),
        OpenApiParameter(
            "starts_before", OpenApiTypes.DATE, description="Only sessions starting before."
        ),
    ],
    responses={200: SessionSerializer(many=True), **errors(*LIST_ERRORS)},
    examples=[
        OpenApiExample(
            "A session held",
            value={
                "id": 120,
                "supervisee": 42,
                "supervisor": 17,
                "session_type": "individual",
                "starts_at": "2026-03-04T10:00:00Z",
                "ends_at": "2026-03-04T11:30:00Z",
                "mode": "in_person",
                "status": "held",
                "cancelled_at": None,
                "replaces": None,
                "record_status": "finalised",
                "updated_at": "2026-03-04T11:31:00Z",
            },
            response_only=True,
        )
    ],
    tags=TAGS,
)
class SessionList(PeopleListView):
    serializer_class = SessionSerializer
    scopes = PEOPLE
    unit_path = "supervisee__profile__unit__path"

    def rows(self):
        record_status = SupervisionRecord.objects.filter(session=OuterRef("pk")).values("status")
        return SupervisionSession.objects.annotate(record_status=Subquery(record_status[:1])).only(
            *_SESSION_FIELDS
        )

    def filters(self) -> list[Q | None]:
        status = filters.choice(self.request, "status", SupervisionSession.Status.values)
        starts_from = filters.day(self.request, "starts_from")
        starts_before = filters.day(self.request, "starts_before")
        return [
            Q(status=status) if status else None,
            Q(starts_at__date__gte=starts_from) if starts_from else None,
            Q(starts_at__date__lt=starts_before) if starts_before else None,
        ]


_SESSION_FIELDS = [
    "id",
    "supervisee_id",
    "supervisor_id",
    "session_type",
    "starts_at",
    "ends_at",
    "mode",
    "status",
    "cancelled_at",
    "replaces_id",
    "updated_at",
]
