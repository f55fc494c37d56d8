"""The limits on guessing a password: per account in any spelling, per client address, with
delays that grow, never more than ten guesses in five minutes, and the real person's own
browser never locked out by someone else's guesses."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings

from supervision.accounts.limits import wait_after
from supervision.models import IdentityFailure
from supervision.models.audit import AuditEvent
from supervision.organisation.audit import AuditAction
from tests.factories import SUPERVISEE_PASSWORD, UserFactory

START = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
SIGN_IN = "/sign-in/"
WAIT = "Wait "


def seconds(n):
    return timedelta(seconds=n)


@pytest.mark.parametrize(
    ("failures_seconds_ago", "wait"),
    [
        ([], 0),
        ([30, 20], 0),
        ([20, 10, 2], 3),  # three cost nothing; the fourth try waits 5 s after the third
        ([30, 20, 10], 0),
        ([30, 20, 10, 2], 8),  # the fifth, 10 s after the fourth
        ([40, 30, 20, 10, 1], 19),  # then 20 s
        ([50, 40, 30, 20, 10, 1], 39),  # then 40 s
        ([400, 350, 300, 10], 0),  # older than five minutes: forgotten
        # Ten in the window: the next waits until the oldest leaves it, however long ago
        # the last was.
        ([290, 280, 270, 260, 250, 240, 230, 220, 210, 200], 10),
    ],
)
def test_the_wait_grows_with_each_failure_and_ten_fill_the_window(failures_seconds_ago, wait):
    now = START
    failures = [now - seconds(ago) for ago in failures_seconds_ago]
    got = wait_after(failures, now, free=3, most=10, window=timedelta(minutes=5))
    assert got == seconds(wait)


def attempt(client, email, password, address="198.51.100.7", agent="Browser A", **extra):
    return client.post(
        SIGN_IN,
        {"login": email, "password": password},
        REMOTE_ADDR=address,
        HTTP_USER_AGENT=agent,
        **extra,
    )


def refused_for_waiting(response) -> bool:
    return response.status_code == 200 and WAIT in response.content.decode()


@pytest.mark.django_db
def test_every_spelling_of_an_address_is_one_account():
    UserFactory(email="kevin.doyle@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        for spelling in (
            "Kevin.Doyle@example.org",
            " kevin.doyle@EXAMPLE.org ",
            "KEVIN.DOYLE@example.org",
        ):
            assert not refused_for_waiting(attempt(client, spelling, "wrong"))
        # The fourth try comes too soon, in any spelling, even with the right password.
        response = attempt(client, "kevin.doyle@example.org", SUPERVISEE_PASSWORD)
        assert refused_for_waiting(response)
        assert "Wait 5 seconds" in response.content.decode()
        assert "_auth_user_id" not in client.session
        clock.shift(seconds(5))
        assert attempt(client, "Kevin.Doyle@example.org", SUPERVISEE_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_no_more_than_ten_guesses_in_five_minutes_whatever_the_browser_or_address():
    UserFactory(email="kevin.doyle@example.org")
    spellings = ["Kevin.Doyle@example.org", "kevin.doyle@example.org", "KEVIN.doyle@example.org"]
    guesses_looked_at = 0
    with time_machine.travel(START, tick=False) as clock:
        for second in range(300):
            response = attempt(
                Client(),
                spellings[second % 3],
                f"guess {second}",
                address=f"203.0.113.{second % 200}",
                agent=f"Agent {second % 7}",
            )
            if not refused_for_waiting(response):
                guesses_looked_at += 1
            clock.shift(seconds(1))
    assert 4 <= guesses_looked_at <= 10
    assert IdentityFailure.objects.count() == guesses_looked_at
    # Every try is audited: those looked at as failures, those refused as refusals.
    events = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert events.count() == 300
    assert events.filter(detail__refused="too many failures").count() == 300 - guesses_looked_at


@pytest.mark.django_db
def test_guesses_elsewhere_do_not_lock_the_person_out_of_their_own_browser():
    UserFactory(email="jo@example.org")
    own = Client()
    with time_machine.travel(START, tick=False) as clock:
        assert attempt(own, "jo@example.org", SUPERVISEE_PASSWORD).status_code == 302
        own.post("/sign-out/")
        attacker = Client()
        for n in range(12):
            attempt(attacker, "jo@example.org", f"guess {n}", address="192.0.2.66")
            clock.shift(seconds(2))
        assert refused_for_waiting(
            attempt(attacker, "jo@example.org", SUPERVISEE_PASSWORD, address="192.0.2.66")
        )
        # The person's own browser, known by its cookie, is not held back.
        assert attempt(own, "jo@example.org", SUPERVISEE_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_forged_trusted_device_cookie_counts_for_nothing():
    UserFactory(email="jo@example.org")
    attacker = Client()
    attacker.cookies["trusted_device"] = "forged"
    with time_machine.travel(START, tick=False):
        for n in range(3):
            attempt(attacker, "jo@example.org", f"guess {n}")
        assert refused_for_waiting(attempt(attacker, "jo@example.org", "guess 4"))


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_slowed_down():
    for n in range(12):
        UserFactory(email=f"person{n}@example.org")
    client = Client()
    with time_machine.travel(START, tick=False):
        for n in range(10):
            attempt(client, f"person{n}@example.org", "wrong", address="192.0.2.9")
        # An account never tried before, from the same address: the address must wait.
        assert refused_for_waiting(
            attempt(client, "person11@example.org", "wrong", address="192.0.2.9")
        )
        # Another address is not held back.
        assert not refused_for_waiting(
            attempt(client, "person11@example.org", "wrong", address="192.0.2.10")
        )


@pytest.mark.django_db
def test_the_client_address_comes_from_the_trusted_proxy_only():
    UserFactory(email="jo@example.org")
    client = Client()
    with time_machine.travel(START, tick=False):
        # No proxy configured: a forged header is ignored, the TCP peer is the client.
        attempt(client, "jo@example.org", "wrong", HTTP_X_FORWARDED_FOR="10.9.9.9")
        with override_settings(TRUSTED_PROXY_COUNT=1):
            # Behind one proxy, the client is the address that proxy appended, not one the
            # client wrote in the header itself, and not the proxy's own.
            attempt(
                client,
                "jo@example.org",
                "wrong",
                address="10.0.0.2",
                HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.50",
            )
    addresses = list(IdentityFailure.objects.order_by("at", "pk").values_list("address", flat=True))
    assert addresses == ["198.51.100.7", "203.0.113.50"]


@pytest.mark.django_db
def test_an_office_behind_one_address_signs_in_together_at_nine():
    people = [UserFactory(email=f"worker{n}@example.org") for n in range(40)]
    with time_machine.travel(START, tick=False):
        for person in people:
            answer = attempt(Client(), person.email, SUPERVISEE_PASSWORD, address="192.0.2.1")
            assert answer.status_code == 302, person.email
