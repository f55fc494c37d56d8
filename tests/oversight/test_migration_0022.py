"""oversight 0022 gives each stored version of a shipped pack issue 20's settings, from the
shipped pack, so an organisation that upgrades judges F6, S3, Q5 and C6 as a new one does;
what a version already says is kept."""

import importlib

import pytest
from django.apps import apps

from oversight.models import PolicyPackVersion
from oversight.policy.choice import pack_versions
from oversight.policy.packs import shipped_packs

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("oversight.migrations.0022_standards_in_stored_packs")


def stored_before_issue_20(row):
    data = {k: v for k, v in row.data.items() if k not in MIGRATION.SETTINGS}
    data["notes"] = {k: v for k, v in data["notes"].items() if k not in MIGRATION.SETTINGS}
    row.data = data
    row.save()
    return data


def test_a_version_stored_before_the_settings_gets_its_shipped_packs_and_keeps_the_rest():
    kent = PolicyPackVersion.objects.get(code="kent", version=1)
    before = stored_before_issue_20(kent)
    assert pack_versions("kent")[0].support_time is None  # loads, with the rules off
    surrey = PolicyPackVersion.objects.get(code="surrey", version=1)
    stored_before_issue_20(surrey)
    surrey.data = {**surrey.data, "planned_ahead_months": 3}  # an administrator's own value
    surrey.save()

    MIGRATION.add_standards_to_stored_packs(apps, None)
    MIGRATION.add_standards_to_stored_packs(apps, None)  # run twice: nothing changes

    shipped = shipped_packs()["kent"]
    (kent_now,) = pack_versions("kent")
    assert kent_now.support_time == shipped.support_time
    assert kent_now.wellbeing_plan == shipped.wellbeing_plan
    assert dict(kent_now.group_formats) == dict(shipped.group_formats)
    assert kent_now.notes["support_time"] == shipped.notes["support_time"]
    kent.refresh_from_db()
    assert {k: v for k, v in kent.data.items() if k not in (*MIGRATION.SETTINGS, "notes")} == {
        k: v for k, v in before.items() if k != "notes"
    }
    (surrey_now,) = pack_versions("surrey")
    assert surrey_now.planned_ahead_months == 3
    assert surrey_now.support_time is None  # not a rule of Surrey's pack
    assert surrey_now.case_note_retention == shipped_packs()["surrey"].case_note_retention
