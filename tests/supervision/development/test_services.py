"""Practice observations, development conversations, probation reviews and wellbeing plans,
through the pages as the people would use them (rules Q1, Q2, Q3, Q5)."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from supervision.development import services
from supervision.models import (
    AccessGrant,
    DevelopmentConversation,
    DevelopmentRecordLockedError,
    ObservationSignature,
    PracticeObservation,
    ProbationReview,
    StaffProfile,
    TeamWellbeingPlan,
    WellbeingPlan,
)
from supervision.models.audit import AuditAction, AuditEvent
from tests.factories import SUPERVISEE_PASSWORD
from tests.world import TODAY

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


class Person:
    """A browser for one person: signs in on each visit, since sessions expire when idle."""

    def __init__(self, user):
        self.client = Client()
        self.user = user

    def get(self, url, **kw):
        with time_machine.travel(DAY, tick=False):
            self.client.force_login(self.user)
            return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        with time_machine.travel(DAY, tick=False):
            self.client.force_login(self.user)
            return self.client.post(url, data or {}, **kw)


def as_(world, role) -> Person:
    return Person(world.people[role])


def date_fields(name, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def error_summary(response) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', text(response))
    assert match, "no error summary on the page"
    return match.group(0)


OBSERVATION = {
    "observer_role": "Line manager",
    **date_fields("observed_on", date(2026, 3, 3)),
    "observed_at_time": "14:30",
    "venue": "Family home",
    "permission_gained": "on",
    "permission_details": "Mother and the family's health visitor",
    "background": "Direct work with a child about their week",
    "observer_feedback": "",
    "development_areas": "Use the three houses tool more often",
}


def observe(world, **fields) -> PracticeObservation:
    with time_machine.travel(DAY, tick=False):
        return services.observation_record(
            practitioner=world.supervisee,
            by=world.supervisor,
            observer_role="Line manager",
            observed_on=fields.pop("observed_on", date(2026, 3, 3)),
            venue="Family home",
            permission_gained=True,
            observer_feedback=fields.pop("observer_feedback", "Warm and clear with the child"),
            **fields,
        )


# Practice observations


def test_an_observation_is_written_signed_by_both_and_then_locked(world):
    supervisor, supervisee = as_(world, "supervisor"), as_(world, "supervisee")
    new = reverse("observation-new", kwargs={"person_id": world.supervisee.pk})

    response = supervisor.post(new, OBSERVATION | {"observer_feedback": "Warm, clear, child-led"})
    observation = PracticeObservation.objects.get()
    assert response.status_code == 302
    assert observation.observer == world.supervisor
    assert observation.practitioner_role == "Social Worker"
    page = reverse(
        "observation", kwargs={"person_id": world.supervisee.pk, "observation_id": observation.pk}
    )
    assert "Observation saved" in text(supervisor.get(page))

    sign = reverse(
        "observation-sign",
        kwargs={"person_id": world.supervisee.pk, "observation_id": observation.pk},
    )
    assert supervisor.post(sign, {"password": SUPERVISEE_PASSWORD}).status_code == 302
    observation.refresh_from_db()
    assert observation.status == PracticeObservation.Status.OBSERVER_SIGNED

    respond = reverse(
        "observation-respond",
        kwargs={"person_id": world.supervisee.pk, "observation_id": observation.pk},
    )
    response = supervisee.post(
        respond, {"comments": "It helped to talk it through", "password": SUPERVISEE_PASSWORD}
    )
    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.status == PracticeObservation.Status.SIGNED
    assert observation.practitioner_comments == "It helped to talk it through"
    assert observation.signed_by_both_at == DAY

    observer_signature, practitioner_signature = observation.signatures.order_by("pk")
    assert observer_signature.signer == world.supervisor
    assert observer_signature.signed_at.utcoffset().total_seconds() == 0
    # The observer signed before the comments existed; the practitioner signed the whole.
    assert observer_signature.content_hash == services.observation_hash(
        observation, upto=ObservationSignature.Role.OBSERVER
    )
    assert practitioner_signature.content_hash == services.observation_hash(
        observation, upto=ObservationSignature.Role.PRACTITIONER
    )
    assert observer_signature.content_hash != practitioner_signature.content_hash
    page_text = text(supervisee.get(page))
    assert "Signed by both" in page_text
    assert "5 March 2026" in page_text and "3 March 2026" in page_text

    # Locked: the pages, the service and the model all refuse.
    response = supervisor.get(
        reverse(
            "observation-edit",
            kwargs={"person_id": world.supervisee.pk, "observation_id": observation.pk},
        )
    )
    assert response.status_code == 302
    with pytest.raises(ValidationError):
        services.observation_update(observation=observation, by=world.supervisor, venue="Office")
    with pytest.raises(ValidationError, match="signed by both"):
        services.observation_comment_and_sign(
            observation=observation,
            comments="More",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisee,
        )
    observation.venue = "Changed behind the service's back"
    with pytest.raises(DevelopmentRecordLockedError):
        observation.save()
    with pytest.raises(DevelopmentRecordLockedError):
        observation.delete()
    with pytest.raises(DevelopmentRecordLockedError):
        observer_signature.save()
    observation.refresh_from_db()
    assert observation.venue == "Family home"
    assert services.observation_signatures_hold(observation)


def test_an_observation_without_the_familys_permission_is_refused_and_nothing_is_saved(world):
    supervisor = as_(world, "supervisor")
    data = {k: v for k, v in OBSERVATION.items() if k != "permission_gained"}
    response = supervisor.post(
        reverse("observation-new", kwargs={"person_id": world.supervisee.pk}), data
    )
    assert response.status_code == 200
    summary = error_summary(response)
    assert "Confirm that the family gave permission for the observation" in summary
    assert "#id_permission_gained" in summary or "#permission_gained" in summary
    assert PracticeObservation.objects.count() == 0

    with pytest.raises(ValidationError) as refused:
        services.observation_record(
            practitioner=world.supervisee,
            by=world.supervisor,
            observer_role="Line manager",
            observed_on=date(2026, 3, 3),
            venue="Family home",
            permission_gained=False,
        )
    assert refused.value.message_dict == {"permission_gained": [services.PERMISSION_MESSAGE]}
    # Nor can anything else write one: the database refuses too.
    with pytest.raises(IntegrityError), transaction.atomic():
        PracticeObservation.objects.create(
            practitioner=world.supervisee,
            observer=world.supervisor,
            created_by=world.supervisor,
            observed_on=date(2026, 3, 3),
            permission_gained=False,
        )
    assert PracticeObservation.objects.count() == 0


def test_a_wrong_password_signs_nothing(world):
    observation = observe(world)
    response = as_(world, "supervisor").post(
        reverse(
            "observation-sign",
            kwargs={"person_id": world.supervisee.pk, "observation_id": observation.pk},
        ),
        {"password": "not my password"},
    )
    assert response.status_code == 200
    assert "The password is not correct" in error_summary(response)
    observation.refresh_from_db()
    assert observation.status == PracticeObservation.Status.DRAFT
    assert not observation.signatures.exists()


def test_the_observer_writes_feedback_and_signs_before_the_practitioner(world):
    observation = observe(world, observer_feedback="")
    with pytest.raises(ValidationError) as refused:
        services.observation_sign_as_observer(
            observation=observation, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
    assert "observer_feedback" in refused.value.message_dict
    response = as_(world, "supervisee").post(
        reverse(
            "observation-respond",
            kwargs={"person_id": world.supervisee.pk, "observation_id": observation.pk},
        ),
        {"comments": "Too early", "password": SUPERVISEE_PASSWORD},
    )
    assert "has not signed their feedback yet" in text(response)
    observation.refresh_from_db()
    assert observation.practitioner_comments == ""
    assert not observation.signatures.exists()


# Development conversations


def plan(world, year=2026, kind="plan", **extra):
    with time_machine.travel(DAY, tick=False):
        return services.conversation_record(
            person=world.supervisee,
            kind=kind,
            year=year,
            held_on=extra.pop("held_on", date(2026, 2, 10)),
            goals=extra.pop("goals", "Complete the court skills course"),
            progress=extra.pop("progress", "Course booked"),
            by=world.supervisor,
        )


def test_a_second_plan_in_one_year_is_refused_with_a_message(world):
    plan(world)
    response = as_(world, "supervisor").post(
        reverse("development-new", kwargs={"person_id": world.supervisee.pk}),
        {"kind": "plan", "year": "2026", **date_fields("held_on", date(2026, 3, 4)), "goals": "x"},
    )
    assert response.status_code == 200
    assert "Supervisee already has a development plan for 2026" in error_summary(response)
    assert DevelopmentConversation.objects.count() == 1
    # A plan for another year, and the review of this year's, are fine.
    plan(world, year=2025, held_on=date(2025, 6, 1))
    plan(world, kind="review")
    assert DevelopmentConversation.objects.count() == 3


def test_a_review_needs_that_years_plan_first(world):
    with pytest.raises(ValidationError) as refused:
        plan(world, kind="review")
    assert refused.value.message_dict["kind"] == [
        "Record the development plan for 2026 before its review"
    ]


def test_a_development_plan_is_signed_by_the_supervisor_then_the_person_and_locked(world):
    conversation = plan(world)
    url = reverse(
        "development-sign",
        kwargs={"person_id": world.supervisee.pk, "conversation_id": conversation.pk},
    )
    supervisee, supervisor = as_(world, "supervisee"), as_(world, "supervisor")
    assert "signs first" in text(supervisee.post(url, {"password": SUPERVISEE_PASSWORD}))
    assert not conversation.signatures.exists()

    assert supervisor.post(url, {"password": SUPERVISEE_PASSWORD}).status_code == 302
    assert supervisee.post(url, {"password": SUPERVISEE_PASSWORD}).status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == DevelopmentConversation.Status.SIGNED
    assert {s.content_hash for s in conversation.signatures.all()} == {
        services.conversation_hash(conversation)
    }
    with pytest.raises(ValidationError):
        services.conversation_update(
            conversation=conversation,
            held_on=date(2026, 2, 10),
            year=2026,
            goals="Rewritten",
            by=world.supervisor,
        )
    conversation.goals = "Rewritten"
    with pytest.raises(DevelopmentRecordLockedError):
        conversation.save()


# Probation


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 31 January: February has no 31st, so the month-1 review falls on its last day.
        (
            date(2025, 1, 31),
            date(2025, 7, 31),
            [(1, date(2025, 2, 28)), (4, date(2025, 5, 31)), (5, date(2025, 6, 30))],
        ),
        (
            date(2024, 1, 31),
            date(2024, 7, 31),
            [(1, date(2024, 2, 29)), (4, date(2024, 5, 31)), (5, date(2024, 6, 30))],
        ),
        (
            date(2025, 10, 31),
            date(2026, 4, 30),
            [(1, date(2025, 11, 30)), (4, date(2026, 2, 28)), (5, date(2026, 3, 31))],
        ),
        (
            date(2025, 8, 31),
            date(2026, 2, 28),
            [(1, date(2025, 9, 30)), (4, date(2025, 12, 31)), (5, date(2026, 1, 31))],
        ),
        (
            date(2026, 3, 2),
            date(2026, 9, 1),
            [(1, date(2026, 4, 2)), (4, date(2026, 7, 2)), (5, date(2026, 8, 2))],
        ),
        # A shortened probation holds no review after its end.
        (date(2026, 3, 1), date(2026, 7, 15), [(1, date(2026, 4, 1)), (4, date(2026, 7, 1))]),
        # A review on the last day of probation is still held.
        (
            date(2026, 1, 1),
            date(2026, 6, 1),
            [(1, date(2026, 2, 1)), (4, date(2026, 5, 1)), (5, date(2026, 6, 1))],
        ),
        # No probation recorded, or no start date: nothing is due.
        (date(2015, 1, 31), None, []),
        (None, date(2026, 7, 1), []),
    ],
)
def test_probation_review_dates(start, end, expected):
    assert services.probation_review_dates(start, end) == expected


@pytest.fixture
def on_probation(world):
    StaffProfile.objects.filter(user=world.supervisee).update(
        start_date=date(2025, 10, 31), probation_end_date=date(2026, 4, 30)
    )
    world.supervisee.profile.refresh_from_db()
    return world.supervisee


def test_probation_reviews_due_are_the_ones_not_yet_held(world, on_probation):
    with time_machine.travel(DAY, tick=False):
        services.probation_review_record(
            person=on_probation,
            month=1,
            held_on=date(2025, 12, 1),
            outcome="on_track",
            notes="Settling in well",
            by=world.supervisor,
        )
    due = services.probation_reviews_due(on_probation, TODAY)
    assert [(d.month, d.due_on, d.is_overdue) for d in due] == [
        (4, date(2026, 2, 28), True),
        (5, date(2026, 3, 31), False),
    ]
    assert due[0].days_overdue == 5
    page = text(
        as_(world, "supervisee").get(
            reverse("person-probation", kwargs={"person_id": on_probation.pk})
        )
    )
    assert "28 February 2026" in page and "5 days overdue" in page
    assert "in 26 days" in page and "1 December 2025" in page


def test_probation_months_other_than_1_4_5_and_early_confirmation_are_refused(world, on_probation):
    supervisor = as_(world, "supervisor")
    for month in (2, 6):
        url = reverse("probation-review", kwargs={"person_id": on_probation.pk, "month": month})
        assert supervisor.get(url).status_code == 404
        with pytest.raises(ValidationError) as refused:
            services.probation_review_record(
                person=on_probation,
                month=month,
                held_on=date(2026, 3, 1),
                outcome="on_track",
                notes="x",
                by=world.supervisor,
            )
        assert "month" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        ProbationReview.objects.create(
            person=on_probation,
            month=3,
            due_on=TODAY,
            held_on=TODAY,
            outcome="on_track",
            notes="x",
            reviewer=world.supervisor,
        )
    response = supervisor.post(
        reverse("probation-review", kwargs={"person_id": on_probation.pk, "month": 4}),
        {**date_fields("held_on", date(2026, 3, 2)), "outcome": "confirm", "notes": "Good"},
    )
    assert response.status_code == 200
    assert "outcome" in error_summary(response)
    response = supervisor.post(
        reverse("probation-review", kwargs={"person_id": on_probation.pk, "month": 4}),
        {**date_fields("held_on", date(2026, 3, 2)), "outcome": "concerns", "notes": "Recording"},
    )
    assert response.status_code == 302
    review = ProbationReview.objects.get()
    assert (review.month, review.due_on, review.outcome) == (4, date(2026, 2, 28), "concerns")


# Wellbeing plans


WELLBEING = {
    "keeps_me_well": "A walk at lunchtime",
    "signs_not_coping": "Working late every night",
    "what_helps": "Protected time to write up",
    "support_agreed": "Occupational health referral agreed",
    **date_fields("agreed_on", date(2026, 3, 2)),
    **date_fields("review_on", date(2026, 9, 2)),
}


def test_a_wellbeing_plan_is_shown_to_the_line_and_hidden_from_an_auditor(world):
    url = reverse("person-wellbeing", kwargs={"person_id": world.supervisee.pk})
    review = reverse("wellbeing-review", kwargs={"person_id": world.supervisee.pk})
    assert as_(world, "supervisor").post(review, WELLBEING).status_code == 302

    for role in ("supervisee", "supervisor", "senior_manager"):
        page = text(as_(world, role).get(url))
        assert "Working late every night" in page, role
        assert "not shown to you" not in page, role

    response = as_(world, "auditor_with_grant").get(url)
    assert response.status_code == 200
    page = text(response)
    assert "Personal: not shown to you" in page
    for words in ("A walk at lunchtime", "Working late", "Occupational health"):
        assert words not in page

    # A grant that includes personal sections shows it.
    AccessGrant.objects.filter(grantee=world.auditor_with_grant).update(
        includes_personal_sections=True
    )
    assert "Working late every night" in text(as_(world, "auditor_with_grant").get(url))


def test_reviewing_a_wellbeing_plan_keeps_the_earlier_version(world):
    supervisor = as_(world, "supervisor")
    review = reverse("wellbeing-review", kwargs={"person_id": world.supervisee.pk})
    supervisor.post(review, WELLBEING)
    response = supervisor.post(review, WELLBEING | {"support_agreed": "Reduced caseload"})
    assert response.status_code == 302
    first, second = WellbeingPlan.objects.order_by("version")
    assert (first.version, second.version, second.previous) == (1, 2, first)
    assert first.support_agreed == "Occupational health referral agreed"
    page = text(
        supervisor.get(reverse("person-wellbeing", kwargs={"person_id": world.supervisee.pk}))
    )
    assert "Reduced caseload" in page and "Occupational health referral agreed" in page
    assert "version 2" in page
    first.support_agreed = "Rewritten"
    with pytest.raises(DevelopmentRecordLockedError):
        first.save()

    response = supervisor.post(review, WELLBEING | date_fields("review_on", date(2026, 3, 1)))
    assert "Enter a review date after the date agreed" in error_summary(response)
    assert WellbeingPlan.objects.count() == 2


TEAM_PLAN = {
    "working_arrangements": "Office Tuesday to Thursday",
    "plan": "Team lunch every other Friday",
    "led_by": "Practice manager",
    **date_fields("agreed_on", date(2026, 3, 2)),
    **date_fields("review_on", date(2026, 6, 2)),
}


def test_team_plan_is_written_by_the_teams_supervisors_and_read_by_the_team_and_above(world):
    team = world.units["team"]
    url = reverse("team-wellbeing", kwargs={"unit_id": team.pk})
    review = reverse("team-wellbeing-review", kwargs={"unit_id": team.pk})
    assert as_(world, "supervisor").post(review, TEAM_PLAN).status_code == 302
    assert TeamWellbeingPlan.objects.get().plan == "Team lunch every other Friday"

    for role in ("supervisor", "supervisee", "senior_manager"):
        response = as_(world, role).get(url)
        assert response.status_code == 200, role
        assert "Team lunch every other Friday" in text(response), role
    for role in ("supervisee", "senior_manager"):
        assert as_(world, role).post(review, TEAM_PLAN).status_code == 403, role
    for role in (
        "other_supervisee",
        "other_team_supervisor",
        "other_senior_manager",
        "auditor_with_grant",
        "auditor_without_grant",
        "admin",
    ):
        assert as_(world, role).get(url).status_code == 404, role
        assert as_(world, role).post(review, TEAM_PLAN).status_code == 404, role
    # Only teams have team plans.
    service = world.units["service"]
    assert (
        as_(world, "senior_manager")
        .get(reverse("team-wellbeing", kwargs={"unit_id": service.pk}))
        .status_code
        == 404
    )
    assert TeamWellbeingPlan.objects.count() == 1


def test_the_units_manager_may_write_the_team_plan(world):
    team = world.units["team"]
    team.manager = world.other_senior_manager
    team.save()
    response = as_(world, "other_senior_manager").post(
        reverse("team-wellbeing-review", kwargs={"unit_id": team.pk}), TEAM_PLAN
    )
    assert response.status_code == 302


# Reach


LISTS = ["person-observations", "person-development", "person-probation", "person-wellbeing"]
WRITES = ["observation-new", "development-new", "wellbeing-review"]


@pytest.mark.parametrize("role", ["other_team_supervisor", "auditor_without_grant", "admin"])
def test_outsiders_find_nothing(world, role):
    person = as_(world, role)
    for name in LISTS + WRITES:
        url = reverse(name, kwargs={"person_id": world.supervisee.pk})
        assert person.get(url).status_code == 404, name
    for bad in ("999999", "abc", "1 OR 1=1"):
        assert person.get(reverse("person-wellbeing", kwargs={"person_id": bad})).status_code == 404
    denied = AuditEvent.objects.filter(actor=world.people[role], action=AuditAction.DENIED)
    assert denied.filter(object_id="abc").exists()
    assert denied.count() == len(LISTS + WRITES) + 3


def test_read_only_readers_are_refused_writes_and_it_is_audited(world):
    observation = observe(world)
    conversation = plan(world)
    senior = as_(world, "senior_manager")
    pid = world.supervisee.pk
    refused = [reverse(name, kwargs={"person_id": pid}) for name in WRITES] + [
        reverse("probation-review", kwargs={"person_id": pid, "month": 1}),
        reverse("observation-edit", kwargs={"person_id": pid, "observation_id": observation.pk}),
        reverse("observation-sign", kwargs={"person_id": pid, "observation_id": observation.pk}),
        reverse("observation-respond", kwargs={"person_id": pid, "observation_id": observation.pk}),
        reverse("development-edit", kwargs={"person_id": pid, "conversation_id": conversation.pk}),
        reverse("development-sign", kwargs={"person_id": pid, "conversation_id": conversation.pk}),
    ]
    for url in refused:
        assert senior.get(url).status_code == 403, url
        assert senior.post(url, {"password": SUPERVISEE_PASSWORD}).status_code == 403, url
    for name in LISTS:
        assert senior.get(reverse(name, kwargs={"person_id": pid})).status_code == 200, name
    denials = AuditEvent.objects.filter(actor=world.senior_manager, action=AuditAction.DENIED)
    assert denials.count() == 2 * len(refused)
    assert all(event.detail["answer"] == 403 for event in denials)
    assert PracticeObservation.objects.get().signatures.count() == 0


# Query counts


def grow(world, size):
    """`size` more of everything each list shows."""
    for _ in range(size):
        start = PracticeObservation.objects.count()
        observe(world, observed_on=date(2025, 1, 1).replace(day=1 + start % 28))
        year = 2000 + DevelopmentConversation.objects.count()
        with time_machine.travel(DAY, tick=False):
            # Straight to the table: the service allows only years near the conversation.
            DevelopmentConversation.objects.create(
                person=world.supervisee,
                kind="plan",
                year=year,
                held_on=date(year, 1, 5),
                goals="g",
                agreed_by=world.supervisor,
            )
            services.wellbeing_plan_review(
                person=world.supervisee,
                by=world.supervisor,
                support_agreed="s",
                agreed_on=date(2026, 3, 1),
                review_on=date(2026, 9, 1),
            )
            services.team_wellbeing_plan_review(
                unit=world.units["team"],
                by=world.supervisor,
                plan="p",
                agreed_on=date(2026, 3, 1),
                review_on=date(2026, 9, 1),
            )


@pytest.mark.parametrize(
    ("role", "name", "queries"),
    [
        # The navigation's roles are one statement (issue 21: three or four before).
        ("supervisor", "person-observations", 9),
        ("supervisor", "person-development", 9),
        ("supervisor", "person-probation", 9),
        ("supervisor", "person-wellbeing", 10),
        ("auditor_with_grant", "person-wellbeing", 11),
        ("supervisee", "team-wellbeing", 9),
    ],
)
def test_list_pages_do_not_grow_with_the_data(
    world, on_probation, django_assert_num_queries, role, name, queries
):
    kwargs = (
        {"unit_id": world.units["team"].pk}
        if name == "team-wellbeing"
        else {"person_id": world.supervisee.pk}
    )
    url = reverse(name, kwargs=kwargs)
    client = Client()
    for size, months in ((1, (1,)), (30, (4, 5))):
        grow(world, size)
        for month in months:
            with time_machine.travel(DAY, tick=False):
                services.probation_review_record(
                    person=on_probation,
                    month=month,
                    held_on=date(2026, 3, 1),
                    outcome="on_track",
                    notes="n",
                    by=world.supervisor,
                )
        with time_machine.travel(DAY, tick=False):
            client.force_login(world.people[role])
            client.get(url)  # the first request after sign-in also creates the session row
            # Justify any query added to these pages.
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE supervision_practiceobservation SET venue = 'x' WHERE id = %(id)s",
        "DELETE FROM supervision_observationsignature WHERE observation_id = %(id)s",
    ],
)
def test_the_database_refuses_changes_to_a_signed_observation(world, sql):
    from django.db import DatabaseError, connection, transaction

    observation = observe(world)
    with time_machine.travel(DAY, tick=False):
        services.observation_sign_as_observer(
            observation=observation, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
        services.observation_comment_and_sign(
            observation=observation,
            comments="Helpful",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisee,
        )
    assert PracticeObservation.objects.get(pk=observation.pk).signed_by_both_at is not None
    with (
        pytest.raises(DatabaseError, match="cannot be changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, {"id": observation.pk})


def test_what_a_signed_form_waits_for_names_the_person_or_says_you(world):
    observation = observe(world)
    conversation = plan(world)
    with time_machine.travel(DAY, tick=False):
        services.observation_sign_as_observer(
            observation=observation, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
        services.conversation_sign(
            conversation=conversation, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
    person = {"person_id": world.supervisee.pk}
    for url in (
        reverse("person-observations", kwargs=person),
        reverse("observation", kwargs={**person, "observation_id": observation.pk}),
        reverse("person-development", kwargs=person),
        reverse("development-conversation", kwargs={**person, "conversation_id": conversation.pk}),
    ):
        own = text(as_(world, "supervisee").get(url))
        assert "Waiting for you to sign" in own, url
        assert "Waiting for the" not in own, url
        assert "Waiting for Supervisee to sign" in text(as_(world, "supervisor").get(url)), url
