"""Every email about a record or a session is written to the outbox with the change it tells
of (supervision.outbox), and sent by the outbox's job: a mail server that is down delays it,
never loses it, and never undoes the change (issue 19)."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from oversight.models import Notification
from oversight.notices.outbox import send_due
from supervision.records import services
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield build_world()


def a_record_to_share(world):
    session = held_session(world)
    record = services.record_start(session=session, by=world.supervisor)
    return services.record_section_save(
        record=record,
        section_key="reflection",
        text="We talked about the Ahmed family.",
        completed=True,
        expected_version=record.version,
        by=world.supervisor,
    )


def closed_port() -> int:
    # A port nothing listens on: connecting is refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_email_is_written_with_the_change_and_not_without_it(world):
    with time_machine.travel(NOW, tick=False):
        record = a_record_to_share(world)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.record_share(record=record, by=world.supervisor)
            assert Notification.objects.filter(kind="record_shared").count() == 1
            raise RuntimeError("the change is undone")
        assert not Notification.objects.filter(kind="record_shared").exists()
        services.record_share(record=record, by=world.supervisor)
    (notice,) = Notification.objects.filter(kind="record_shared")
    assert notice.recipient == world.supervisee
    assert notice.subject == "Your supervision record of 4 March 2026 is ready to read"
    assert notice.sent_at is None


def test_a_mail_server_that_is_down_delays_the_email_and_it_is_sent_once_when_back(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    with time_machine.travel(NOW, tick=False):
        record = services.record_share(record=a_record_to_share(world), by=world.supervisor)
        assert send_due().failed == 1
    record.refresh_from_db()
    assert record.status == "shared", "the change stands whatever the mail server does"
    notice = Notification.objects.get(kind="record_shared")
    assert notice.sent_at is None and "ConnectionRefusedError" in notice.error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert send_due().sent == 0, "not before its wait is over"
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        assert send_due().sent == 1
        assert send_due().sent == 0
    (message,) = mail.outbox
    assert message.to == [world.supervisee.email]
    assert "ready to read" in message.subject


def test_a_cancelled_session_sends_each_person_a_cancellation_to_file(world, client):
    from supervision.sessions.planning import session_cancel

    starts = NOW + timedelta(days=3)
    session = held_session(world, starts_at=starts, ends_at=starts + timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        session_cancel(session=session, reason="Off sick", by=world.supervisor)
        send_due()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.supervisor.email, world.supervisee.email]
    )
    for message in mail.outbox:
        assert message.subject.startswith("Cancelled: supervision on 8 March 2026")
        (attachment,) = message.attachments
        assert attachment.mimetype == "text/calendar; method=CANCEL"
        assert "STATUS:CANCELLED" in attachment.content
