"""F6 (004 Supervision timescales): an ASYE's regular supervision runs up to an hour and a half.
The session page warns its two people when a session runs longer; other roles have no limit
in Kent's pack, and the other packs set none."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from supervision.models import JobRole, StaffProfile, SupervisionSession

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
WORLD_AT = NOW
WARNING = "This session runs longer than the policy's 90 minutes"


def page_as(person, session) -> str:
    client = Client()
    client.force_login(person)
    response = client.get(f"/sessions/{session.pk}/")
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def lasting(world, minutes, category):
    role = JobRole.objects.create(code=f"role-{category}", name=f"A {category}", category=category)
    StaffProfile.objects.filter(user=world.supervisee).update(job_role=role)
    session = world.session
    SupervisionSession.objects.filter(pk=session.pk).update(
        ends_at=session.starts_at + timedelta(minutes=minutes)
    )
    session.refresh_from_db()
    return session


@pytest.mark.parametrize(
    ("category", "minutes", "warned"),
    [("asye", 120, True), ("asye", 91, True), ("asye", 90, False), ("practitioner", 120, False)],
)
def test_an_asyes_session_longer_than_an_hour_and_a_half_is_pointed_out(
    world, category, minutes, warned
):
    session = lasting(world, minutes, category)
    for person in (world.supervisor, world.supervisee):
        assert (WARNING in page_as(person, session)) is warned
