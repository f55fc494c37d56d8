"""Subject access (UK GDPR art. 15): everything held about one member of staff, as a zip."""

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from oversight.models import SubjectAccessExport
from oversight.records_management.subject_access import (
    subject_access_export_build_task as subject_access_export_build,
)
from supervision.models import (
    Decision,
    RecordSection,
    RecordTemplate,
    Signature,
    SupervisionRecord,
    SupervisionSession,
)
from supervision.models.audit import AuditEvent
from supervision.records.canonical import load_record_for_content, record_hash
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

SUPERVISEE_TEXT = "Reflected on the Ahmed family home visit"
OTHER_TEXT = "Worried about the size of the Team B caseload"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        world = build_world()
        world.finalised = finalised_record(
            world.supervisee, world.supervisor, date(2026, 2, 5), SUPERVISEE_TEXT
        )
        world.other_record = finalised_record(
            world.other_supervisee, world.other_team_supervisor, date(2026, 2, 6), OTHER_TEXT
        )
        yield world


def finalised_record(supervisee, supervisor, day, text) -> SupervisionRecord:
    """A record as the services leave it: written, signed by both, finalised."""
    starts = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    session = SupervisionSession.objects.create(
        supervisee=supervisee,
        supervisor=supervisor,
        session_type="individual",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=SupervisionSession.Status.HELD,
        created_by=supervisor,
    )
    template = RecordTemplate.objects.get(session_type="individual", is_current=True, audience="")
    record = SupervisionRecord.objects.create(
        session=session,
        template=template,
        supervisee_name=supervisee.full_name,
        supervisor_name=supervisor.full_name,
    )
    for section in template.sections.all():
        RecordSection.objects.create(
            record=record, template_section=section, text=f"{text} ({section.key})"
        )
    Decision.objects.create(record=record, decision=f"Decision: {text}", reasons="Because")
    record.content_hash = record_hash(load_record_for_content(record.pk))
    record.save()
    for signer, role in [(supervisee, "supervisee"), (supervisor, "supervisor")]:
        Signature.objects.create(
            record=record,
            signer=signer,
            role=role,
            signed_at=starts + timedelta(days=1),
            content_hash=record.content_hash,
        )
    record.status = SupervisionRecord.Status.FINALISED
    record.finalised_at = starts + timedelta(days=1)
    record.save()
    return record


def export_now(person, by) -> SubjectAccessExport:
    with time_machine.travel(TODAY, tick=False):
        export = SubjectAccessExport.objects.create(
            person=person, requested_by=by, requested_at=datetime(2026, 3, 5, 9, tzinfo=UTC)
        )
        result = subject_access_export_build.apply(args=[export.pk])
    assert result.successful(), result.traceback
    export.refresh_from_db()
    return export


def unzip(export) -> tuple[dict, dict[str, bytes]]:
    with export.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(entries["manifest.json"]), entries


def test_the_zip_holds_every_record_of_the_person_and_none_of_anyone_elses(world):
    export = export_now(world.supervisee, world.supervisee)

    assert export.status == SubjectAccessExport.Status.DONE
    assert export.progress == 100
    assert export.finished_at is not None
    manifest, entries = unzip(export)
    theirs = set(
        SupervisionRecord.objects.filter(session__supervisee=world.supervisee).values_list(
            "pk", flat=True
        )
    )
    assert theirs == {world.record.pk, world.finalised.pk}, "the draft and the finalised one"
    assert {r["id"] for r in manifest["records"]} == theirs
    pdfs = {name for name in entries if name.endswith(".pdf")}
    assert pdfs == {r["pdf"] for r in manifest["records"]}
    assert len(pdfs) == 2
    assert all(entries[name].startswith(b"%PDF-") for name in pdfs)
    assert any(f"record-{world.finalised.pk}-finalised" in name for name in pdfs)
    assert any(f"record-{world.record.pk}-draft" in name for name in pdfs)
    assert not any(f"record-{world.other_record.pk}-" in name for name in pdfs)

    text = entries["manifest.json"].decode()
    assert SUPERVISEE_TEXT in text, "their own words, personal sections included"
    assert OTHER_TEXT not in text
    assert world.other_supervisee.full_name not in text
    finalised = next(r for r in manifest["records"] if r["id"] == world.finalised.pk)
    assert {s["role"] for s in finalised["signatures"]} == {"Supervisee", "Supervisor"}
    assert any(s["personal"] for s in finalised["sections"])
    draft = next(r for r in manifest["records"] if r["id"] == world.record.pk)
    assert draft["actions"][0]["description"] == "Read the neglect guidance"
    assert draft["disagreements"][0]["subject"] == "Caseload"
    assert manifest["profile"]["job_role"] == world.supervisee.profile.job_role.name
    assert manifest["supervised_by"][0]["supervisor"] == world.supervisor.full_name
    assert manifest["access_granted_to_others_over_this_file"][0]["grantee"] == (
        world.auditor_with_grant.full_name
    )
    assert {s["id"] for s in manifest["sessions"]} == {
        world.session.pk,
        world.finalised.session_id,
    }


def test_a_supervisors_export_says_whom_they_supervised_but_not_what_was_written(world):
    manifest, entries = unzip(export_now(world.supervisor, world.admin))

    text = entries["manifest.json"].decode()
    assert [name for name in entries if name.endswith(".pdf")] == []
    assert manifest["records"] == []
    assert [s["supervisee"] for s in manifest["supervised"]] == [world.supervisee.full_name]
    held = manifest["sessions_held_as_supervisor"]
    assert {s["starts_at"][:10] for s in held} == {"2026-02-05", "2026-03-04"}
    assert SUPERVISEE_TEXT not in text
    assert "Read the neglect guidance" not in text
    assert "Caseload" not in text
    assert manifest["supervised_by"][0]["supervisor"] == world.senior_manager.full_name


def test_the_audit_entries_about_and_by_the_person_are_in_the_manifest(world, client):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(world.supervisor)
        client.get(reverse("staff-file", kwargs={"person_id": world.supervisee.pk}))
    manifest, _ = unzip(export_now(world.supervisee, world.supervisee))

    read = [e for e in manifest["audit_entries"] if e["about_them"] and e["action"] == "Read"]
    assert read and read[-1]["actor"] == world.supervisor.full_name
    unrelated = AuditEvent.objects.exclude(subject=world.supervisee).exclude(actor=world.supervisee)
    sequences = {e["sequence"] for e in manifest["audit_entries"]}
    assert unrelated.exists()
    assert not sequences & set(unrelated.values_list("sequence", flat=True))


def test_progress_is_saved_as_it_goes_and_reaches_100(world, client):
    export = export_now(world.supervisee, world.supervisee)
    with time_machine.travel(TODAY, tick=False):
        client.force_login(world.supervisee)
        response = client.get(
            reverse(
                "subject-access-progress",
                kwargs={"person_id": world.supervisee.pk, "export_id": export.pk},
            )
        )
    assert response.status_code == 200
    assert response.json()["progress"] == 100
    assert response.json()["status"] == "done"
    assert response.json()["download_url"].endswith(f"/subject-access/{export.pk}/download/")


def test_a_failed_export_says_so_keeps_no_file_and_can_be_tried_again(
    client, world, settings, tmp_path
):
    # A folder that cannot be written stands for any failure while building.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.MEDIA_ROOT = blocked
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "supervision.models.files.WholeFileSystemStorage"},
    }
    settings.BACKGROUND_WORK_ATTEMPTS = 1
    export = export_now(world.supervisee, world.supervisee)
    assert export.status == SubjectAccessExport.Status.FAILED
    assert (
        export.error
        == "The export could not be made. Try again, or tell your system administrator."
    )
    assert SUPERVISEE_TEXT not in export.error
    assert not export.file
    assert export.finished_at is not None
    assert list(tmp_path.iterdir()) == [blocked], "no partial file anywhere"

    client.force_login(world.supervisee)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(url(world)).content.decode()
        assert '>Try again<span class="govuk-visually-hidden"> the export asked for' in page
        response = client.post(url(world, "subject-access-try-again", export_id=export.pk))
    assert response.url == url(world)
    export.refresh_from_db()
    assert (export.status, export.attempts, export.error) == ("queued", 0, "")

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "supervision.models.files.DatabaseStorage"},
    }
    with time_machine.travel(TODAY, tick=False):
        subject_access_export_build.apply(args=[export.pk])
    export.refresh_from_db()
    assert export.status == "done" and export.file


def url(world, name="subject-access", person=None, **extra):
    person = person or world.supervisee
    return reverse(name, kwargs={"person_id": person.pk, **extra})


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("supervisee", 200),
        # Administrators run the system and never read it: told so (403), and audited.
        # Information governance:
        # tests/access/test_subject_access.py.
        ("admin", 403),
        # Inside reach (they may read the file) but not the person: 403, as every write the
        # access layer refuses to a reader. Outside reach: 404, revealing nothing.
        ("supervisor", 403),
        ("senior_manager", 403),
        ("auditor_with_grant", 403),
        ("other_supervisee", 404),
        ("other_team_supervisor", 404),
        ("other_senior_manager", 404),
        ("auditor_without_grant", 404),
    ],
)
def test_only_the_person_reaches_the_page_never_an_administrator(world, client, role, expected):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(world.people[role])
        got = client.get(url(world)).status_code
        posted = client.post(url(world)).status_code
    assert got == expected
    assert posted == (302 if expected == 200 else expected)
    exports = SubjectAccessExport.objects.filter(person=world.supervisee)
    assert exports.count() == (1 if expected == 200 else 0)
    if expected != 200:
        denial = AuditEvent.objects.filter(action="denied", object_type="subject_access_export")
        assert denial.first().detail["answer"] == expected


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(url(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sign-in"))


def test_an_unknown_person_is_404(world, client):
    client.force_login(world.admin)
    assert client.get(reverse("subject-access", kwargs={"person_id": "99999"})).status_code == 404
    assert client.get(reverse("subject-access", kwargs={"person_id": "abc"})).status_code == 404


def test_asking_for_an_export_is_audited_as_an_export_and_queues_the_task(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.supervisee)
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks() as queued:
        response = client.post(url(world))
    assert response.status_code == 302
    export = SubjectAccessExport.objects.get(person=world.supervisee)
    assert export.requested_by == world.supervisee
    assert export.status == SubjectAccessExport.Status.QUEUED
    assert len(queued) == 1, "the build is queued once the request commits"
    entry = AuditEvent.objects.filter(action="export").first()
    assert entry.actor == world.supervisee
    assert entry.subject == world.supervisee
    assert entry.detail == {"event": "requested", "by_the_person": True}


def test_the_page_shows_exports_with_progress_and_a_refresh_link(world, client):
    export = export_now(world.supervisee, world.supervisee)
    client.force_login(world.supervisee)
    with time_machine.travel(TODAY, tick=False):
        html = client.get(url(world)).content.decode()
    assert 'type="module" src="/static/js/subject-access.mjs"' in html
    assert "<script>" not in html, "the CSP forbids inline script"
    assert ">Refresh</a>" in html
    assert 'value="100"' in html
    assert url(world, "subject-access-download", export_id=export.pk) in html


def test_downloading_the_zip_is_audited(world, client):
    export = export_now(world.supervisee, world.supervisee)
    client.force_login(world.supervisee)
    with time_machine.travel(TODAY, tick=False):
        response = client.get(url(world, "subject-access-download", export_id=export.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    data = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")
    entry = AuditEvent.objects.filter(action="download").first()
    assert (entry.actor, entry.subject, entry.object_id) == (
        world.supervisee,
        world.supervisee,
        str(export.pk),
    )


def test_someone_elses_export_cannot_be_reached_through_your_own_page(world, client):
    theirs = export_now(world.other_supervisee, world.other_supervisee)
    client.force_login(world.supervisee)
    response = client.get(url(world, "subject-access-download", export_id=theirs.pk))
    assert response.status_code == 404
    response = client.get(url(world, "subject-access-progress", export_id=theirs.pk))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="download").exists()
