"""The home page's lists of work: what needs the person now, most urgent first (UX: home pages
are lists of work), and the people, supervisors and units the page names.

Each query whose reach is the person's own (their actions, the records they are to sign,
what they wrote and have not signed, their sessions, profile and relationships) is compiled
once for its shape (oversight.reports.home_queries); the records and sessions another person
may be the one to act on are read as access.records decides, on every page.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from access.grants import current_grants
from access.records import records_waiting, sessions_to_write_up, waiting_lists, waiting_values
from access.roles import Roles
from access.units import units_overseen_by
from oversight.flags import selectors as selectors_flags
from oversight.reports import home_queries as kept
from supervision.models import (
    Action,
    DevelopmentConversation,
    PracticeObservation,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    User,
)
from supervision.people.selectors import current_supervisees_of, current_supervisors_of


def home_page_for(user, roles: Roles) -> dict:
    today = timezone.localdate()
    mine = {"user": user.pk, "day": today}
    context = {"work": records_waiting_for(user)} if roles.supervisee or roles.supervisor else {}
    if roles.supervisee:
        found = kept.instances("profile", _profile, {"user": user.pk})
        context["profile"] = found[0] if found else None
        context["my_supervisors"] = kept.instances("supervisors", _supervisors, mine)
    if roles.supervisor:
        context["my_supervisees"] = kept.instances("supervisees", _supervisees, mine)
    if roles.senior_manager:
        context["overseen_units"] = list(units_overseen_by(user))
    if roles.auditor:
        context["grants"] = list(
            current_grants(user)
            .select_related("subject__profile__unit", "granted_by")
            .order_by("ends_on", "subject__full_name")
        )
    return context


def home_flags(user, roles: Roles, now, supervisee_ids) -> dict:
    """oversight.flags.selectors.home_flags, its query compiled once for each shape."""
    return selectors_flags.home_flags(user, roles, now, supervisee_ids, read=kept.tuples)


def _profile(values):
    return (
        StaffProfile.objects.select_related("job_role", "unit")
        .filter(user_id=values["user"])
        .order_by("pk")[:1]
    )


def _supervisors(values):
    return current_supervisors_of(User(pk=values["user"]), values["day"])


def _supervisees(values):
    return current_supervisees_of(User(pk=values["user"]), values["day"])


def records_waiting_for(user) -> dict:
    """What needs this person now, most urgent first."""

    now = timezone.now()
    today = timezone.localdate(now)
    # Who may act, and for whom, as access.records decides; its queries compiled once.
    reach = waiting_values(user, today)
    # Actions of records the supervisee has been shown (not a draft still being written):
    # theirs to do, and apart, those the supervisor or someone else agreed to take. One query.
    actions = kept.instances("open actions", _open_actions, {"user": user.pk})
    # The three lists of records this person is to act on, from one query by the access rules
    # (rather than three, each looking the rows up by key: PostgreSQL plans better from the
    # filter itself, 13 ms against 1.4 ms for the disagreement list on a ten-year organisation).
    waiting = waiting_lists(
        [] if reach is None else kept.instances("records waiting", _records_waiting, reach)
    )
    return {
        "to_sign": kept.instances("to sign", _to_sign, {"user": user.pk}),
        # Whoever amends now (access.records): after a change of supervisor, the new one.
        "to_write": waiting["to_write"],
        # Whoever will actually finalise: the supervisor who held the session, or after they
        # have left the supervisee's line supervisor now (access.records).
        "to_finalise": waiting["to_finalise"],
        # Observations and development conversations they wrote and have not signed: nobody
        # else can sign them, and after a change of supervisor nothing else leads to them.
        "to_sign_own": _own_unsigned(user, today),
        # Shared with a disagreement whose supervisor's view is still to come: the supervisee
        # cannot sign until it is given, so it is this person's to do.
        "to_give_view": waiting["to_give_view"],
        # Whoever will write the record: the supervisor who held the session, or after they
        # have left the supervisee's line supervisor now (access.records).
        "sessions_without_record": _session_lines(
            []
            if reach is None
            else kept.tuples("sessions to write up", _sessions_to_write_up, {**reach, "now": now})
        ),
        "upcoming": _upcoming_lines(
            user,
            kept.tuples(
                "upcoming",
                _upcoming,
                {"user": user.pk, "after": now, "until": now + timedelta(days=14)},
            ),
        ),
        "my_open_actions": [a for a in actions if a.owner == Action.Owner.SUPERVISEE],
        "open_actions_for_me": [a for a in actions if a.owner != Action.Owner.SUPERVISEE],
    }


def _records_waiting(values):
    return (
        records_waiting(values)
        .select_related("session__supervisee", "session__supervisor")
        .order_by("session__starts_at")
    )


def _sessions_to_write_up(values):
    return (
        sessions_to_write_up(values)
        .order_by("starts_at", "pk")
        .values_list("pk", "starts_at", "supervisee__full_name")[:20]
    )


def _open_actions(values):
    return (
        Action.objects.filter(supervisee_id=values["user"], status=Action.Status.OPEN)
        .exclude(record__status="draft")
        .select_related("record")
        .order_by("due_date", "pk")
    )


def _to_sign(values):
    return (
        SupervisionRecord.objects.select_related("session__supervisee", "session__supervisor")
        .filter(session__supervisee_id=values["user"], status="shared")
        .order_by("session__starts_at")
    )


def _upcoming(values):
    return (
        SupervisionSession.objects.filter(
            Q(supervisor_id=values["user"]) | Q(supervisee_id=values["user"]),
            status="planned",
            starts_at__gt=values["after"],
            starts_at__lte=values["until"],
        )
        .order_by("starts_at", "pk")
        .values_list(
            "pk", "starts_at", "supervisee_id", "supervisee__full_name", "supervisor__full_name"
        )
    )


def _here(person: str, today) -> Q:
    return Q(**{f"{person}__is_active": True}) & (
        Q(**{f"{person}__profile__leaving_date__isnull": True})
        | Q(**{f"{person}__profile__leaving_date__gte": today})
    )


def _observations(values):
    return PracticeObservation.objects.filter(
        _here("practitioner", values["today"]),
        observer_id=values["user"],
        status=PracticeObservation.Status.DRAFT,
    ).select_related("practitioner")


def _conversations(values):
    return DevelopmentConversation.objects.filter(
        _here("person", values["today"]),
        agreed_by_id=values["user"],
        status=DevelopmentConversation.Status.DRAFT,
    ).select_related("person")


def _own_unsigned(user, today) -> list[dict]:
    # Not those about someone who has left: they could never sign their part.
    values = {"user": user.pk, "today": today}
    observations = kept.instances("observations to sign", _observations, values)
    conversations = kept.instances("conversations to sign", _conversations, values)
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


def _session_link():
    """The session page's link for any session: reversed once, numbered for each."""
    mark = 987654321
    before, _, after = reverse("session", kwargs={"session_id": mark}).partition(str(mark))
    return lambda pk: f"{before}{pk}{after}"


def _session_lines(sessions) -> list[dict]:
    """Sessions with no record yet, as links with the supervisee's name and the day. `sessions`:
    (pk, starts_at, supervisee's name)."""
    link = _session_link()
    lines = []
    for pk, starts_at, supervisee_name in sessions:
        at = timezone.localtime(starts_at)
        lines.append({"url": link(pk), "text": f"{supervisee_name}, {at.day} {at:%B %Y}"})
    return lines


def _upcoming_lines(user, sessions) -> list[dict]:
    """The sessions as the home page lists them, each line's link and words worked out here
    rather than by a tag and three filters a line (a supervisor of 65 has some 45 in a
    fortnight). The link is reversed once and numbered for each session. `sessions`: (pk,
    starts_at, supervisee id, supervisee's name, supervisor's name), read as values rather than
    three model objects a session."""
    link = _session_link()
    lines = []
    for pk, starts_at, supervisee_id, supervisee_name, supervisor_name in sessions:
        at = timezone.localtime(starts_at)
        other = f"with {supervisor_name}" if supervisee_id == user.pk else supervisee_name
        lines.append(
            {
                "url": link(pk),
                "text": f"{at.day} {at:%B %Y, %H:%M}: {other}",
            }
        )
    return lines
