"""oversight 0021 gives every stored pack version the new reminder setting, from its shipped
pack, without touching anything else in it or a version that has it already."""

import importlib

import pytest
from django.apps import apps

from oversight.models import PolicyPackVersion
from oversight.policy.choice import pack_versions
from oversight.policy.packs import shipped_packs

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("oversight.migrations.0021_reminders")


def without_reminders(row):
    data = dict(row.data)
    data.pop("reminder_working_days")
    data["notes"] = {k: v for k, v in data["notes"].items() if k != "reminder_working_days"}
    row.data = data
    row.save()
    return data


def test_a_stored_version_without_the_setting_gets_its_shipped_packs():
    kent = PolicyPackVersion.objects.get(code="kent", version=1)
    before = without_reminders(kent)
    surrey = PolicyPackVersion.objects.get(code="surrey", version=1)
    surrey.data = {
        **surrey.data,
        "reminder_working_days": {"session": 5, "record": 0, "signoff": 2},
    }
    surrey.save()

    MIGRATION.add_reminders_to_stored_packs(apps, None)
    MIGRATION.add_reminders_to_stored_packs(apps, None)  # run twice: nothing changes

    kent.refresh_from_db()
    shipped = shipped_packs()["kent"]
    assert kent.data["reminder_working_days"] == dict(shipped.reminder_working_days)
    assert kent.data["notes"]["reminder_working_days"] == shipped.notes["reminder_working_days"]
    assert {k: v for k, v in kent.data.items() if k not in ("reminder_working_days", "notes")} == {
        k: v for k, v in before.items() if k != "notes"
    }
    surrey.refresh_from_db()
    assert surrey.data["reminder_working_days"] == {"session": 5, "record": 0, "signoff": 2}
    assert pack_versions("kent")[0].reminder_working_days["session"] == 3


def test_the_job_is_scheduled_every_morning_before_the_digests():
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    job = PeriodicTask.objects.get(task="oversight.tasks.reminders_write")
    digests = PeriodicTask.objects.get(task="oversight.tasks.digests_write")
    assert (job.crontab.hour, job.crontab.minute, str(job.crontab.timezone)) == (
        "6",
        "30",
        "Europe/London",
    )
    assert str(digests.crontab.timezone) == "Europe/London"
    assert int(job.crontab.hour) < int(digests.crontab.hour)
    assert job.enabled and job.expire_seconds
