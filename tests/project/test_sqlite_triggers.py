"""SQLite rebuilds a table to alter it (a copy, a drop, a rename) and the triggers on the old
table go with it: twice a later migration silently removed a guard this way (on the sessions
and on the children). After `migrate`, every guard the migrations create must still be there.
A new trigger is added to EXPECTED; one that goes missing fails here, naming it."""

import importlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
TRIGGERS = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"

EXPECTED = {
    "agreements_supervisionagreement": {
        "agreements_signed_delete",
        "agreements_signed_update",
    },
    "casework_casenote": {
        "casework_note_final_delete",
        "casework_note_final_update",
    },
    "casework_casenoteaction": {
        "casework_action_of_final_note_delete",
        "casework_action_of_final_note_insert",
        "casework_action_of_final_note_update",
    },
    "casework_casenoteattachment": {
        "casework_casenoteattachment_final_delete",
        "casework_casenoteattachment_final_insert",
        "casework_casenoteattachment_final_update",
    },
    "casework_child": {
        "casework_child_keep_looked_after",
        "casework_child_lowers_earliest_check_insert",
        "casework_child_lowers_earliest_check_update",
    },
    "oversight_auditchainhead": {
        "oversight_auditchainhead_no_delete",
        "oversight_auditchainhead_no_rewind",
    },
    "oversight_auditevent": {
        "oversight_auditevent_moves_head",
        "oversight_auditevent_no_delete",
        "oversight_auditevent_no_update",
    },
    "supervision_action": {
        "supervision_action_recorded_delete",
        "supervision_action_recorded_update",
    },
    "supervision_actionreview": {
        "supervision_actionreview_finalised_delete",
        "supervision_actionreview_finalised_insert",
        "supervision_actionreview_finalised_update",
    },
    "supervision_amendmentrequest": {
        "supervision_amendmentrequest_finalised_delete",
        "supervision_amendmentrequest_finalised_insert",
        "supervision_amendmentrequest_finalised_update",
    },
    "supervision_conversationsignature": {
        "supervision_conversationsignature_written_delete",
        "supervision_conversationsignature_written_update",
    },
    "supervision_decision": {
        "supervision_decision_finalised_delete",
        "supervision_decision_finalised_insert",
        "supervision_decision_finalised_update",
    },
    "supervision_developmentconversation": {
        "supervision_developmentconversation_signed_delete",
        "supervision_developmentconversation_signed_update",
    },
    "supervision_disagreement": {
        "supervision_disagreement_finalised_delete",
        "supervision_disagreement_finalised_insert",
        "supervision_disagreement_finalised_update",
    },
    "supervision_observationsignature": {
        "supervision_observationsignature_written_delete",
        "supervision_observationsignature_written_update",
    },
    "supervision_practiceobservation": {
        "supervision_practiceobservation_signed_delete",
        "supervision_practiceobservation_signed_update",
    },
    "supervision_recordattachment": {
        "supervision_recordattachment_finalised_delete",
        "supervision_recordattachment_finalised_insert",
        "supervision_recordattachment_finalised_update",
    },
    "supervision_recordsection": {
        "supervision_recordsection_finalised_delete",
        "supervision_recordsection_finalised_insert",
        "supervision_recordsection_finalised_update",
    },
    "supervision_staffprofile": {
        "supervision_staffprofile_lowers_earliest_check_insert",
        "supervision_staffprofile_lowers_earliest_check_update",
    },
    "supervision_supervisionrecord": {
        "finalised_record_fact_gone",
        "finalised_record_fact_insert",
        "finalised_record_fact_update",
        "supervision_record_finalised_delete",
        "supervision_record_finalised_update",
    },
    "supervision_supervisionsession": {
        "supervision_session_finalised_delete",
        "supervision_session_finalised_update",
    },
    "supervision_teamwellbeingplan": {
        "supervision_teamwellbeingplan_written_delete",
        "supervision_teamwellbeingplan_written_update",
    },
    "supervision_wellbeingplan": {
        "supervision_wellbeingplan_written_delete",
        "supervision_wellbeingplan_written_update",
    },
}


def _with_home_notes(expected: dict[str, set[str]]) -> dict[str, set[str]]:
    """And the triggers noting the people a written row is about (oversight migration 0027),
    three on each table a home page shows."""
    home_changes = importlib.import_module("oversight.migrations.0027_home_changes")
    for table in home_changes.PATHS:
        expected.setdefault(table, set()).update(home_changes.trigger_names(table))
    return expected


EXPECTED = _with_home_notes(EXPECTED)


def sqlite_triggers(tmp_path) -> dict[str, set[str]]:
    """The triggers on each table of a SQLite database made by `migrate`: the test database
    when the suite runs on SQLite, else one migrated afresh for this test (CI runs on
    PostgreSQL, and the check must not be skipped there)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(TRIGGERS)
            rows = cursor.fetchall()
    else:
        path = tmp_path / "migrated.sqlite3"
        env = {k: v for k, v in os.environ.items() if k != "MIGRATE_DATABASE_URL"}
        env["DATABASE_URL"] = f"sqlite:///{path}"
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
        )
        with closing(sqlite3.connect(path)) as database:
            rows = database.execute(TRIGGERS).fetchall()
    found: dict[str, set[str]] = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name)
    return found


@pytest.mark.django_db
def test_every_guard_trigger_survives_the_migrations_on_sqlite(tmp_path):
    found = sqlite_triggers(tmp_path)
    missing = {
        table: sorted(names - found.get(table, set()))
        for table, names in EXPECTED.items()
        if names - found.get(table, set())
    }
    unlisted = {
        table: sorted(names - EXPECTED.get(table, set()))
        for table, names in found.items()
        if names - EXPECTED.get(table, set())
    }
    assert not missing, f"triggers dropped by a later migration: {missing}"
    assert not unlisted, f"new triggers: add them to EXPECTED: {unlisted}"
