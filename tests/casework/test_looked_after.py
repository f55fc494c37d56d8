"""A child who has been looked after stays so: their case notes are kept 75 years from their
date of birth whatever plan they are on later. Every way a plan is written records the fact,
and nothing turns it off."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from casework import child_services
from casework.models import Child
from tests.casework.test_views_children import NOW, allocate, as_, child_url, section

pytestmark = pytest.mark.django_db

WORLD_AT = NOW


def update(world, child, **changes):
    details = {
        "plan": child.plan,
        "chronic_neglect": child.chronic_neglect,
        "name": child.name,
        "date_of_birth": child.date_of_birth,
        **changes,
    }
    with time_machine.travel(NOW, tick=False):
        return child_services.child_update(child=child, by=world.supervisor, **details)


def fresh(child) -> Child:
    return Child.objects.get(pk=child.pk)


def test_a_child_allocated_on_a_looked_after_plan_has_been_looked_after(world):
    looked_after = allocate(world, "NS700001", plan="child_looked_after")
    care_leaver = allocate(world, "NS700002", plan="care_leaver")
    in_need = allocate(world, "NS700003", plan="child_in_need")

    assert fresh(looked_after).has_been_looked_after
    assert fresh(care_leaver).has_been_looked_after
    assert not fresh(in_need).has_been_looked_after


def test_a_child_who_was_looked_after_and_went_home_keeps_the_75_year_date(world):
    child = allocate(world, "NS700004", plan="child_in_need", date_of_birth=date(2014, 3, 6))
    page = as_(world, "supervisor").get(child_url(child))
    assert "Case notes kept until 6 March 2039 (the child's 25th birthday)" in section(
        page, "The child and their case"
    )

    assert update(world, child, plan="child_looked_after") == ["plan", "has_been_looked_after"]
    # Home again: the plan changes back, the fact stays.
    assert update(world, fresh(child), plan="child_in_need") == ["plan"]

    child = fresh(child)
    assert (child.plan, child.has_been_looked_after) == ("child_in_need", True)
    summary = section(as_(world, "supervisor").get(child_url(child)), "The child and their case")
    assert "Plan Child in need" in summary
    assert (
        "Case notes kept until 6 March 2089 (75 years from the date of birth of a child who "
        "has been looked after)"
    ) in summary


def test_a_manager_records_care_the_product_did_not_see_and_cannot_unrecord_it(world):
    url = child_url(world.child, "child-edit")
    supervisor = as_(world, "supervisor")
    response = supervisor.post(url, {"plan": "child_in_need", "has_been_looked_after": "on"})
    assert response.status_code == 302
    assert fresh(world.child).has_been_looked_after

    form = supervisor.get(url).context["form"]
    assert form.fields["has_been_looked_after"].disabled, "shown ticked, not to be unticked"
    # A posted form without the box (a crafted request) changes nothing.
    assert supervisor.post(url, {"plan": "child_in_need"}).status_code == 302
    assert fresh(world.child).has_been_looked_after
    assert update(world, fresh(world.child), has_been_looked_after=False) == []
    assert fresh(world.child).has_been_looked_after


def test_the_database_refuses_a_looked_after_plan_without_the_fact(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Child.objects.filter(pk=world.child.pk).update(plan="child_looked_after")
    child = fresh(world.child)
    child.plan = "care_leaver"
    with pytest.raises(ValidationError) as refused:
        child.full_clean()
    assert "looked_after_child_has_been_looked_after" in str(refused.value)


def test_the_database_refuses_to_unset_the_fact(world):
    update(world, world.child, plan="child_looked_after")
    Child.objects.filter(pk=world.child.pk).update(plan="child_in_need")
    with pytest.raises(DatabaseError, match="never unset"), transaction.atomic():
        Child.objects.filter(pk=world.child.pk).update(has_been_looked_after=False)
    assert fresh(world.child).has_been_looked_after
