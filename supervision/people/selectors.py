"""Reads that cross relations, for pages. Each returns plain data with a bounded number of
queries, whatever the size of the organisation."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from access.grants import current_grants
from access.people import has_left
from access.records import records_waiting_on, sessions_to_write_up_by, waiting_lists
from access.roles import Roles
from access.units import units_overseen_by
from agreements.models import SupervisionAgreement
from supervision.models import (
    Action,
    DevelopmentConversation,
    PracticeObservation,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
)
from supervision.organisation.roles import active_on


def current_supervisors_of(user, day=None):
    day = day or timezone.localdate()
    return (
        SupervisoryRelationship.objects.filter(active_on(day), supervisee=user)
        .select_related("supervisor")
        .order_by("kind", "starts_on")
    )


def current_supervisees_of(user, day=None):
    day = day or timezone.localdate()
    return (
        SupervisoryRelationship.objects.filter(active_on(day), supervisor=user)
        .select_related("supervisee__profile__job_role", "supervisee__profile__unit")
        .order_by("supervisee__full_name")
    )


def home_page_for(user, roles: Roles) -> dict:
    context = {"work": records_waiting_for(user)} if roles.supervisee or roles.supervisor else {}
    if roles.supervisee:
        context["profile"] = (
            StaffProfile.objects.select_related("job_role", "unit").filter(user=user).first()
        )
        context["my_supervisors"] = list(current_supervisors_of(user))
    if roles.supervisor:
        context["my_supervisees"] = list(current_supervisees_of(user))
    if roles.senior_manager:
        context["overseen_units"] = list(units_overseen_by(user))
    if roles.auditor:
        context["grants"] = list(
            current_grants(user)
            .select_related("subject__profile__unit", "granted_by")
            .order_by("ends_on", "subject__full_name")
        )
    return context


def my_team(user, day=None) -> list[dict]:
    """Current supervisees, each with every current supervisor (line, educator, cover)."""
    day = day or timezone.localdate()
    mine = list(current_supervisees_of(user, day))
    others = SupervisoryRelationship.objects.filter(
        active_on(day), supervisee__in=[rel.supervisee_id for rel in mine]
    ).select_related("supervisor")
    by_supervisee: dict[int, list] = {}
    for rel in others:
        by_supervisee.setdefault(rel.supervisee_id, []).append(rel)

    in_force = {
        agreement.relationship_id: agreement
        for agreement in SupervisionAgreement.objects.filter(
            relationship__in=[rel.pk for rel in mine], status=SupervisionAgreement.Status.ACTIVE
        )
    }
    return [
        {
            "relationship": rel,
            "person": rel.supervisee,
            "supervisors": by_supervisee[rel.supervisee_id],
            "agreement": in_force.get(rel.pk),
        }
        for rel in mine
    ]


def file_history(person):
    """Every supervisory relationship the person has had, newest first: the file keeps its
    history whoever supervises now."""
    return (
        SupervisoryRelationship.objects.filter(supervisee=person)
        .select_related("supervisor")
        .order_by("-starts_on", "kind")
    )


def organisation_people(day=None):
    day = day or timezone.localdate()

    line_now = SupervisoryRelationship.objects.filter(
        active_on(day), kind=SupervisoryRelationship.Kind.LINE
    ).select_related("supervisor")
    return (
        StaffProfile.objects.select_related("user", "job_role", "unit")
        .prefetch_related(Prefetch("user__supervised_by", queryset=line_now, to_attr="line_now"))
        .order_by("unit__path", "user__full_name")
    )


def organisation_units():
    """Every unit in tree order, each with `manager_now`: its manager, or None when it has none
    or they have left (from the day after their leaving date, before the nightly job has
    cleared their name)."""

    units = list(
        Unit.objects.select_related("manager__profile")
        .annotate(staff_count=Count("staff"))
        .order_by("path")
    )
    for unit in units:
        manager = unit.manager
        gone = manager is not None and (not manager.is_active or has_left(manager))
        unit.manager_now = None if gone else manager
        unit.manager_left_on = manager.profile.leaving_date if gone and has_left(manager) else None
    return units


def _own_unsigned(user) -> list[dict]:

    # Not those about someone who has left: they could never sign their part.
    today = timezone.localdate()

    def here(person: str) -> Q:
        return Q(**{f"{person}__is_active": True}) & (
            Q(**{f"{person}__profile__leaving_date__isnull": True})
            | Q(**{f"{person}__profile__leaving_date__gte": today})
        )

    observations = PracticeObservation.objects.filter(
        here("practitioner"), observer=user, status=PracticeObservation.Status.DRAFT
    ).select_related("practitioner")
    conversations = DevelopmentConversation.objects.filter(
        here("person"), agreed_by=user, status=DevelopmentConversation.Status.DRAFT
    ).select_related("person")
    return [
        {
            "label": f"Observation of {o.practitioner.full_name}'s practice, "
            f"{o.observed_on.day} {o.observed_on:%B %Y}",
            "url": reverse("observation", args=[o.practitioner_id, o.pk]),
        }
        for o in observations
    ] + [
        {
            "label": f"{c.get_kind_display()} {c.year} with {c.person.full_name}",
            "url": reverse("development-conversation", args=[c.person_id, c.pk]),
        }
        for c in conversations
    ]


def records_waiting_for(user) -> dict:
    """What needs this person now, most urgent first (UX: home pages are lists of work)."""

    related = ("session__supervisee", "session__supervisor")
    records = SupervisionRecord.objects.select_related(*related).order_by("session__starts_at")
    now = timezone.now()
    # Actions of records the supervisee has been shown (not a draft still being written):
    # theirs to do, and apart, those the supervisor or someone else agreed to take. One query.
    actions = list(
        Action.objects.filter(supervisee=user, status=Action.Status.OPEN)
        .exclude(record__status="draft")
        .select_related("record")
        .order_by("due_date", "pk")
    )
    # The three lists of records this person is to act on, from one query by the access rules
    # (rather than three, each looking the rows up by key: PostgreSQL plans better from the
    # filter itself, 13 ms against 1.4 ms for the disagreement list on a ten-year organisation).
    waiting = waiting_lists(
        records_waiting_on(user).select_related(*related).order_by("session__starts_at")
    )
    return {
        "to_sign": list(records.filter(session__supervisee=user, status="shared")),
        # Whoever amends now (access.records): after a change of supervisor, the new one.
        "to_write": waiting["to_write"],
        # Whoever will actually finalise: the supervisor who held the session, or after they
        # have left the supervisee's line supervisor now (access.records).
        "to_finalise": waiting["to_finalise"],
        # Observations and development conversations they wrote and have not signed: nobody
        # else can sign them, and after a change of supervisor nothing else leads to them.
        "to_sign_own": _own_unsigned(user),
        # Shared with a disagreement whose supervisor's view is still to come: the supervisee
        # cannot sign until it is given, so it is this person's to do.
        "to_give_view": waiting["to_give_view"],
        # Whoever will write the record: the supervisor who held the session, or after they
        # have left the supervisee's line supervisor now (access.records).
        "sessions_without_record": list(
            sessions_to_write_up_by(user)
            .select_related("supervisee")
            .order_by("starts_at", "pk")[:20]
        ),
        "upcoming": _upcoming_lines(
            user,
            SupervisionSession.objects.filter(
                Q(supervisor=user) | Q(supervisee=user),
                status="planned",
                starts_at__gt=now,
                starts_at__lte=now + timedelta(days=14),
            )
            .order_by("starts_at", "pk")
            .values_list(
                "pk", "starts_at", "supervisee_id", "supervisee__full_name", "supervisor__full_name"
            ),
        ),
        "my_open_actions": [a for a in actions if a.owner == Action.Owner.SUPERVISEE],
        "open_actions_for_me": [a for a in actions if a.owner != Action.Owner.SUPERVISEE],
    }


def _upcoming_lines(user, sessions) -> list[dict]:
    """The sessions as the home page lists them, each line's link and words worked out here
    rather than by a tag and three filters a line (a supervisor of 65 has some 45 in a
    fortnight). The link is reversed once and numbered for each session. `sessions`: (pk,
    starts_at, supervisee id, supervisee's name, supervisor's name), read as values rather than
    three model objects a session."""
    mark = 987654321
    before, _, after = reverse("session", kwargs={"session_id": mark}).partition(str(mark))
    lines = []
    for pk, starts_at, supervisee_id, supervisee_name, supervisor_name in sessions:
        at = timezone.localtime(starts_at)
        other = f"with {supervisor_name}" if supervisee_id == user.pk else supervisee_name
        lines.append(
            {
                "url": f"{before}{pk}{after}",
                "text": f"{at.day} {at:%B %Y, %H:%M}: {other}",
            }
        )
    return lines


def line_supervisees_with_cover(person, day):
    """The people `person` line supervises on `day`, each marked `covered` when a temporary
    cover relationship is in place for them (rule S5)."""

    return list(
        SupervisoryRelationship.objects.filter(
            supervisor=person, kind=SupervisoryRelationship.Kind.LINE, starts_on__lte=day
        )
        .exclude(ends_on__lt=day)
        .select_related("supervisee")
        .annotate(
            covered=Exists(
                SupervisoryRelationship.objects.filter(
                    supervisee=OuterRef("supervisee"),
                    kind=SupervisoryRelationship.Kind.TEMPORARY_COVER,
                    starts_on__lte=day,
                ).exclude(ends_on__lt=day)
            )
        )
        .order_by("supervisee__full_name")
    )


def line_supervisor(user_id, on):
    """The person's line supervisor on a day, or None."""
    relationship = (
        SupervisoryRelationship.objects.filter(
            supervisee_id=user_id,
            kind=SupervisoryRelationship.Kind.LINE,
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("supervisor")
        .first()
    )
    return relationship.supervisor if relationship else None
