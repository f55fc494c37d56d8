"""POST /api/v1/imports/: the import's files as JSON rows or CSV, through the import's own checks
and its one-transaction write, limited to the token's units, audited without content."""

import pytest
from django.test import Client

from supervision.models import StaffProfile, SupervisoryRelationship, User
from supervision.models.audit import AuditEvent
from tests.api.helpers import bearer
from tests.api.writes import IMPORTS, feed, post_csv, post_json, writer
from tests.world import TODAY

WORLD_AT = TODAY
# Pinned: the token, its account and units, the throttle's cache (none: local memory), the
# import's fixed set of reads and the call's audit entry; whatever the number of rows.
# Issue 21: an audit entry is one statement (three before): two fewer in a test's savepoint.
DRY_RUN_QUERIES = 19


def state() -> tuple:
    return (
        sorted(User.objects.values_list("email", "full_name")),
        sorted(
            SupervisoryRelationship.objects.values_list(
                "supervisor__email", "supervisee__email", "starts_on", "ends_on"
            )
        ),
    )


def test_json_rows_are_imported_and_say_what_they_did(world):
    token = writer(world)

    response = post_json(token, {"files": feed(world)})

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "dry_run": False,
        "imported": True,
        "rows": 3,
        "files": {
            "staff.csv": {"create": 1, "update": 1, "unchanged": 0},
            "relationships.csv": {"create": 1, "update": 0, "unchanged": 0},
        },
        "job_roles_created": [],
    }
    sam = User.objects.get(email="sam.lee@example.org")
    assert sam.profile.unit == world.units["team"]
    assert SupervisoryRelationship.objects.filter(supervisee=sam, supervisor=world.supervisor)
    assert User.objects.get(pk=world.supervisee.pk).full_name == "Supervisee Renamed"


def test_files_may_be_named_without_csv(world):
    token = writer(world)
    files = {name.removesuffix(".csv"): rows for name, rows in feed(world).items()}

    response = post_json(token, {"files": files, "dry_run": True})

    assert response.status_code == 200
    assert set(response.json()["files"]) == {"staff.csv", "relationships.csv"}


def test_json_and_csv_uploads_give_the_same_answer_and_the_same_state(world):
    token = writer(world)
    checked_json = post_json(token, {"files": feed(world), "dry_run": True}).json()
    checked_csv = post_csv(token, feed(world), dry_run=True).json()
    assert checked_csv == checked_json

    post_csv(token, feed(world), dry_run=False)
    after_csv = state()
    again = post_json(token, {"files": feed(world)}).json()

    assert state() == after_csv
    assert again["files"]["staff.csv"] == {"create": 0, "update": 0, "unchanged": 2}


def test_a_dry_run_writes_nothing_and_says_what_would_change(world):
    token = writer(world)
    before = state()

    response = post_json(token, {"files": feed(world), "dry_run": True})

    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["imported"] is False
    assert response.json()["files"]["staff.csv"] == {"create": 1, "update": 1, "unchanged": 0}
    assert state() == before
    assert not AuditEvent.objects.filter(object_type="data_import").exists()


def test_a_bad_row_refuses_everything_naming_file_row_and_column_in_both_forms(world):
    token = writer(world)
    files = feed(world)
    files["staff.csv"][1]["start_date"] = "31/02/2026"
    before = state()

    as_json = post_json(token, {"files": files})
    as_csv = post_csv(token, files, dry_run=False)

    assert as_json.status_code == as_csv.status_code == 422
    assert as_json["Content-Type"] == "application/problem+json"
    assert as_json.json() == as_csv.json()
    assert as_json.json()["problems"] == [
        {
            "file": "staff.csv",
            "row": 3,
            "column": "start_date",
            "message": "Enter a date such as 2026-03-05",
            "value": "31/02/2026",
        }
    ]
    assert as_json.json()["detail"] == "1 problem found: nothing was imported."
    assert state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dry_run": True}, "files"),
        ({"files": {}}, "files"),
        ({"files": [], "dry_run": True}, "files"),
        ({"files": {"staff": []}, "dry_run": "perhaps"}, "dry_run"),
        ([1, 2], "body"),
    ],
)
def test_a_request_of_the_wrong_shape_is_a_400_naming_the_field(world, body, field):
    response = post_json(writer(world), body)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_unknown_file_or_rows_that_are_not_a_list_are_refused(world):
    response = post_json(writer(world), {"files": {"payroll": [], "staff": {"email": "x"}}})

    assert response.status_code == 422
    assert [(p["file"], p["message"][:30]) for p in response.json()["problems"]] == [
        ("payroll", "This is not a file the import "),
        ("staff.csv", "Give this file's rows as a lis"),
    ]


def test_a_row_outside_the_tokens_units_is_refused_on_that_row(world):
    token = writer(world, units=("team",))
    files = feed(world)
    files["staff.csv"].append(
        {
            "email": world.senior_manager.email,
            "full_name": "Senior Manager",
            "job_role": "head-of-service",
            "unit_code": world.units["service"].code,
            "start_date": world.senior_manager.profile.start_date.isoformat(),
        }
    )
    before = state()

    response = post_json(token, {"files": files})

    assert response.status_code == 422
    assert [(p["file"], p["row"], p["column"]) for p in response.json()["problems"]] == [
        ("staff.csv", 4, "unit_code")
    ]
    assert "outside the units this import may change" in response.json()["problems"][0]["message"]
    assert state() == before


def test_a_token_may_not_move_someone_into_its_units_from_elsewhere(world):
    token = writer(world, units=("team",))
    other = world.other_supervisee
    files = {
        "staff.csv": [
            {
                "email": other.email,
                "full_name": other.full_name,
                "job_role": "social-worker",
                "unit_code": world.units["team"].code,
                "start_date": other.profile.start_date.isoformat(),
            }
        ]
    }

    response = post_json(token, {"files": files})

    assert response.status_code == 422
    assert response.json()["problems"][0]["column"] == "email"
    assert StaffProfile.objects.get(user=other).unit != world.units["team"]


def test_the_call_and_the_import_are_audited_with_counts_never_content(world):
    token = writer(world)

    post_json(token, {"files": feed(world)})

    call = AuditEvent.objects.get(object_type="api_call")
    assert call.detail["rows"] == 3 and call.detail["status"] == 200
    assert call.action == "write" and call.actor_id is None
    imported = AuditEvent.objects.get(object_type="data_import")
    assert imported.actor_id is None
    assert imported.detail["service_account"] == call.detail["service_account"]
    assert imported.detail["token"] == call.detail["token"]
    assert imported.detail["created"] == {"staff.csv": 1, "relationships.csv": 1}
    for entry in (call, imported):
        assert "sam" not in str(entry.detail).lower()
        assert "Renamed" not in str(entry.detail)


def test_a_refused_import_is_audited_as_a_call_with_its_rows(world):
    files = feed(world)
    files["relationships.csv"][0]["starts_on"] = "soon"

    post_json(writer(world), {"files": files})

    call = AuditEvent.objects.get(object_type="api_call")
    assert call.detail["status"] == 422 and call.detail["rows"] == 3
    assert not AuditEvent.objects.filter(object_type="data_import").exists()


def test_a_dry_run_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    token = writer(world)
    small = feed(world)
    large = feed(world)
    for n in range(40):
        large["staff.csv"].append({**small["staff.csv"][0], "email": f"starter{n}@example.org"})

    with django_assert_num_queries(DRY_RUN_QUERIES):
        assert post_json(token, {"files": small, "dry_run": True}).status_code == 200
    with django_assert_num_queries(DRY_RUN_QUERIES):
        assert post_json(token, {"files": large, "dry_run": True}).status_code == 200


def test_a_body_over_60_mb_is_refused_before_it_is_read(world):
    token = writer(world)

    response = Client().post(
        IMPORTS,
        "{}",
        content_type="application/json",
        CONTENT_LENGTH=str(61 * 1024 * 1024),
        **bearer(token),
    )

    assert response.status_code == 413
    assert response.json()["detail"].startswith("The body is larger than 60 MB")
