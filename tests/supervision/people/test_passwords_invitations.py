"""A new account's invitation: emailed through the outbox, a single-use link that works for
7 days (a set-password link asked for later works for 24 hours), to set a password, or to
sign in with single sign-on when the organisation has it."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from oversight.notices import outbox
from supervision.models import User
from supervision.people import passwords
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
NEW_PASSWORD = "tide lantern orchard 1987"
INVITATION = re.compile(r"https?://[^\s]+/invitation/[^\s]+/[^\s]+/")


@pytest.fixture
def invited():
    with time_machine.travel(SENT, tick=False):
        person = UserFactory(email="new.starter@example.org", full_name="New Starter")
        person.set_unusable_password()
        person.save()
        assert passwords.set_password_link_queue(person, why=passwords.Why.IMPORT)
        outbox.send_due()
    (message,) = mail.outbox
    assert "for 7 days" in message.body
    (link,) = INVITATION.findall(message.body)
    return person, "/" + link.split("://", 1)[1].split("/", 1)[1]


def accept(path, password=NEW_PASSWORD):
    client = Client()
    opened = client.get(path)
    if opened.status_code != 302:
        return opened
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


@pytest.mark.parametrize(
    ("after", "works"), [(timedelta(days=6, hours=23), True), (timedelta(days=7, seconds=1), False)]
)
def test_an_invitation_works_for_seven_days(invited, after, works):
    person, path = invited
    with time_machine.travel(SENT + after, tick=False):
        answer = accept(path)
    person.refresh_from_db()
    assert person.has_usable_password() is works
    if not works:
        assert "An invitation works once, for 7 days" in answer.content.decode()


def test_an_invitation_works_once(invited):
    person, path = invited
    with time_machine.travel(SENT + timedelta(days=1), tick=False):
        assert accept(path).status_code == 302
        again = accept(path, "another lantern orchard 2001")
    assert "This link no longer works" in again.content.decode()
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_signing_in_any_other_way_uses_up_the_invitation(invited):
    person, path = invited
    with time_machine.travel(SENT + timedelta(days=1), tick=False):
        Client().force_login(User.objects.get(pk=person.pk))
        answer = accept(path)
    assert "This link no longer works" in answer.content.decode()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short words", "at least 12 characters"),
        ("password1234", "too common"),
        ("qwertyuiop12", "too common"),
    ],
)
def test_short_and_breached_passwords_are_refused_without_rules_of_composition(
    invited, password, message
):
    person, path = invited
    with time_machine.travel(SENT + timedelta(days=1), tick=False):
        answer = accept(path, password)
    assert message in answer.content.decode()
    person.refresh_from_db()
    assert not person.has_usable_password()
    # Twelve lower-case letters and spaces, no digit, no capital: fine.
    with time_machine.travel(SENT + timedelta(days=1), tick=False):
        assert accept(path, "tide lantern orchard").status_code == 302
