"""Importing a child's history as it happened: allocations.csv (spells and the transfers
between them), risk_ratings.csv (levels from the day each was set), who cancelled a session,
and `--pack CODE --pack-from DATE` so the history is judged by the pack the council ran."""

import io
import shutil
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from casework.models import Child, RiskRating, Transfer
from casework.transfer_services import transfers_of
from oversight.flags.compliance import compliance_rows
from oversight.management.commands.compliance import parse_as_of
from oversight.models import OrganisationPolicy
from oversight.policy.choice import pack_on
from supervision.models import SupervisionSession
from supervision.models.audit import AuditEvent
from tests.oversight.records_management.test_importing import (
    EXAMPLE,
    NOW,
    append,
    counts,
    edit,
    refused,
    run,
)

pytestmark = pytest.mark.django_db

NADIA = "nadia.khan@westmoor.example"
LEO = "leo.fraser@westmoor.example"
TEAM = "westmoor-assessment"


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "import"
    shutil.copytree(EXAMPLE, target)
    return target


def write(folder, name, *lines) -> None:
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def refused_cleanly(folder, *args) -> list[str]:
    """The problems, having written nothing at all."""
    before = counts()
    problems = refused(folder, *args)
    assert counts() == before
    return problems


def overdue_for(reference: str, as_of: str) -> list[dict]:
    return [row.as_dict() for row in compliance_rows(parse_as_of(as_of)) if row.case == reference]


# --- allocations.csv ---------------------------------------------------------------------------


def test_spells_make_the_allocation_history_and_a_transfer_between_them(folder):
    output = run(folder)

    assert "allocations.csv: 2 created, 0 updated, 0 unchanged" in output
    child = Child.objects.get(reference="WM100003")
    first, second = child.allocations.order_by("starts_at")
    assert (first.worker.email, first.reason) == (NADIA, "new")
    assert first.starts_at == datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    assert first.ends_at == second.starts_at == datetime(2025, 10, 6, 9, 0, tzinfo=UTC)
    assert (second.worker.email, second.reason, second.ends_at) == (LEO, "transfer", None)
    # C5 reads the transfer's date; C4 counts the service from the first spell.
    transfer = Transfer.objects.get(child=child)
    assert transfer.status == "completed" and transfer.planned_for == date(2025, 10, 6)
    assert (transfer.from_worker.email, transfer.to_worker.email) == (NADIA, LEO)
    assert child.service_since == date(2025, 6, 2)
    assert child.allocated_worker.email == LEO
    (joint,) = transfers_of(child)
    assert (joint.earliest, joint.latest, joint.held) == (
        date(2025, 9, 8),
        date(2025, 9, 22),
        False,
    )


def test_a_transfer_since_the_last_import_moves_a_recorded_child(folder):
    run(folder)
    append(folder, "allocations.csv", f"WM100001,{NADIA},{TEAM},2025-11-03 09:30,2026-02-20 10:00")
    append(folder, "allocations.csv", f"WM100001,{LEO},{TEAM},2026-02-20 10:00,")
    edit(folder, "cases.csv", 2, "worker_email", LEO)
    edit(folder, "cases.csv", 2, "allocated_at", "2026-02-20 10:00")

    output = run(folder)

    assert "allocations.csv: 1 created, 1 updated, 2 unchanged" in output
    child = Child.objects.get(reference="WM100001")
    assert child.allocated_worker.email == LEO
    assert child.allocated_at == datetime(2026, 2, 20, 10, 0, tzinfo=UTC)
    assert child.service_since == date(2025, 11, 3)
    old, new = child.allocations.order_by("starts_at")
    assert old.ends_at == new.starts_at and new.reason == "transfer"
    assert Transfer.objects.get(child=child).planned_for == date(2026, 2, 20)
    # Again: nothing changes.
    assert "allocations.csv: 0 created, 0 updated, 4 unchanged" in run(folder)
    assert Transfer.objects.filter(child=child).count() == 1


@pytest.mark.parametrize(
    ("lines", "cases_edit", "expected"),
    [
        (
            [f"WM999999,{NADIA},{TEAM},2025-06-02,"],
            None,
            "allocations.csv, row 2, column reference: There is no child with the reference "
            'WM999999: add them to cases.csv (found "WM999999")',
        ),
        (
            [f"WM100003,nobody@westmoor.example,{TEAM},2025-10-06 10:00,"],
            None,
            "allocations.csv, row 2, column worker_email: There is no member of staff with the "
            "email nobody@westmoor.example: add them to staff.csv",
        ),
        (
            [f"WM100003,{LEO},nowhere,2025-10-06 10:00,"],
            None,
            "allocations.csv, row 2, column unit_code: There is no unit with the code nowhere: "
            "add it to units.csv",
        ),
        (
            [
                f"WM100003,{NADIA},{TEAM},2025-06-02 09:00,2025-05-01",
                f"WM100003,{LEO},{TEAM},2025-10-06 10:00,",
            ],
            None,
            "allocations.csv, row 2, column ended_at: Enter an end after the allocation (found "
            '"2025-05-01")',
        ),
        (
            [
                f"WM100003,{NADIA},{TEAM},2025-06-02 09:00,2025-10-06 10:00",
                f"WM100003,{LEO},{TEAM},2025-09-01 09:00,",
            ],
            ("allocated_at", "2025-09-01 09:00"),
            "allocations.csv, row 3, column allocated_at: This allocation overlaps WM100003's "
            f"allocation to {NADIA} from 2 June 2025 (row 2)",
        ),
        (
            [
                f"WM100003,{NADIA},{TEAM},2025-06-02 09:00,",
                f"WM100003,{LEO},{TEAM},2025-10-06 10:00,",
            ],
            None,
            "allocations.csv, row 3, column allocated_at: This allocation overlaps WM100003's "
            f"allocation to {NADIA} from 2 June 2025 (row 2)",
        ),
        (
            [
                f"WM100003,{NADIA},{TEAM},2025-06-02 09:00,2025-10-06 10:00",
                f"WM100003,peter.lindqvist@westmoor.example,{TEAM},2026-02-02 09:00,",
            ],
            ("worker_email", "peter.lindqvist@westmoor.example"),
            "allocations.csv, row 3, column worker_email: peter.lindqvist@westmoor.example left "
            "on 30 January 2026, before this allocation "
            '(found "peter.lindqvist@westmoor.example")',
        ),
        (
            [
                f"WM100003,{NADIA},{TEAM},2025-06-02 09:00,2025-10-06 10:00",
                f"WM100003,{NADIA},{TEAM},2025-10-06 10:00,",
            ],
            None,
            "cases.csv, row 4, column worker_email: WM100003's latest allocation in "
            "allocations.csv (row 3) has a different worker_email: give the same one here",
        ),
        (
            [
                "WM100005,peter.lindqvist@westmoor.example,westmoor-assessment,"
                "2025-11-10 14:00,2026-01-29 09:00"
            ],
            None,
            "allocations.csv, row 2, column ended_at: WM100005's case closed on 28 January "
            "2026: end the allocation by then, or leave it empty for the closure to end it "
            '(found "2026-01-29 09:00")',
        ),
    ],
    ids=[
        "unknown child",
        "unknown worker",
        "unknown unit",
        "ends before it starts",
        "overlapping spells",
        "two open spells",
        "worker had left",
        "cases.csv disagrees",
        "ends after the closure",
    ],
)
def test_a_doubtful_allocation_history_is_refused_naming_its_row(
    folder, lines, cases_edit, expected
):
    write(
        folder, "allocations.csv", "reference,worker_email,unit_code,allocated_at,ended_at", *lines
    )
    if cases_edit:
        edit(folder, "cases.csv", 4, *cases_edit)

    assert expected in refused_cleanly(folder)


def test_a_second_spell_left_open_is_named(folder):
    write(
        folder,
        "allocations.csv",
        "reference,worker_email,unit_code,allocated_at,ended_at",
        f"WM100003,{NADIA},{TEAM},2025-06-02 09:00,",
        f"WM100003,{LEO},{TEAM},2025-10-06 10:00,",
    )
    problems = refused_cleanly(folder)
    assert (
        "allocations.csv, row 3, column ended_at: WM100003 has another allocation with no end: "
        "only the current one may be left open"
    ) in problems


# --- risk_ratings.csv --------------------------------------------------------------------------


RATINGS_HEADER = "reference,scale,level,rated_on,reason"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["WM999999,rag,red,2025-12-01,"],
            "risk_ratings.csv, row 2, column reference: There is no child with the reference "
            'WM999999: add them to cases.csv (found "WM999999")',
        ),
        (
            ["WM100001,rag,extreme,2025-12-01,"],
            "risk_ratings.csv, row 2, column level: Choose one of: red, amber, green, very_high, "
            'high, medium, low (found "extreme")',
        ),
        (
            ["WM100001,rag,high,2025-12-01,"],
            "risk_ratings.csv, row 2, column level: Choose one of: red, amber, green "
            '(found "high")',
        ),
        (
            ["WM100001,serious_harm,high,2025-12-01,"],
            "risk_ratings.csv, row 2, column scale: WM100001 is in social work, which does not "
            'use this scale (found "serious_harm")',
        ),
        (
            ["WM100001,rag,red,31/02/2026,"],
            "risk_ratings.csv, row 2, column rated_on: Enter a date such as 2026-03-05 (found "
            '"31/02/2026")',
        ),
        (
            ["WM100001,rag,red,2026-03-06,"],
            "risk_ratings.csv, row 2, column rated_on: Enter a date today or in the past (found "
            '"2026-03-06")',
        ),
        (
            ["WM100001,rag,red,2025-10-01,"],
            "risk_ratings.csv, row 2, column rated_on: Enter a date on or after WM100001's "
            'allocation, 3 November 2025 (found "2025-10-01")',
        ),
        (
            ["WM100001,rag,red,2025-12-01,", "WM100001,rag,amber,2025-12-01,"],
            "risk_ratings.csv, row 3, column rated_on: WM100001 already has a risk rating (red, "
            'amber, green) rating on this day on row 2 (found "2025-12-01")',
        ),
        (
            ["WM100001,rag,red,2025-12-01,"],
            "cases.csv, row 2, column rag_rating: WM100001's latest risk rating (red, amber, "
            "green) in risk_ratings.csv is red: give the same level here, or leave it empty",
        ),
    ],
    ids=[
        "unknown child",
        "unknown level",
        "level of another scale",
        "scale the service does not use",
        "unreadable date",
        "future date",
        "before the allocation",
        "two on one day",
        "cases.csv disagrees",
    ],
)
def test_a_doubtful_rating_is_refused_naming_its_row(folder, lines, expected):
    write(folder, "risk_ratings.csv", RATINGS_HEADER, *lines)

    assert expected in refused_cleanly(folder)


def test_ratings_already_recorded_are_left_alone_and_a_different_one_that_day_refused(folder):
    run(folder)
    assert "risk_ratings.csv: 0 created, 0 updated, 4 unchanged" in run(folder)

    append(folder, "risk_ratings.csv", "WM100003,rag,red,2025-06-02,")
    edit(folder, "risk_ratings.csv", 5, "level", "red")
    problems = refused_cleanly(folder)
    assert (
        "risk_ratings.csv, row 5, column level: WM100003's risk rating (red, amber, green) on "
        "this day is recorded as green: a recorded rating is not changed by import "
        '(found "red")'
    ) in problems


def yj_child(folder, *ratings) -> None:
    """A youth justice child allocated on 6 January 2025 and discussed the next day."""
    append(
        folder,
        "cases.csv",
        f"YJ100001,LM,youth_justice,youth_justice_order,{TEAM},{NADIA},2025-01-06 09:00,,,,no,,,",
    )
    append(
        folder,
        "case_supervisions.csv",
        "YJ100001,2025-01-07 10:00,owen.price@westmoor.example,case_supervision,,,,"
        "Weekly reporting to the youth offending team.,Order made by the youth court.,"
        "2025-04-07",
    )
    for line in ratings:
        append(folder, "risk_ratings.csv", line)


def test_a_risk_raised_on_a_past_day_shortens_the_cycle_from_that_day(folder):
    """C2 (Kent): low risk, 90 days; raised to high on 3 February, 30 days from the last
    discussion, so due on 6 February and overdue on the 10th."""
    yj_child(
        folder,
        "YJ100001,rosh,low,2025-01-06,Rated at allocation",
        "YJ100001,serious_harm,high,2025-02-03,Arrested for a knife offence",
    )
    run(folder)

    child = Child.objects.get(reference="YJ100001")
    assert child.serious_harm_level == "high"
    raised = RiskRating.objects.get(child=child, level="high")
    assert raised.previous_level == "low"
    assert raised.set_at == datetime(2025, 2, 3, 0, 0, tzinfo=UTC)
    assert overdue_for("YJ100001", "2025-02-05") == []
    rows = overdue_for("YJ100001", "2025-02-10")
    assert [(r["kind"], r["due"]) for r in rows] == [("case_review_overdue", "2025-02-06")]


def test_the_same_child_rated_low_throughout_is_not_overdue(folder):
    yj_child(folder, "YJ100001,serious_harm,low,2025-01-06,")
    run(folder)
    assert overdue_for("YJ100001", "2025-02-10") == []


# --- sessions.csv: who cancelled ---------------------------------------------------------------


def test_who_cancelled_a_session_is_recorded(folder):
    run(folder)
    cancelled = SupervisionSession.objects.get(status="cancelled")
    assert cancelled.cancelled_by.email == "owen.price@westmoor.example"


def test_who_cancelled_may_be_headed_cancelled_by_as_the_issue_named_it(folder):
    path = folder / "sessions.csv"
    path.write_text(path.read_text().replace("cancelled_by_email", "cancelled_by", 1))
    assert "cancelled_by_email" not in path.read_text().splitlines()[0]
    run(folder)
    cancelled = SupervisionSession.objects.get(status="cancelled")
    assert cancelled.cancelled_by.email == "owen.price@westmoor.example"


@pytest.mark.parametrize(
    ("row", "email", "expected"),
    [
        (
            3,
            "owen.price@westmoor.example",
            "sessions.csv, row 3, column cancelled_by_email: Leave this empty: the session was "
            "not cancelled",
        ),
        (
            2,
            NADIA,
            "sessions.csv, row 2, column cancelled_by_email: A supervisee does not cancel their "
            "own session in the product: name the supervisor who cancelled it "
            f'(found "{NADIA}")',
        ),
        (
            2,
            "grace.holloway@westmoor.example",
            "sessions.csv, row 2, column cancelled_by_email: Name the session's supervisor, or "
            f"someone supervising {NADIA} on 13 January 2026 (in relationships.csv or already "
            'recorded): only they can cancel a session (found "grace.holloway@westmoor.example")',
        ),
        (
            2,
            "nobody@westmoor.example",
            "sessions.csv, row 2, column cancelled_by_email: There is no member of staff with the "
            "email nobody@westmoor.example: add them to staff.csv",
        ),
    ],
    ids=["not cancelled", "the supervisee", "someone not supervising", "unknown person"],
)
def test_a_doubtful_canceller_is_refused(folder, row, email, expected):
    edit(folder, "sessions.csv", row, "cancelled_by_email", email)
    assert expected in refused_cleanly(folder)


# --- --pack CODE --pack-from DATE --------------------------------------------------------------


def test_history_imported_with_a_pack_from_a_past_day_is_judged_by_it(folder):
    """Kent: high risk in youth justice, 30 days; Surrey has no risk cycle (3 months)."""
    yj_child(folder, "YJ100001,serious_harm,high,2025-01-06,")

    output = run(folder, "--pack", "surrey", "--pack-from", "2025-01-01")

    assert "policy pack: the organisation runs surrey from 1 January 2025" in output
    assert "risk_ratings.csv: 5 created, 0 updated, 0 unchanged" in output
    assert pack_on(date(2024, 12, 31)).code == "kent"
    assert pack_on(date(2025, 1, 1)).code == "surrey"
    assert overdue_for("YJ100001", "2025-02-10") == []
    entry = AuditEvent.objects.get(object_type="organisation_policy")
    assert entry.detail == {
        "change": "policy pack chosen",
        "from": "kent",
        "to": "surrey",
        "effective_from": "2025-01-01",
    }


def test_without_the_pack_the_same_history_is_judged_by_kent(folder):
    yj_child(folder, "YJ100001,serious_harm,high,2025-01-06,")
    run(folder)
    rows = overdue_for("YJ100001", "2025-02-10")
    assert [(r["kind"], r["due"]) for r in rows] == [("case_review_overdue", "2025-02-06")]


def test_a_dry_run_or_a_refused_import_does_not_choose_the_pack(folder):
    run(folder, "--dry-run", "--pack", "surrey", "--pack-from", "2025-01-01")
    assert list(OrganisationPolicy.objects.values_list("pack_code", flat=True)) == ["kent"]

    edit(folder, "staff.csv", 7, "start_date", "31/02/2026")
    refused_cleanly(folder, "--pack", "surrey", "--pack-from", "2025-01-01")
    assert list(OrganisationPolicy.objects.values_list("pack_code", flat=True)) == ["kent"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--pack", "nowhere"], "--pack: there is no policy pack 'nowhere'; choose one of:"),
        (["--pack", "surrey", "--pack-from", "1 Jan"], "--pack-from: '1 Jan' is not a date"),
        (["--pack-from", "2025-01-01"], "--pack-from: name the pack with --pack as well."),
    ],
)
def test_a_wrong_pack_is_refused_before_anything_is_read(folder, args, expected):
    before = counts()
    with pytest.raises(CommandError, match=expected.replace("(", r"\(")):
        call_command("import_data", str(folder), *args, stdout=io.StringIO())
    assert counts() == before


def test_a_pack_from_a_day_to_come_is_refused(folder):
    problems = refused_cleanly(folder, "--pack", "surrey", "--pack-from", "2026-04-01")
    assert problems == [
        "--pack surrey --pack-from 2026-04-01: Enter today's date or an earlier one: a pack "
        "runs from a day that has begun"
    ]
