"""More tables as downloads: quality assurance results by team (of one
sample, and of the overview's period), the records of a sample, and the supervisor's home table
"Your supervisees". Each downloads as CSV and as XLSX with the figures the page shows, within
the page's reach (out of reach 404, a role without access 403), audited as an export, and never
with a reviewer's comments, a record's text or a child's name in it."""

import csv
import io
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from access.roles import roles_for
from oversight.flags.selectors import home_flags
from oversight.models import FlagKind, QualityReview
from oversight.quality import sampling as quality
from oversight.reports import home as selectors_home
from supervision.models import JobRole, SupervisionRecord
from supervision.models.audit import AuditEvent
from supervision.people import selectors
from tests.factories import RelationshipFactory, StaffProfileFactory, UnitFactory
from tests.oversight.reports.test_home import (
    CHILD_NAME,
    TUESDAY,
    actions_for,
    add_supervisee,
    cells,
    child_due_in,
    flag,
    order_of,
    page,
    planned_session,
    record_in,
    row_of,
)
from tests.quality_helpers import (
    NOW,
    PERIOD,
    RECORD_TEXT,
    finalised_record,
    in_period,
    world_quality_sample,
)
from tests.world import ROLES, TODAY

pytestmark = pytest.mark.django_db

COMMENT = "Reviewer's note quoting the record: COMMENT-7Q"


# --- Reading a download back ------------------------------------------------------------------


def get(client, table, file_format="csv", at=NOW, **params):
    with time_machine.travel(at, tick=False):
        return client.get(
            reverse("export-table", kwargs={"table": table, "file_format": file_format}), params
        )


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.values]


def as_text(value) -> str:
    """A spreadsheet cell as the CSV writes it."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return "" if value is None else str(value)


def same_table(csv_lines, xlsx_lines) -> None:
    assert [[as_text(value) for value in row] for row in xlsx_lines] == csv_lines


def signed_in(user, at=NOW) -> Client:
    """Signed in at `at`: a session expires after a while without a request."""
    client = Client()
    with time_machine.travel(at, tick=False):
        client.force_login(user)
    return client


# --- Quality assurance ------------------------------------------------------------------------


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


ROUNDS = [
    ("yes", "yes", "no", "partly"),
    ("partly", "yes", "no", "yes"),
    ("no", "partly", "yes", "yes"),
    ("yes", "no", "partly", "yes"),
    ("yes", "yes", "yes", "no"),
    # the sixth stays unreviewed
]


@pytest.fixture
def sample(world):
    """Six finalised records in two teams of Service A, all drawn by the senior manager, five
    reviewed with a comment that quotes the record."""
    with time_machine.travel(NOW, tick=False):
        team_c = UnitFactory(name="Team C", parent=world.units["service"])
        worker = StaffProfileFactory(unit=team_c, user__full_name="Casey Worker").user
        RelationshipFactory(supervisor=world.supervisor, supervisee=worker)
        for day in (2, 9, 16):
            finalised_record(world.supervisee, world.supervisor, in_period(day))
        for day in (6, 7, 8):
            finalised_record(worker, world.supervisor, in_period(day))
        drawn = quality.sample_draw(
            by=world.senior_manager,
            unit=world.units["service"],
            finalised_from=PERIOD[0],
            finalised_to=PERIOD[1],
            size=50,
            seed="exports",
        )
        for review, answers in zip(drawn.reviews.order_by("pk"), ROUNDS, strict=False):
            quality.review_save(
                review=review,
                by=world.senior_manager,
                answers=dict(zip(quality.FIELDS, answers, strict=True)),
                comments=f"{COMMENT} {RECORD_TEXT}",
            )
    assert drawn.reviews.count() == 6
    return drawn


def expected_results(reviews) -> list[list[str]]:
    """The results by team counted here in Python from the stored reviews, one line per team in
    tree order and the total, as the CSV writes them."""
    by_team = defaultdict(list)
    for review in reviews.select_related("unit"):
        by_team[review.unit].append(review)

    def line(name, mine):
        done = [review for review in mine if review.reviewed_at is not None]
        cells_ = [name, str(len(mine)), str(len(done))]
        for field in quality.FIELDS:
            counted = Counter(getattr(review, field) for review in done)
            for answer in ("yes", "partly", "no"):
                share = round(100 * counted[answer] / len(done)) if done else ""
                cells_ += [str(counted[answer]), str(share)]
        return cells_

    teams = sorted(by_team, key=lambda unit: unit.path)
    lines = [line(unit.name, by_team[unit]) for unit in teams]
    return [*lines, line("All teams", [r for unit in teams for r in by_team[unit]])]


def test_one_samples_results_download_with_the_figures_the_page_shows(world, sample):
    client = signed_in(world.senior_manager)
    lines = csv_rows(get(client, "quality-results", sample=sample.pk))
    header, body = lines[0], lines[1:]
    assert header[:3] == ["Team", "Sampled", "Reviewed"]
    assert header[3:5] == [
        "Is the supervision reflective? Yes",
        "Is the supervision reflective? Yes (%)",
    ]
    assert len(header) == 3 + len(quality.QUESTIONS) * 3 * 2
    assert body == expected_results(sample.reviews.all())
    assert [line[0] for line in body] == ["Team A", "Team C", "All teams"]
    total = dict(zip(header, body[-1], strict=True))
    assert (total["Sampled"], total["Reviewed"]) == ("6", "5")
    # The page says "3 (60%)" for the total of "reflective: yes".
    assert (total["Is the supervision reflective? Yes"], total[header[4]]) == ("3", "60")
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("quality-sample", args=[sample.pk])).content.decode()
    assert "3 (60%)" in html

    same_table(lines, xlsx_rows(get(client, "quality-results", "xlsx", sample=sample.pk)))


def test_a_team_with_nothing_reviewed_has_empty_shares_not_zero(world, sample):
    QualityReview.objects.filter(sample=sample, unit__name="Team C").update(
        reviewed_at=None, reflective="", childs_voice="", actions_smart="", wellbeing_discussed=""
    )
    lines = csv_rows(get(signed_in(world.senior_manager), "quality-results", sample=sample.pk))
    team_c = dict(zip(lines[0], lines[2], strict=True))
    assert team_c["Team"] == "Team C" and team_c["Reviewed"] == "0"
    assert team_c["Is the supervision reflective? Yes"] == "0"
    assert team_c["Is the supervision reflective? Yes (%)"] == ""
    xlsx = xlsx_rows(
        get(signed_in(world.senior_manager), "quality-results", "xlsx", sample=sample.pk)
    )
    assert xlsx[2][4] is None and xlsx[2][3] == 0


def test_the_overview_downloads_the_period_the_page_shows_and_only_samples_in_reach(world, sample):
    with time_machine.travel(NOW, tick=False):
        # An earlier sample of the same manager's, drawn 15 months ago: outside the default.
        old = quality.sample_draw(
            by=world.senior_manager,
            unit=world.units["team"],
            finalised_from=PERIOD[0],
            finalised_to=PERIOD[1],
            size=2,
            seed="old",
        )
        for review in old.reviews.all():
            quality.review_save(
                review=review,
                by=world.senior_manager,
                answers=dict.fromkeys(quality.FIELDS, "no"),
            )
        old.drawn_at = datetime(2024, 12, 10, 12, tzinfo=UTC)
        old.save()
        # Another service's sample, drawn today: never in the senior manager's results.
        finalised_record(world.other_supervisee, world.other_team_supervisor, in_period(3))
        quality.sample_draw(
            by=world.other_senior_manager,
            unit=world.other_supervisee.profile.unit.parent,  # Service B
            finalised_from=PERIOD[0],
            finalised_to=PERIOD[1],
            size=5,
            seed="elsewhere",
        )
    client = signed_in(world.senior_manager)

    # The page's links carry its period (the last 12 months by default) and give its figures.
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("quality-samples")).content.decode()
    assert "Samples drawn from 6 March 2025 to 5 March 2026" in html
    link = "/exports/quality-results.csv?from=2025-03-06&amp;to=2026-03-05"
    assert f'href="{link}"' in html
    assert 'href="/exports/quality-results.xlsx?from=2025-03-06&amp;to=2026-03-05"' in html
    linked = csv_rows(get(client, "quality-results", **{"from": "2025-03-06", "to": "2026-03-05"}))
    assert linked[1:] == expected_results(sample.reviews.all())
    # No period: the same default as the page.
    assert csv_rows(get(client, "quality-results")) == linked

    # A period that takes in the earlier sample adds its figures to Team A's.
    longer = {"from": "2024-12-01", "to": "2026-03-05"}
    lines = csv_rows(get(client, "quality-results", **longer))
    both = QualityReview.objects.filter(sample__in=[sample, old])
    assert lines[1:] == expected_results(both)
    total = dict(zip(lines[0], lines[-1], strict=True))
    assert (total["Sampled"], total["Reviewed"]) == ("8", "7")
    same_table(lines, xlsx_rows(get(client, "quality-results", "xlsx", **longer)))

    # The other senior manager's own download holds only their sample, unreviewed.
    theirs = csv_rows(get(signed_in(world.other_senior_manager), "quality-results"))
    assert [line[:3] for line in theirs[1:]] == [["Team B", "1", "0"], ["All teams", "1", "0"]]


def test_the_records_of_a_sample_download_without_comments_or_record_text(world, sample):
    client = signed_in(world.senior_manager)
    lines = csv_rows(get(client, "quality-sample-records", sample=sample.pk))
    assert lines[0] == [
        "Supervisee",
        "Supervisor",
        "Session",
        "Team",
        "Reviewed",
        *(question for _, question in quality.QUESTIONS),
    ]
    reviews = sample.reviews.select_related(
        "unit", "record__session__supervisee", "record__session__supervisor"
    ).order_by("record__session__starts_at", "pk")
    labels = {"yes": "Yes", "partly": "Partly", "no": "No", "": ""}
    expected = [
        [
            review.record.session.supervisee.full_name,
            review.record.session.supervisor.full_name,
            review.record.session.starts_at.date().isoformat(),  # 15:00 UTC: the same in London
            review.unit.name,
            "Yes" if review.reviewed_at else "No",
            *(labels[getattr(review, field)] for field in quality.FIELDS),
        ]
        for review in reviews
    ]
    assert lines[1:] == expected
    assert sum(1 for line in lines[1:] if line[4] == "Yes") == 5
    assert {line[0] for line in lines[1:]} == {"Supervisee", "Casey Worker"}

    text = "\n".join(",".join(line) for line in lines)
    assert "COMMENT-7Q" not in text and RECORD_TEXT not in text
    xlsx = xlsx_rows(get(client, "quality-sample-records", "xlsx", sample=sample.pk))
    same_table(lines, xlsx)
    assert isinstance(xlsx[1][2], datetime), "the session date is a date in the spreadsheet"
    assert not any("COMMENT-7Q" in str(value) for row in xlsx for value in row)

    # The sample page offers both downloads of both tables.
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("quality-sample", args=[sample.pk])).content.decode()
    for table in ("quality-sample-records", "quality-results"):
        for file_format in ("csv", "xlsx"):
            assert f'href="/exports/{table}.{file_format}?sample={sample.pk}"' in html


def test_each_quality_download_is_audited_as_an_export_without_its_contents(world, sample):
    client = signed_in(world.senior_manager)
    get(client, "quality-results", sample=sample.pk)
    get(client, "quality-sample-records", "xlsx", sample=sample.pk)
    events = AuditEvent.objects.filter(actor=world.senior_manager, action="export").order_by("pk")
    assert [(e.object_type, e.object_id) for e in events] == [
        ("table_export", "quality-results"),
        ("table_export", "quality-sample-records"),
    ]
    results, records = (event.detail for event in events)
    assert results["rows"] == 3 and results["format"] == "csv"
    assert results["params"] == {"sample": str(sample.pk)}
    assert records["rows"] == 6 and records["format"] == "xlsx"
    for event in events:
        assert "COMMENT-7Q" not in str(event.detail) and "Casey" not in str(event.detail)


# What the lead adds to tests/access/test_permission_matrix.py: GET of export-table for these
# tables,
# with the sample of tests/quality_helpers.py (drawn by the senior manager from Service A).
THE_SAMPLE = {
    "anonymous": 302,
    "supervisee": 403,
    "other_supervisee": 403,
    "supervisor": 403,
    "other_team_supervisor": 403,
    "senior_manager": 200,
    "other_senior_manager": 404,
    "auditor_with_grant": 404,
    "auditor_without_grant": 404,
    "admin": 403,
}
# The overview's results: anyone who may use the quality pages (their own samples, maybe none).
THE_OVERVIEW = THE_SAMPLE | dict.fromkeys(
    ("other_senior_manager", "auditor_with_grant", "auditor_without_grant"), 200
)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_the_status_expected_for_the_quality_downloads(world, role):
    ids = world_quality_sample(world)
    client = Client() if role == "anonymous" else signed_in(world.people[role])
    for table in ("quality-results", "quality-sample-records"):
        for file_format in ("csv", "xlsx"):
            response = get(client, table, file_format, sample=ids["sample_id"])
            assert response.status_code == THE_SAMPLE[role], f"{table}.{file_format} as {role}"
    assert get(client, "quality-results").status_code == THE_OVERVIEW[role]
    if THE_SAMPLE[role] in (403, 404):
        assert AuditEvent.objects.filter(
            actor=world.people[role],
            action="denied",
            object_type="table_export",
            object_id="quality-sample-records",
            detail__answer=THE_SAMPLE[role],
        ).exists()


def test_a_sample_that_does_not_exist_is_not_found(world, sample):
    client = signed_in(world.senior_manager)
    assert get(client, "quality-results", sample=sample.pk + 100).status_code == 404
    assert get(client, "quality-sample-records", sample=sample.pk + 100).status_code == 404


@pytest.mark.parametrize(
    ("table", "query", "problem"),
    [
        ("quality-sample-records", {}, "sample</code>: missing"),
        ("quality-sample-records", {"sample": "first"}, "sample</code>: not a whole number"),
        ("quality-results", {"from": "2026-01-01"}, "to</code>: missing"),
        ("quality-results", {"to": "2026-01-01"}, "from</code>: missing"),
        (
            "quality-results",
            {"from": "2026-03-01", "to": "2026-01-01"},
            "to</code>: before the start of the period",
        ),
        ("quality-results", {"from": "1 March", "to": "2026-03-01"}, "from</code>: not a date"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(world, table, query, problem):
    response = get(signed_in(world.senior_manager), table, **query)
    assert response.status_code == 400
    assert problem in response.content.decode()


# --- The supervisor's home table ---------------------------------------------------------------


@pytest.fixture
def team(world):
    """The world's supervisor with Jo Adams as well as the world's supervisee (as in
    tests/oversight/reports/test_home.py): records waiting for either signature, open
    and overdue
    actions, children due and overdue, open flags and a session booked."""
    with time_machine.travel(TODAY, tick=False):
        jo = add_supervisee(world, "Jo Adams")
    for day in (3, 10):
        record_in(world, jo, date(2026, 2, day), SupervisionRecord.Status.SHARED)
    record_in(world, jo, date(2026, 2, 17), SupervisionRecord.Status.SUPERVISEE_SIGNED)
    record_in(world, jo, date(2026, 2, 24), SupervisionRecord.Status.FINALISED)
    actions_for(world, jo, [date(2026, 3, 1), date(2026, 3, 20), date(2026, 4, 1)])
    overdue_child = child_due_in(world, jo, -3, "NS300001")
    child_due_in(world, jo, 10, "NS300002")
    flag(jo)
    flag(jo, FlagKind.CASE_REVIEW_OVERDUE, child=overdue_child)
    planned_session(world, jo, datetime(2026, 3, 17, 10, tzinfo=UTC))
    return jo


HOME_HEADER = [
    "Name",
    "Relationship, when not line supervision",
    "Role",
    "Next supervision due",
    "Supervision overdue",
    "Next session booked",
    "Overdue items",
    "Records awaiting the supervisee's signature",
    "Records awaiting the supervisor's signature",
    "Open actions",
    "Overdue actions",
    "Children due for case supervision",
    "Children overdue for case supervision",
]


def test_the_supervisors_table_downloads_with_the_figures_the_page_shows(world, team):
    jo = team
    client = signed_in(world.supervisor, TUESDAY)
    lines = csv_rows(get(client, "my-supervisees", at=TUESDAY))
    assert lines[0] == HOME_HEADER
    rows = {line[0]: dict(zip(HOME_HEADER, line, strict=True)) for line in lines[1:]}
    assert set(rows) == {"Jo Adams", "Supervisee"}

    # Jo's figures, counted from the rows the fixture wrote, and as the page shows them.
    html = page(world.supervisor)
    name, role, next_due, session, overdue, records, actions, children = cells(row_of(html, jo))
    assert rows["Jo Adams"] == {
        "Name": name,
        "Relationship, when not line supervision": "",
        "Role": role,
        "Next supervision due": "2026-03-24",  # the page: "24 March 2026 in 14 days"
        "Supervision overdue": "No",
        "Next session booked": "2026-03-17",  # the page: "17 March 2026"
        "Overdue items": "2",  # Jo's own flag and child NS300001's case review
        "Records awaiting the supervisee's signature": "2",
        "Records awaiting the supervisor's signature": "1",
        "Open actions": "3",
        "Overdue actions": "1",
        "Children due for case supervision": "2",
        "Children overdue for case supervision": "1",
    }
    assert next_due.startswith("24 March 2026") and session == "17 March 2026"
    assert overdue.startswith("2 ")
    assert "2 waiting for Jo Adams" in records and "1 waiting for the supervisor" in records
    assert actions == "3 open for Jo Adams 1 overdue"
    assert children == "2 on Jo Adams's caseload 1 overdue"
    # The world's supervisee: last held 4 March, nothing booked, one open action, one child.
    assert rows["Supervisee"]["Next supervision due"] == "2026-04-04"
    assert rows["Supervisee"]["Next session booked"] == ""
    assert rows["Supervisee"]["Open actions"] == "1"

    # Every row has the figures of the page's own table, in the page's order.
    with time_machine.travel(TUESDAY, tick=False):
        roles = roles_for(world.supervisor)
        table = selectors_home.supervisee_table(
            list(selectors.current_supervisees_of(world.supervisor)),
            team_flags=home_flags(world.supervisor, roles, TUESDAY)["flags_in_team"],
            versions=selectors_home.pack_timeline(),
            now=TUESDAY,
        )
    assert [line[0] for line in lines[1:]] == [row.person.full_name for row in table.rows]
    assert [line[0] for line in lines[1:]] == [
        person.full_name for person in order_of(html, [jo, world.supervisee])
    ]
    for line, row in zip(lines[1:], table.rows, strict=True):
        assert line[6:11] == [
            str(row.overdue_items),
            str(len(row.to_sign_by_supervisee)),
            str(len(row.to_sign_by_supervisor)),
            str(row.open_actions),
            str(row.overdue_actions),
        ]

    text = "\n".join(",".join(line) for line in lines)
    assert CHILD_NAME not in text and "NS300001" not in text
    same_table(lines, xlsx_rows(get(client, "my-supervisees", "xlsx", at=TUESDAY)))


def test_the_download_keeps_the_order_the_page_was_sorted_by(world, team):
    jo = team
    client = signed_in(world.supervisor, TUESDAY)
    for sort in ("name", "-name", "due", "-actions", "passwords"):
        html = page(world.supervisor, f"/?sort={sort}")
        assert f'href="/exports/my-supervisees.csv?sort={sort}"' in html
        lines = csv_rows(get(client, "my-supervisees", at=TUESDAY, sort=sort))
        expected = order_of(html, [jo, world.supervisee])
        assert [line[0] for line in lines[1:]] == [person.full_name for person in expected], sort
    # Unsorted, the links carry no order and the download is the most urgent first.
    assert 'href="/exports/my-supervisees.csv"' in page(world.supervisor)


def test_someone_who_holds_no_cases_has_empty_children_cells_not_zero(world):
    # The senior manager supervises the team manager; here their role holds no cases.
    JobRole.objects.filter(code="practice-manager").update(holds_cases=False)
    html = page(world.senior_manager)
    assert cells(row_of(html, world.supervisor))[7] == "No caseload"
    lines = csv_rows(get(signed_in(world.senior_manager, TUESDAY), "my-supervisees", at=TUESDAY))
    assert [line[0] for line in lines[1:]] == ["Supervisor"]
    row = dict(zip(HOME_HEADER, lines[1], strict=True))
    assert row["Role"] == "Practice Manager"
    assert row["Children due for case supervision"] == ""
    assert row["Children overdue for case supervision"] == ""
    xlsx = xlsx_rows(
        get(signed_in(world.senior_manager, TUESDAY), "my-supervisees", "xlsx", at=TUESDAY)
    )
    assert xlsx[1][0] == "Supervisor" and xlsx[1][11] is None


def test_the_supervisors_download_is_audited_as_an_export(world, team):
    get(signed_in(world.supervisor, TUESDAY), "my-supervisees", at=TUESDAY, sort="name")
    event = AuditEvent.objects.get(actor=world.supervisor, action="export")
    assert (event.object_type, event.object_id) == ("table_export", "my-supervisees")
    assert event.detail["rows"] == 2 and event.detail["params"] == {"sort": "name"}
    assert "Jo Adams" not in str(event.detail)


# Anyone who supervises nobody today has no table to download: 403, as a role without access.
MY_SUPERVISEES = {
    "anonymous": 302,
    "supervisee": 403,
    "other_supervisee": 403,
    "supervisor": 200,
    "other_team_supervisor": 200,
    "senior_manager": 200,  # supervises the supervisor
    "other_senior_manager": 200,  # supervises the other team's supervisor
    "auditor_with_grant": 403,
    "auditor_without_grant": 403,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_the_status_expected_for_the_supervisors_download(world, role):
    client = Client() if role == "anonymous" else signed_in(world.people[role], TUESDAY)
    for file_format in ("csv", "xlsx"):
        response = get(client, "my-supervisees", file_format, at=TUESDAY)
        assert response.status_code == MY_SUPERVISEES[role], f"{file_format} as {role}"
    if MY_SUPERVISEES[role] == 403:
        assert AuditEvent.objects.filter(
            actor=world.people[role],
            action="denied",
            object_type="table_export",
            object_id="my-supervisees",
            detail__answer=403,
        ).exists()


def test_a_supervisor_sees_only_their_own_supervisees_in_the_download(world, team):
    lines = csv_rows(
        get(signed_in(world.other_team_supervisor, TUESDAY), "my-supervisees", at=TUESDAY)
    )
    assert [line[0] for line in lines[1:]] == ["Other Supervisee"]
    # A relationship that has ended is not in the table the next day.
    ended = world.relationship
    ended.ends_on = TUESDAY.date() - timedelta(days=1)
    ended.save()
    lines = csv_rows(get(signed_in(world.supervisor, TUESDAY), "my-supervisees", at=TUESDAY))
    assert [line[0] for line in lines[1:]] == ["Jo Adams"]


# --- Bounded queries ----------------------------------------------------------------------------


def grow_sample(world, count: int, start: int):
    """`count` more finalised records of the supervisee, and a sample of all, half reviewed."""
    with time_machine.travel(NOW, tick=False):
        for index in range(count):
            day = 1 + (start + index) % 27
            finalised_record(world.supervisee, world.supervisor, in_period(day))
        drawn = quality.sample_draw(
            by=world.senior_manager,
            unit=world.units["service"],
            finalised_from=PERIOD[0],
            finalised_to=PERIOD[1],
            size=50,
        )
        for review in list(drawn.reviews.all())[: max(1, count // 2)]:
            quality.review_save(
                review=review,
                by=world.senior_manager,
                answers=dict.fromkeys(quality.FIELDS, "yes"),
                comments=COMMENT,
            )
    return drawn


# Justify any query added to these downloads. Both: the user (1; the session comes from its
# cache and is not saved again within the minute), the roles (1), the audit entry (5: a
# savepoint, the chain head read and moved on, the event). The quality tables: the senior
# manager's units (1), the sample or the period's samples (1) and the results or the sampled
# records (1).
QUALITY_EXPORT_QUERIES = 8
# The roles are one statement (issue 21: three or four before).
# The supervisor's table: their team's open flags (1), their supervisees (1), then as on the home
# page: pack versions (2), the supervisees' histories (12), booked sessions, records, actions and
# children (4).
SUPERVISEES_EXPORT_QUERIES = 25


def test_the_quality_downloads_run_the_same_queries_however_much_there_is(
    world, django_assert_num_queries
):
    client = signed_in(world.senior_manager)
    done = 0
    for size in (2, 20):
        drawn = grow_sample(world, size, done)
        done += size
        get(client, "quality-results")  # the first request after sign-in also saves the session
        for table, params in [
            ("quality-results", {"sample": drawn.pk}),
            ("quality-results", {}),
            ("quality-sample-records", {"sample": drawn.pk}),
        ]:
            with django_assert_num_queries(QUALITY_EXPORT_QUERIES):
                assert get(client, table, **params).status_code == 200


def test_the_supervisors_download_runs_the_same_queries_for_2_supervisees_and_12(
    world, django_assert_num_queries
):
    from tests.oversight.reports.test_home import busy_supervisee

    client = signed_in(world.supervisor, TUESDAY)
    for size in (2, 12):
        for index in range(len(world.supervisor.supervising.all()), size):
            busy_supervisee(world, index)
        get(client, "my-supervisees", at=TUESDAY)
        with django_assert_num_queries(SUPERVISEES_EXPORT_QUERIES):
            lines = csv_rows(get(client, "my-supervisees", at=TUESDAY))
        assert len(lines) == 1 + size
