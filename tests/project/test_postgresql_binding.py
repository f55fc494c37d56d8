"""PostgreSQL with parameters bound on the server (config.settings.base): statements a
connection repeats are really prepared, and bulk statements stay within the protocol's 65,535
parameters (config.postgresql), where client-side binding knew no limit."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from oversight.models import DashboardSummary
from supervision.models import Unit
from tests.factories import UnitFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own limits"),
]

ROWS = 17_000  # four fields each: 68,000 parameters in a single INSERT, five each to update


def test_a_statement_sent_again_and_again_is_prepared():
    unit = UnitFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        before = cursor.fetchone()[0]
    for _ in range(6):
        assert Unit.objects.filter(pk=unit.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] > before


def test_bulk_writes_of_more_rows_than_one_statement_may_carry():
    unit = UnitFactory()
    now = timezone.now()
    first = date(1900, 1, 1)
    summaries = [
        DashboardSummary(unit=unit, month=first + timedelta(days=n), figures={}, counted_at=now)
        for n in range(ROWS)
    ]
    DashboardSummary.objects.bulk_create(summaries)
    assert DashboardSummary.objects.filter(unit=unit).count() == ROWS

    kept = list(DashboardSummary.objects.filter(unit=unit))
    for summary in kept:
        summary.figures = {"staff": 1}
    DashboardSummary.objects.bulk_update(kept, ["figures", "counted_at"])
    assert DashboardSummary.objects.filter(unit=unit, figures={"staff": 1}).count() == ROWS


def test_deletes_look_for_related_rows_in_batches_the_protocol_allows():
    # The collector asks for the related rows of this many objects at once, one parameter each.
    assert connection.ops.bulk_batch_size(["pk"], list(range(100_000))) <= 65_535
