import json
from pathlib import Path

from django.db import migrations

PACKS_DIR = Path(__file__).resolve().parent.parent / "policy" / "packs"
# Issue 20's settings. Optional to the pack loader (a pack without one has no such rule), so
# the versions stored before them load as they are; this gives each stored version of a
# shipped pack its shipped values and notes, so an organisation that upgrades runs the rules
# its council wrote as a new one does.
SETTINGS = (
    "support_time",
    "planned_ahead_months",
    "wellbeing_plan",
    "group_formats",
    "case_note_retention",
    "session_max_minutes",
)


def add_standards_to_stored_packs(apps, schema_editor):
    PolicyPackVersion = apps.get_model("oversight", "PolicyPackVersion")
    shipped = {}
    for path in sorted(PACKS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        shipped[data["code"]] = data
    for row in PolicyPackVersion.objects.all():
        pack = shipped.get(row.code)
        if pack is None:
            continue
        missing = [key for key in SETTINGS if key in pack and key not in row.data]
        if not missing:
            continue
        notes = dict(row.data.get("notes", {}))
        for key in missing:
            if key in pack["notes"]:
                notes[key] = pack["notes"][key]
        row.data = {**row.data, **{key: pack[key] for key in missing}, "notes": notes}
        row.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0021_reminders"),
    ]

    operations = [
        migrations.RunPython(add_standards_to_stored_packs, migrations.RunPython.noop),
    ]
