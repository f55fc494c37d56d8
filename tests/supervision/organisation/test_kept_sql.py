"""A query kept compiled (supervision.organisation.kept_sql) reads what its queryset reads, for
every value: the same rows as the same instances, with their related objects and annotations;
and a shape whose parameters cannot be told apart is built every time, as before."""

from datetime import date

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef

from supervision.models import SupervisoryRelationship
from supervision.organisation.kept_sql import KeptQuery
from supervision.organisation.roles import active_on
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAYS = (date(2026, 3, 5), date(2019, 1, 1), date(2031, 7, 9))


def relationships(person: int, day: date):
    """Their relationships on `day` as supervisee, with the supervisor's profile and whether
    someone else supervises them too."""
    others = SupervisoryRelationship.objects.filter(supervisee=OuterRef("supervisee")).exclude(
        pk=OuterRef("pk")
    )
    return (
        SupervisoryRelationship.objects.select_related("supervisor__profile", "supervisee")
        .annotate(others=Exists(others))
        .filter(active_on(day), supervisee=person)
    )


def by_person(person: int):
    return SupervisoryRelationship.objects.select_related("supervisor").filter(supervisee=person)


def shown(found) -> list[tuple]:
    return [
        (
            r.pk,
            r.kind,
            r.starts_on,
            r.ends_on,
            r.supervisee_id,
            r.supervisee.email,
            r.supervisor.full_name,
            getattr(r.supervisor, "profile", None) and r.supervisor.profile.leaving_date,
            getattr(r, "others", None),
        )
        for r in found
    ]


def test_what_is_kept_reads_what_the_queryset_reads():
    world = build_world()
    kept = KeptQuery(relationships)
    for person in world.people.values():
        for day in DAYS:
            found = kept.instances(person=person.pk, day=day)
            assert shown(found) == shown(relationships(person.pk, day))
    assert any(kept.instances(person=p.pk, day=DAYS[0]) for p in world.people.values())


def test_a_shape_of_numbers_is_kept_on_every_database():
    world = build_world()
    kept = KeptQuery(by_person)
    for person in world.people.values():
        assert shown(kept.instances(person=person.pk)) == shown(by_person(person.pk))
    assert kept._learnt[connection.vendor] is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite turns dates into text")
def test_a_shape_with_days_is_kept_on_postgresql():
    world = build_world()
    kept = KeptQuery(relationships)
    kept.instances(person=world.supervisee.pk, day=DAYS[0])
    assert kept._learnt["postgresql"] is not None


def test_a_value_that_cannot_be_made_up_is_read_as_before_and_learns_nothing():
    world = build_world()
    kept = KeptQuery(lambda person: SupervisoryRelationship.objects.filter(supervisee=person))
    assert kept.instances(person=None) == []
    assert kept._learnt == {}
    assert [r.pk for r in kept.instances(person=world.supervisee.pk)] == [
        r.pk for r in SupervisoryRelationship.objects.filter(supervisee=world.supervisee)
    ]


def test_a_shape_whose_sql_depends_on_its_values_is_never_kept():
    world = build_world()

    def build(person: int):
        found = SupervisoryRelationship.objects.filter(supervisee=person)
        return found.order_by("pk") if person % 2 else found.order_by("-pk")

    kept = KeptQuery(build)
    for person in world.people.values():
        assert [r.pk for r in kept.instances(person=person.pk)] == [r.pk for r in build(person.pk)]
    assert kept._learnt[connection.vendor] is None
