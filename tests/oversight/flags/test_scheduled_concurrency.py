"""The scheduled job on two workers at once: each
flag raised once, each notice written once, each email sent once, and a second run of both
raises and sends nothing. PostgreSQL only: SQLite has one writer, so nothing would race.

Each worker is a thread with its own database connection; a barrier starts them together.
"""

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.db.models import Count

from oversight.flags.scheduled import tick
from oversight.models import Flag, Notification
from oversight.notices import outbox
from oversight.notices.notify import acted_on, recipients
from tests.world import build_world

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
# By 5 May the world has overdue items of most kinds: missing agreements, supervision, the
# supervisee's record and action, observations, development plans, both children.
LATER = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)


class SlowBackend(LocmemBackend):
    """A mail server that takes a moment per message, so the two senders overlap: each has
    read the whole outbox before the other has finished sending it."""

    def send_messages(self, messages):
        time.sleep(0.02)
        return super().send_messages(messages)


def on_two_workers(job, *args):
    """Run job(*args) on two threads at once; return both results (re-raising any error)."""
    barrier = threading.Barrier(2, timeout=30)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(job(*args))
        except Exception as error:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker did not finish"
    if errors:
        raise errors[0]
    return results


def duplicates(queryset, *fields):
    return list(queryset.values(*fields).annotate(n=Count("pk")).filter(n__gt=1))


# Committed data, so both workers' connections see the world. The serialized rollback puts back
# what the data migrations made (the policy packs, the audit chain head) after the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_raise_each_flag_once_and_send_each_email_once(postgres_only, settings):
    settings.EMAIL_BACKEND = "tests.oversight.flags.test_scheduled_concurrency.SlowBackend"
    with time_machine.travel(DAY, tick=False):
        build_world()
    mail.outbox = []

    with time_machine.travel(LATER, tick=False):
        ticks = on_two_workers(tick, LATER)

        flags = Flag.objects.all()
        assert flags.count() >= 20
        # Raised, or kept as already resolved (a spell that began and ended unseen).
        made = sum(r.raised + getattr(r, "recorded", 0) for r in ticks)
        assert made == flags.count()
        assert duplicates(flags.filter(resolved_at=None), "kind", "person", "child", "about") == []
        # An item whose due date moved may have an earlier, resolved flag; never two alike.
        assert duplicates(flags, "kind", "person", "child", "about", "due", "overdue_since") == []
        # Each person and child was looked at by one worker only.
        assert sum(r.people for r in ticks) == 8 and sum(r.children for r in ticks) == 2
        notices = Notification.objects.all()
        assert duplicates(notices, "recipient", "flag") == []
        wanted = Counter(
            (person.pk, flag.pk)
            for flag in acted_on(flags).select_related("person", "child")
            for person in recipients(flag, LATER.date())
        )
        assert Counter(notices.values_list("recipient_id", "flag_id")) == wanted
        raised, written = flags.count(), notices.count()

        sends = on_two_workers(outbox.send_due, LATER)

        assert sum(result.claimed for result in sends) == notices.count()
        assert sum(result.sent for result in sends) == notices.count()
        assert len(mail.outbox) == notices.count()
        assert not notices.filter(sent_at__isnull=True).exists()
        sent_to = Counter((m.to[0], m.subject) for m in mail.outbox)
        assert sent_to == Counter(notices.values_list("recipient__email", "subject"))

    # Both again, at once: at the same moment, and at the next tick a quarter of an hour on.
    for moment in (LATER, LATER + timedelta(minutes=15)):
        with time_machine.travel(moment, tick=False):
            again = on_two_workers(tick, moment)
            assert sum(r.raised + getattr(r, "recorded", 0) for r in again) == 0
            assert sum(result.claimed for result in on_two_workers(outbox.send_due, moment)) == 0
    assert (Flag.objects.count(), Notification.objects.count()) == (raised, written)
    assert len(mail.outbox) == written
