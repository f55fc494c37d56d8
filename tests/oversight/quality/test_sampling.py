"""Quality assurance sampling: a senior manager or an
auditor draws a random sample of finalised records in their reach, audits each on a short form
and reads the results by team."""

import random
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from demo import quality as demo_quality
from oversight.models import QualityReview, QualitySample
from oversight.quality import sampling as quality
from supervision.models import AccessGrant, SupervisionRecord
from supervision.models.audit import AuditAction, AuditEvent
from supervision.people.services import access_grant_create
from tests.factories import RelationshipFactory, StaffProfileFactory, UnitFactory
from tests.quality_helpers import (
    NOW,
    PERIOD,
    RECORD_TEXT,
    finalised_record,
    in_period,
    world_quality_sample,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db

ANSWERS = {
    "reflective": "yes",
    "childs_voice": "partly",
    "actions_smart": "no",
    "wellbeing_discussed": "yes",
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clock):
    return build_world()


@pytest.fixture
def records(world):
    """Records in and out of the senior manager's reach, the period and finalisation."""
    w = world
    inside = [finalised_record(w.supervisee, w.supervisor, in_period(day)) for day in (2, 9, 16)]
    outside = {
        "before the period": finalised_record(
            w.supervisee, w.supervisor, datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
        ),
        # 00:30 on 1 March in London is after the period's last day, 28 February.
        "after the period": finalised_record(
            w.supervisee, w.supervisor, datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
        ),
        "another service": finalised_record(
            w.other_supervisee, w.other_team_supervisor, in_period(3)
        ),
        "not finalised": finalised_record(
            w.supervisee,
            w.supervisor,
            in_period(4),
            status=SupervisionRecord.Status.SUPERVISEE_SIGNED,
        ),
        # The senior manager supervises the supervisor: their own supervision is never theirs
        # to audit.
        "their own supervision": finalised_record(w.supervisor, w.senior_manager, in_period(5)),
    }
    return inside, outside


def as_(client, user):
    client.force_login(user)
    return client


def draw_page(client, user, *, unit=None, first=PERIOD[0], last=PERIOD[1], size=10):
    data = {
        "finalised_from_0": first.day,
        "finalised_from_1": first.month,
        "finalised_from_2": first.year,
        "finalised_to_0": last.day,
        "finalised_to_1": last.month,
        "finalised_to_2": last.year,
        "size": size,
    }
    if unit is not None:
        data["unit"] = unit
    return as_(client, user).post(reverse("quality-sample-new"), data, follow=True)


def draw(world, by=None, *, unit="service", size=10, seed=None, period=PERIOD):
    return quality.sample_draw(
        by=by or world.senior_manager,
        unit=world.units[unit] if unit else None,
        finalised_from=period[0],
        finalised_to=period[1],
        size=size,
        seed=seed,
    )


def sampled(sample) -> list[int]:
    return list(sample.reviews.order_by("pk").values_list("record_id", flat=True))


def review_url(review):
    return reverse("quality-review", args=[review.sample_id, review.pk])


# --- Drawing --------------------------------------------------------------------------------


def test_a_senior_managers_sample_holds_only_finalised_records_in_reach_and_period(
    client, world, records
):
    inside, _ = records
    response = draw_page(client, world.senior_manager, unit=world.units["service"].pk)
    assert response.status_code == 200
    sample = QualitySample.objects.get()
    assert sorted(sampled(sample)) == sorted(record.pk for record in inside)
    page = response.content.decode()
    assert "Only 3 finalised records in that period: all 3 are in the sample" in page
    assert sample.size == 10 and len(sample.seed) == 16


def test_the_draw_is_random_and_the_seed_repeats_it(world, records):
    inside, _ = records
    more = [finalised_record(world.supervisee, world.supervisor, in_period(20)) for _ in range(7)]
    candidates = sorted(record.pk for record in inside + more)
    first = draw(world, size=4, seed="a1b2c3")
    again = draw(world, size=4, seed="a1b2c3")
    assert sampled(first) == sampled(again)
    assert sampled(first) == random.Random("a1b2c3").sample(candidates, 4)
    assert first.seed == "a1b2c3"
    others = {tuple(sorted(sampled(draw(world, size=4)))) for _ in range(5)}
    assert len(others) > 1, "five unseeded draws of 4 from 10 all alike: not random"


def test_each_review_keeps_the_team_the_supervisee_was_in_when_drawn(world, records):
    sample = draw(world)
    team = world.units["team"]
    assert set(sample.reviews.values_list("unit", flat=True)) == {team.pk}
    moved = UnitFactory(name="Team Moved", parent=world.units["service"])
    world.supervisee.profile.unit = moved
    world.supervisee.profile.save()
    assert set(sample.reviews.values_list("unit", flat=True)) == {team.pk}


def test_a_full_sample_says_how_many_and_a_smaller_one_takes_that_many(client, world, records):
    response = draw_page(client, world.senior_manager, unit=world.units["service"].pk, size=2)
    assert "Sample of 2 records drawn" in response.content.decode()
    assert QualitySample.objects.get().reviews.count() == 2


def test_no_records_is_an_error_on_the_period(client, world, records):
    response = draw_page(
        client,
        world.senior_manager,
        unit=world.units["service"].pk,
        first=date(2025, 6, 1),
        last=date(2025, 6, 30),
    )
    page = response.content.decode()
    assert "There are no finalised records in Service A between 1 June 2025 and 30 June 2025" in (
        page
    )
    assert 'href="#id_finalised_from' in page
    assert not QualitySample.objects.exists()


@pytest.mark.parametrize(
    ("first", "last", "size", "message"),
    [
        (date(2026, 2, 1), date(2026, 1, 1), 5, "Enter an end date on or after the start date"),
        (date(2026, 1, 1), date(2026, 3, 6), 5, "The end date must be today or in the past"),
        (date(2026, 1, 1), date(2026, 2, 1), 0, "Enter a number of records from 1 to 50"),
        (date(2026, 1, 1), date(2026, 2, 1), 51, "Enter a number of records from 1 to 50"),
    ],
)
def test_the_draw_form_explains_each_mistake(client, world, first, last, size, message):
    unit = world.units["service"].pk
    response = draw_page(client, world.senior_manager, unit=unit, first=first, last=last, size=size)
    assert message in response.content.decode()
    assert not QualitySample.objects.exists()


def test_a_senior_manager_may_not_draw_from_a_unit_they_do_not_oversee(client, world, records):
    other_service = world.other_supervisee.profile.unit.parent
    response = draw_page(client, world.senior_manager, unit=other_service.pk)
    assert quality.UNIT_ERROR in response.content.decode()
    with pytest.raises(ValidationError):
        quality.sample_draw(
            by=world.senior_manager,
            unit=other_service,
            finalised_from=PERIOD[0],
            finalised_to=PERIOD[1],
            size=5,
        )
    assert not QualitySample.objects.exists()


def test_an_auditors_sample_holds_only_records_of_files_granted_now(client, world, records):
    inside, outside = records
    # A grant that has ended opens nothing, nor does a revoked one.
    access_grant_create(
        grantee=world.auditor_with_grant,
        subject=world.other_supervisee,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 3, 4),
        reason="Last quarter's audit",
        granted_by=world.other_senior_manager,
    )
    revoked = access_grant_create(
        grantee=world.auditor_with_grant,
        subject=world.supervisor,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        reason="Audit",
        granted_by=world.senior_manager,
    )
    AccessGrant.objects.filter(pk=revoked.pk).update(revoked_at=NOW)
    page = as_(client, world.auditor_with_grant).get(reverse("quality-sample-new"))
    assert 'name="unit"' not in page.content.decode()

    response = draw_page(client, world.auditor_with_grant, size=50)
    sample = QualitySample.objects.get()
    assert sample.unit is None
    assert sorted(sampled(sample)) == sorted(record.pk for record in inside)
    assert "Only 3 finalised records in that period" in response.content.decode()


def test_a_senior_manager_who_is_also_an_auditor_may_draw_from_their_grants(client, world, records):
    from django.contrib.auth.models import Group

    from supervision.organisation.roles import AUDITOR_GROUP

    Group.objects.get(name=AUDITOR_GROUP).user_set.add(world.senior_manager)
    access_grant_create(
        grantee=world.senior_manager,
        subject=world.other_supervisee,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        reason="Peer audit of Service B",
        granted_by=world.other_senior_manager,
    )
    page = as_(client, world.senior_manager).get(reverse("quality-sample-new")).content.decode()
    assert "Files you hold an access grant for" in page
    draw_page(client, world.senior_manager, unit="grants")
    sample = QualitySample.objects.get()
    assert sample.unit is None
    assert sampled(sample) == [records[1]["another service"].pk]


def test_an_auditor_without_a_grant_has_nothing_to_draw(client, world, records):
    response = draw_page(client, world.auditor_without_grant)
    assert "There are no finalised records in the files you hold an access grant for" in (
        response.content.decode()
    )
    assert not QualitySample.objects.exists()


def test_drawing_is_audited_without_record_text(world, records):
    sample = draw(world, size=2, seed="s")
    event = AuditEvent.objects.get(action=AuditAction.WRITE, object_type="quality_sample")
    assert event.actor == world.senior_manager and event.object_id == str(sample.pk)
    assert event.detail["drawn"] == 2 and event.detail["available"] == 3
    assert RECORD_TEXT not in str(event.detail)


# --- Reviewing ------------------------------------------------------------------------------


@pytest.fixture
def sample(world, records):
    return draw(world, size=3, seed="review")


def test_the_review_form_names_each_question_left_unanswered(client, world, sample):
    review = sample.reviews.first()
    response = as_(client, world.senior_manager).post(review_url(review), {"comments": "Hm"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    for field, message in quality.QUESTION_ERRORS.items():
        assert escape(message) in page
        assert f'href="#id_{field}' in page
    review.refresh_from_db()
    assert not review.is_done


def test_saving_a_review_records_who_when_and_an_audit_entry(client, world, sample):
    review = sample.reviews.first()
    client = as_(client, world.senior_manager)
    response = client.post(review_url(review), {**ANSWERS, "comments": "Good reflection"})
    assert response.status_code == 302
    assert response["Location"] == reverse("quality-sample", args=[sample.pk])
    review.refresh_from_db()
    assert review.reviewer == world.senior_manager and review.reviewed_at == NOW
    assert review.reflective == "yes" and review.actions_smart == "no"
    assert review.comments == "Good reflection"

    client.post(review_url(review), {**ANSWERS, "actions_smart": "partly", "comments": "Better"})
    review.refresh_from_db()
    assert review.actions_smart == "partly"
    saved, changed = AuditEvent.objects.filter(
        action=AuditAction.WRITE, object_type="quality_review"
    ).order_by("sequence")
    assert saved.detail["change"] == "reviewed" and saved.detail["answers"] == ANSWERS
    assert saved.subject == world.supervisee
    assert changed.detail["change"] == "changed"
    assert changed.detail["before"]["actions_smart"] == "no"
    assert changed.detail["answers"]["actions_smart"] == "partly"
    for event in AuditEvent.objects.all():
        assert RECORD_TEXT not in str(event.detail)
        assert "Good reflection" not in str(event.detail)


def test_the_review_page_links_to_the_record_and_does_not_copy_it(client, world, sample):
    review = sample.reviews.select_related("record").first()
    page = as_(client, world.senior_manager).get(review_url(review)).content.decode()
    assert reverse("record", args=[review.record.session_id]) in page
    assert RECORD_TEXT not in page


@pytest.mark.parametrize("reader", ["senior_manager", "auditor_with_grant"])
def test_the_sampled_record_opens_for_senior_manager_and_granted_auditor(client, world, reader):
    record = finalised_record(world.supervisee, world.supervisor, in_period(10))
    drawer = world.senior_manager if reader == "senior_manager" else world.auditor_with_grant
    sample = draw(world, drawer, unit="service" if reader == "senior_manager" else None)
    assert sampled(sample) == [record.pk]
    response = as_(client, drawer).get(reverse("record", args=[record.session_id]))
    assert response.status_code == 200


def test_comments_are_shown_escaped(client, world, sample):
    review = sample.reviews.first()
    script = "<script>alert('x')</script>"
    as_(client, world.senior_manager).post(review_url(review), {**ANSWERS, "comments": script})
    for reader in (world.senior_manager, director_of(world)):
        page = as_(client, reader).get(review_url(review)).content.decode()
        assert script not in page
        assert "&lt;script&gt;" in page


def test_someone_who_can_see_but_did_not_draw_the_sample_may_not_answer(client, world, records):
    # An auditor's sample of Team A is seen by the senior manager over Team A, read only.
    sample = draw(world, world.auditor_with_grant, unit=None)
    review = sample.reviews.first()
    client = as_(client, world.senior_manager)
    assert client.get(review_url(review)).status_code == 200
    assert client.post(review_url(review), ANSWERS).status_code == 403
    review.refresh_from_db()
    assert not review.is_done


def test_an_auditor_whose_grant_has_ended_may_no_longer_change_a_review(client, world, records):
    sample = draw(world, world.auditor_with_grant, unit=None, size=1)
    review = sample.reviews.first()
    with time_machine.travel(datetime(2026, 4, 1, 9, tzinfo=UTC), tick=False):
        client = as_(client, world.auditor_with_grant)
        page = client.get(review_url(review)).content.decode()
        assert "You can no longer change this review" in page
        assert client.post(review_url(review), ANSWERS).status_code == 403


# --- Who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("supervisee", 403),
        ("other_supervisee", 403),
        ("supervisor", 403),
        ("other_team_supervisor", 403),
        ("senior_manager", 200),
        ("other_senior_manager", 200),
        ("auditor_with_grant", 200),
        ("auditor_without_grant", 200),
        ("admin", 403),
    ],
)
def test_the_quality_pages_are_for_senior_managers_and_auditors(client, world, role, status):
    if role != "anonymous":
        client.force_login(world.people[role])
    for name in ("quality-samples", "quality-sample-new"):
        assert client.get(reverse(name)).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("senior_manager", 200),  # drew it
        ("other_senior_manager", 404),
        ("auditor_with_grant", 404),
        ("auditor_without_grant", 404),
        ("supervisor", 403),
        ("admin", 403),
    ],
)
def test_a_senior_managers_sample_is_theirs_and_their_seniors(client, world, role, status):
    ids = world_quality_sample(world)
    client.force_login(world.people[role])
    assert client.get(reverse("quality-sample", args=[ids["sample_id"]])).status_code == status
    review = reverse("quality-review", args=[ids["sample_id"], ids["review_id"]])
    assert client.get(review).status_code == status


def director_of(world):
    """A manager of the directorate, above both services."""
    directorate = world.units["directorate"]
    if directorate.manager_id is None:
        directorate.manager = StaffProfileFactory(unit=directorate).user
        directorate.save()
    return directorate.manager


# What the lead adds to tests/access/test_permission_matrix.py, checked here for every role of the
# world: a sample drawn by the senior manager from Service A (tests/quality_helpers.py).
USERS = {"senior_manager": 200, "other_senior_manager": 200}
USERS |= {"auditor_with_grant": 200, "auditor_without_grant": 200}
OTHERS = {
    "anonymous": 302,
    "supervisee": 403,
    "other_supervisee": 403,
    "supervisor": 403,
    "other_team_supervisor": 403,
    "admin": 403,
}
THE_SAMPLE = {
    "senior_manager": 200,
    "other_senior_manager": 404,
    "auditor_with_grant": 404,
    "auditor_without_grant": 404,
}
MATRIX = {
    # name: (GET by role, POST {} by role)
    "quality-samples": (USERS | OTHERS, dict.fromkeys(USERS | OTHERS, 405)),
    "quality-sample-new": (USERS | OTHERS, USERS | OTHERS),  # an empty form: errors, 200
    "quality-sample": (THE_SAMPLE | OTHERS, dict.fromkeys(USERS | OTHERS, 405)),
    # The empty review form re-renders with its errors (200) for the person who drew it.
    "quality-review": (THE_SAMPLE | OTHERS, THE_SAMPLE | OTHERS),
}


@pytest.mark.parametrize("role", sorted(USERS | OTHERS))
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_role_gets_the_status_expected(client, world, name, role):
    ids = world_quality_sample(world)
    kwargs = {
        "quality-sample": {"sample_id": ids["sample_id"]},
        "quality-review": ids,
    }.get(name)
    url = reverse(name, kwargs=kwargs)
    if role != "anonymous":
        client.force_login(world.people[role])
    get, post = MATRIX[name]
    assert client.get(url).status_code == get[role], f"GET {name} as {role}"
    assert client.post(url, {}).status_code == post[role], f"POST {name} as {role}"


def test_a_manager_above_the_unit_sees_the_sample_and_its_results(client, world, records):
    director = director_of(world)
    sample = draw(world)
    assert as_(client, director).get(reverse("quality-sample", args=[sample.pk])).status_code == (
        200
    )
    assert sample in quality.visible_samples(director)


def test_an_auditors_sample_is_seen_by_managers_over_every_team_in_it(client, world, records):
    inside, outside = records
    access_grant_create(
        grantee=world.auditor_with_grant,
        subject=world.other_supervisee,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        reason="Audit",
        granted_by=world.other_senior_manager,
    )
    both = draw(world, world.auditor_with_grant, unit=None, size=50)
    assert len(sampled(both)) == 4
    AccessGrant.objects.filter(subject=world.other_supervisee).update(revoked_at=NOW)
    team_a_only = draw(world, world.auditor_with_grant, unit=None, size=50)
    assert list(quality.visible_samples(world.senior_manager)) == [team_a_only]
    assert not quality.visible_samples(world.other_senior_manager).exists()
    assert set(quality.visible_samples(world.auditor_with_grant)) == {both, team_a_only}
    assert not quality.visible_samples(world.auditor_without_grant).exists()
    url = reverse("quality-sample", args=[both.pk])
    assert as_(client, world.senior_manager).get(url).status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, object_type="quality_sample", object_id=str(both.pk)
    ).exists()


def test_a_review_of_another_sample_is_not_found(client, world, records):
    first = draw(world, size=1, seed="one")
    second = draw(world, size=1, seed="two")
    url = reverse("quality-review", args=[first.pk, second.reviews.get().pk])
    assert as_(client, world.senior_manager).get(url).status_code == 404


# --- Results by team ------------------------------------------------------------------------


@pytest.fixture
def two_teams(world, records):
    """Team C, also in Service A, with three finalised records, and a sample of all six."""
    team_c = UnitFactory(name="Team C", parent=world.units["service"])
    worker = StaffProfileFactory(unit=team_c, user__full_name="Casey Worker").user
    RelationshipFactory(supervisor=world.supervisor, supervisee=worker)
    for day in (6, 7, 8):
        finalised_record(worker, world.supervisor, in_period(day))
    sample = draw(world, size=50, seed="teams")
    assert sample.reviews.count() == 6
    return sample, team_c


ROUNDS = [
    ("yes", "yes", "no", "partly"),
    ("partly", "yes", "no", "yes"),
    ("no", "partly", "yes", "yes"),
    ("yes", "no", "partly", "yes"),
    ("yes", "yes", "yes", "no"),
    # the sixth stays unreviewed
]


def review_all(world, sample):
    reviews = list(sample.reviews.order_by("pk"))
    given = []
    for review, answers in zip(reviews, ROUNDS, strict=False):
        quality.review_save(
            review=review,
            by=world.senior_manager,
            answers=dict(zip(quality.FIELDS, answers, strict=True)),
        )
        given.append((review.unit_id, answers))
    return reviews, given


def test_results_by_team_are_the_counts_of_the_answers_given(client, world, two_teams):
    sample, team_c = two_teams
    reviews, given = review_all(world, sample)
    sampled_by_team = Counter(review.unit_id for review in reviews)
    rows, total = quality.results_by_team(sample.reviews.all())

    expected_names = sorted([world.units["team"], team_c], key=lambda unit: unit.path)
    assert [row.name for row in rows] == [unit.name for unit in expected_names]
    for row, unit in zip(rows, expected_names, strict=True):
        mine = [answers for unit_id, answers in given if unit_id == unit.pk]
        assert row.sampled == sampled_by_team[unit.pk]
        assert row.reviewed == len(mine)
        for index, (question, figures) in enumerate(row.questions):
            counted = Counter(answers[index] for answers in mine)
            assert question == quality.QUESTIONS[index][1]
            for answer, figure in zip(("yes", "partly", "no"), figures, strict=True):
                assert figure.count == counted[answer]
                assert figure.share == (round(100 * counted[answer] / len(mine)) if mine else None)
    assert total.sampled == 6 and total.reviewed == 5
    reflective = dict(zip(("yes", "partly", "no"), total.questions[0][1], strict=True))
    assert (reflective["yes"].count, reflective["yes"].share) == (3, 60)
    assert (reflective["partly"].count, reflective["no"].count) == (1, 1)

    page = as_(client, world.senior_manager).get(reverse("quality-sample", args=[sample.pk]))
    text = page.content.decode()
    assert "All teams" in text and "Team C" in text
    assert "3 (60%)" in text


def test_the_overview_adds_up_the_samples_of_the_period(client, world, two_teams):
    sample, _ = two_teams
    review_all(world, sample)
    client = as_(client, world.senior_manager)
    page = client.get(reverse("quality-samples")).content.decode()
    assert "Samples drawn from 6 March 2025 to 5 March 2026" in page
    assert "Draw a new sample" in page
    assert reverse("quality-sample", args=[sample.pk]) in page
    assert "5 of 6" in page and "3 (60%)" in page
    # A period before the sample was drawn has nothing in it.
    earlier = client.get(
        reverse("quality-samples"),
        {
            "drawn_from_0": "1",
            "drawn_from_1": "1",
            "drawn_from_2": "2025",
            "drawn_to_0": "31",
            "drawn_to_1": "12",
            "drawn_to_2": "2025",
        },
    ).content.decode()
    assert reverse("quality-sample", args=[sample.pk]) not in earlier
    assert "No samples you can see were drawn in this period" in earlier


def test_the_overview_period_must_run_forwards(client, world):
    page = (
        as_(client, world.senior_manager)
        .get(
            reverse("quality-samples"),
            {
                "drawn_from_0": "2",
                "drawn_from_1": "2",
                "drawn_from_2": "2026",
                "drawn_to_0": "1",
                "drawn_to_1": "1",
                "drawn_to_2": "2026",
            },
        )
        .content.decode()
    )
    assert "Enter an end date on or after the start date" in page


# --- Bounded queries ------------------------------------------------------------------------


def grow(world, count: int, start: int):
    """`count` more finalised records of the supervisee, and a sample of all, half reviewed."""
    for index in range(count):
        finalised_record(world.supervisee, world.supervisor, in_period(1 + (start + index) % 27))
    sample = draw(world, size=50)
    for review in list(sample.reviews.all())[: max(1, count // 2)]:
        quality.review_save(review=review, by=world.senior_manager, answers=ANSWERS)
    return sample


@pytest.mark.parametrize("name", ["quality-samples", "quality-sample", "quality-review"])
def test_the_pages_run_the_same_queries_however_much_there_is(
    client, world, name, django_assert_num_queries
):
    client.force_login(world.senior_manager)
    # The review form looks for its draft (supervision.web.drafts): one query.
    # The navigation's roles are one statement (issue 21: three before).
    expected = {"quality-samples": 8, "quality-sample": 9, "quality-review": 10}[name]
    done = 0
    for count in (2, 20):
        sample = grow(world, count, done)
        done += count
        review = sample.reviews.first()
        args = {
            "quality-samples": [],
            "quality-sample": [sample.pk],
            "quality-review": [sample.pk, review.pk],
        }[name]
        url = reverse(name, args=args)
        client.get(url)  # the first request after sign-in also saves the session
        # Justify any query added to these pages.
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200


# --- The demo -------------------------------------------------------------------------------


def test_the_demo_draws_one_sample_with_some_reviews(world, records):
    assert demo_quality.load_demo_quality(NOW.date(), manager=world.senior_manager) == 1
    sample = QualitySample.objects.get()
    assert sample.drawn_by == world.senior_manager and sample.seed == demo_quality.DEMO_SEED
    reviews = list(sample.reviews.all())
    # The five finalised records in reach since 4 December, every one reviewed: the demo
    # reviews the first five of its eight.
    assert len(reviews) == 5
    assert all(review.is_done for review in reviews)
    assert QualityReview.objects.filter(comments__contains="child's wishes").exists()
    # Again, or on a later day: nothing more.
    assert demo_quality.load_demo_quality(NOW.date(), manager=world.senior_manager) == 0
    assert QualitySample.objects.count() == 1


def test_the_demo_without_its_senior_manager_draws_nothing(world, records):
    assert demo_quality.load_demo_quality(NOW.date()) == 0
    assert not QualitySample.objects.exists()
