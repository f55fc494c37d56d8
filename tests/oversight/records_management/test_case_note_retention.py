"""Children's case notes kept until the policy pack's date, then listed each night and destroyed
when an administrator confirms by typing the child's reference (issue 20, docs/rules.md)."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from casework import services as casework_services
from casework.models import (
    CaseNote,
    CaseNoteAction,
    CaseNoteAttachment,
    Child,
    FrontDoorDiscussion,
    RiskRating,
)
from oversight.models import (
    CaseNoteHold,
    CaseNotesDue,
    DestroyedCaseNotes,
    OrganisationPolicy,
    PolicyPackVersion,
)
from oversight.records_management import case_note_retention
from oversight.records_management.case_note_retention import (
    case_note_hold_lift,
    case_note_hold_place,
    case_notes_destroy,
    list_case_notes_due,
)
from oversight.tasks import list_case_notes_due_for_destruction
from supervision.models.audit import AuditEvent
from supervision.organisation.audit_verification import verify_audit_trail
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

# Born on 5 March 2001: 25 on TODAY (5 March 2026) under every shipped pack.
BORN = date(2001, 3, 5)
SECRET = "You told us about the night the police came."


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        yield build_world()


def grown_up(world, reference, *, born=BORN, plan="child_in_need", closed=True) -> Child:
    """A child allocated in 2017, with a final note (an action, an attachment) and a draft
    note, and the case closed in 2019."""
    with time_machine.travel(datetime(2017, 1, 9, 10, tzinfo=UTC), tick=False):
        child = casework_services.child_create(
            reference=reference,
            initials="XY",
            service="social_work",
            plan=plan,
            unit=world.units["team"],
            worker=world.supervisee,
            allocated_at=datetime(2017, 1, 9, 9, tzinfo=UTC),
            date_of_birth=born,
            rag_rating="amber",
            by=world.supervisor,
        )
        final = casework_services.case_note_create(
            child=child,
            kind="case_supervision",
            by=world.supervisor,
            discussed_at=datetime(2017, 1, 9, 9, 45, tzinfo=UTC),
            current_situation=SECRET,
        )
        CaseNoteAction.objects.create(
            note=final, description="Visit weekly", owner=world.supervisee, due_on=date(2017, 2, 1)
        )
        attachment = CaseNoteAttachment(
            note=final,
            name="form.pdf",
            size=4,
            sha256="0" * 64,
            content_type="application/pdf",
            uploaded_by=world.supervisor,
            uploaded_at=datetime(2017, 1, 9, 10, tzinfo=UTC),
            scanned_by="ClamAV test",
        )
        attachment.file.save("form.pdf", ContentFile(b"%PDF"), save=False)
        attachment.save()
        CaseNote.objects.filter(pk=final.pk).update(status="final")
        casework_services.case_note_create(
            child=child,
            kind="ad_hoc",
            by=world.supervisor,
            discussed_at=datetime(2017, 1, 9, 9, 50, tzinfo=UTC),
            decision="Keep going",
        )
    RiskRating.objects.filter(child=child).update(reason=SECRET)
    if closed:
        Child.objects.filter(pk=child.pk).update(
            closed_on=date(2019, 6, 3), closure_rationale=SECRET
        )
    child.refresh_from_db()
    child.attachment = attachment
    return child


def listing_on(day):
    with time_machine.travel(day, tick=False):
        return list_case_notes_due()


def listed(child):
    return CaseNotesDue.objects.filter(child=child, withdrawn_at__isnull=True).first()


def destroy(world, child, typed=None, **kwargs):
    with time_machine.travel(kwargs.pop("on", TODAY), tick=False):
        return case_notes_destroy(
            listing=listed(child),
            typed_reference=child.reference if typed is None else typed,
            by=world.admin,
        )


def pack_without_the_rule(old_setting="case_note_retention"):
    code = OrganisationPolicy.objects.get().pack_code
    for row in PolicyPackVersion.objects.filter(code=code):
        data = dict(row.data)
        data.pop("case_note_retention", None)
        # A pack's notes explain its settings, so one without the setting has no note on it.
        data["notes"] = {k: v for k, v in data.get("notes", {}).items() if k != old_setting}
        PolicyPackVersion.objects.filter(pk=row.pk).update(data=data)


# --- The listing ----------------------------------------------------------------------------


def test_notes_are_listed_on_the_25th_birthday_not_the_day_before(world):
    child = grown_up(world, "NS900001")

    assert listing_on(date(2026, 3, 4))["newly_listed"] == 0
    assert listed(child) is None

    assert listing_on(TODAY)["newly_listed"] == 1
    listing = listed(child)
    assert (listing.due_on, listing.date_of_birth, listing.been_looked_after) == (
        TODAY,
        BORN,
        False,
    )
    assert AuditEvent.objects.filter(
        object_type="case_note_destruction_listing", detail__newly_listed=1
    ).exists()


def test_the_daily_job_lists_a_child_once_however_often_it_runs(world):
    child = grown_up(world, "NS900002")
    for _ in range(3):
        with time_machine.travel(TODAY, tick=False):
            result = list_case_notes_due_for_destruction.apply()
        assert result.successful(), result.traceback
    assert CaseNotesDue.objects.filter(child=child).count() == 1


def test_the_daily_job_runs_at_a_quarter_to_three_london_time_and_expires_by_the_next():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="oversight.tasks.list_case_notes_due_for_destruction")
    assert task.enabled and task.expire_seconds == 12 * 60 * 60
    assert (task.crontab.minute, task.crontab.hour) == ("45", "2")
    assert str(task.crontab.timezone) == "Europe/London"


def test_a_child_who_has_been_looked_after_is_kept_75_years(world):
    child = grown_up(world, "NS900003", born=date(1951, 3, 5), plan="child_looked_after")
    young = grown_up(world, "NS900004", plan="child_looked_after")
    # Home again, the 75 years still apply.
    Child.objects.filter(pk=young.pk).update(plan="child_in_need")

    assert listing_on(date(2026, 3, 4))["newly_listed"] == 0
    assert listing_on(TODAY)["newly_listed"] == 1
    assert listed(child).due_on == date(2026, 3, 5) and listed(child).been_looked_after
    assert listed(young) is None, "25 today, but looked after: kept until 2076"


@pytest.mark.parametrize(
    ("day", "due"),
    [(date(2025, 2, 27), False), (date(2025, 2, 28), True)],
)
def test_a_child_born_on_29_february_is_due_on_28_february_in_a_common_year(world, day, due):
    child = grown_up(world, "NS900005", born=date(2000, 2, 29))
    listing_on(day)
    assert (listed(child) is not None) is due
    if due:
        assert listed(child).due_on == date(2025, 2, 28)


def test_never_listed_without_a_date_of_birth_an_open_case_or_a_rule(world):
    no_birthday = grown_up(world, "NS900006", born=None)
    still_open = grown_up(world, "NS900007", closed=False)
    assert listing_on(TODAY)["newly_listed"] == 0

    ruled = grown_up(world, "NS900008")
    pack_without_the_rule()
    assert listing_on(TODAY)["newly_listed"] == 0
    assert not CaseNotesDue.objects.filter(child__in=[no_birthday, still_open, ruled]).exists()


def test_listings_no_longer_due_are_withdrawn_with_the_reason(world):
    corrected = grown_up(world, "NS900009")
    cared_for = grown_up(world, "NS900010", born=date(2001, 3, 1))
    unruled = grown_up(world, "NS900011", born=date(2001, 2, 1))
    assert listing_on(TODAY)["newly_listed"] == 3

    Child.objects.filter(pk=corrected.pk).update(date_of_birth=date(2002, 3, 5))
    Child.objects.filter(pk=cared_for.pk).update(has_been_looked_after=True)
    assert listing_on(TODAY)["withdrawn"] == 2
    reasons = dict(
        CaseNotesDue.objects.filter(withdrawn_at__isnull=False).values_list(
            "child__reference", "withdrawn_reason"
        )
    )
    assert reasons == {
        "NS900009": "The child's date of birth has changed since the notes were listed.",
        "NS900010": "The child is now recorded as having been looked after: a longer period "
        "applies.",
    }
    assert listed(corrected) is None and listed(cared_for) is None

    pack_without_the_rule()
    assert listing_on(TODAY)["withdrawn"] == 1
    assert (
        CaseNotesDue.objects.get(child=unruled).withdrawn_reason
        == "The policy pack no longer sets how long case notes are kept."
    )


# --- Legal holds ----------------------------------------------------------------------------


def test_a_legal_hold_keeps_notes_off_the_list_and_stops_destruction_until_lifted(world):
    child = grown_up(world, "NS900012")
    listing_on(TODAY)
    with time_machine.travel(TODAY, tick=False):
        hold = case_note_hold_place(child=child, reason="Civil claim", by=world.admin)
    with pytest.raises(ValidationError) as refused:
        destroy(world, child)
    assert refused.value.message_dict["__all__"] == [
        "NS900012's case notes are on legal hold: lift the hold first"
    ]
    assert CaseNote.objects.filter(child=child).count() == 2

    # A later listing (the first withdrawn, say) skips a child on hold.
    CaseNotesDue.objects.filter(child=child).update(withdrawn_at=datetime(2026, 3, 5, tzinfo=UTC))
    assert listing_on(TODAY) == {"newly_listed": 0, "withdrawn": 0, "skipped_on_legal_hold": 1}

    with pytest.raises(ValidationError) as twice:
        case_note_hold_place(child=child, reason="Another", by=world.admin)
    assert "reference" in twice.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        case_note_hold_lift(hold=hold, reason=" ", by=world.admin)
    assert no_reason.value.message_dict == {
        "lift_reason": ["Enter why the hold is no longer needed"]
    }
    case_note_hold_lift(hold=hold, reason="Claim settled", by=world.admin)
    assert listing_on(TODAY)["newly_listed"] == 1
    events = AuditEvent.objects.filter(object_type="case_note_hold").order_by("sequence")
    assert [e.detail["event"] for e in events] == ["placed", "lifted"]
    assert events[0].actor == world.admin and events[0].detail["child"] == "NS900012"


# --- Destruction ----------------------------------------------------------------------------


def test_destruction_deletes_the_notes_keeps_the_child_a_tombstone_and_the_audit(
    world, django_capture_on_commit_callbacks
):
    child = grown_up(world, "NS900013")
    other = grown_up(world, "NS900014", born=date(2010, 1, 1))
    listing_on(TODAY)
    stored = child.attachment.file
    door = FrontDoorDiscussion.objects.create(
        session=world.front_door, child=child, criterion="advice", discussion=SECRET
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tombstone = destroy(world, child, typed=" ns900013 ")
    assert stored.storage.exists(stored.name), "the file stays until the deletion commits"
    for callback in callbacks:
        callback()
    assert not stored.storage.exists(stored.name)

    assert not CaseNote.objects.filter(child=child).exists()
    assert not CaseNoteAction.objects.filter(note__child=child).exists()
    assert not CaseNoteAttachment.objects.filter(note__child=child).exists()
    assert CaseNote.objects.filter(child=other).count() == 2, "nobody else's notes"
    kept = Child.objects.get(pk=child.pk)
    assert (kept.reference, kept.closure_rationale) == ("NS900013", "")
    assert not RiskRating.objects.filter(child=child).exclude(reason="").exists()
    assert RiskRating.objects.filter(child=child).exists(), "the ratings' facts stay"
    door.refresh_from_db()
    assert (door.discussion, door.criterion) == ("", "advice")

    assert (tombstone.child, tombstone.child_reference, tombstone.destroyed_by) == (
        child,
        "NS900013",
        world.admin,
    )
    assert tombstone.counts["case_notes"] == 2
    assert tombstone.counts["case_note_actions"] == 1
    assert tombstone.counts["case_note_attachments"] == 1
    assert tombstone.counts["front_door_discussions_cleared"] == 1
    assert tombstone.files_removed == 1
    listing = CaseNotesDue.objects.get(child=child)
    assert (listing.confirmed_by, listing.destroyed_at) == (world.admin, tombstone.destroyed_at)
    entry = AuditEvent.objects.get(object_type="case_note_destruction")
    assert entry.actor == world.admin and entry.detail["counts"] == tombstone.counts
    assert SECRET not in str(entry.detail)
    assert verify_audit_trail().ok
    with pytest.raises(PermissionError):
        tombstone.delete()

    # The next night finds nothing more to list for the child.
    assert listing_on(TODAY)["newly_listed"] == 0


def test_destruction_refuses_by_name_what_it_must_not_do(world):
    child = grown_up(world, "NS900015")
    listing_on(TODAY)
    for typed in ["", "NS900016", "XY"]:
        with pytest.raises(ValidationError) as wrong:
            destroy(world, child, typed=typed)
        assert wrong.value.message_dict == {
            "confirm_reference": ["Type NS900015 exactly to confirm the destruction"]
        }

    with time_machine.travel(TODAY, tick=False):
        Child.objects.filter(pk=child.pk).update(date_of_birth=date(2001, 3, 6))
    with pytest.raises(ValidationError) as not_due:
        destroy(world, child)
    assert not_due.value.message_dict["__all__"] == [
        "These case notes are not due for destruction. The child's date of birth has changed "
        "since the notes were listed."
    ]
    Child.objects.filter(pk=child.pk).update(date_of_birth=BORN)

    listing = listed(child)
    destroy(world, child)
    with pytest.raises(ValidationError) as again:
        case_notes_destroy(listing=listing, typed_reference="NS900015", by=world.admin)
    assert again.value.message_dict["__all__"] == [
        "NS900015's case notes have already been destroyed"
    ]
    assert DestroyedCaseNotes.objects.count() == 1


def test_nothing_is_half_destroyed_when_a_step_fails(world, monkeypatch):
    child = grown_up(world, "NS900017")
    listing_on(TODAY)
    stored = child.attachment.file

    def broken(*args, **kwargs):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(case_note_retention.DestroyedCaseNotes.objects, "create", broken)
    with pytest.raises(DatabaseError):
        destroy(world, child)

    assert CaseNote.objects.filter(child=child).count() == 2
    assert CaseNoteAction.objects.filter(note__child=child).count() == 1
    assert CaseNoteAttachment.objects.filter(note__child=child).count() == 1
    assert stored.storage.exists(stored.name)
    assert RiskRating.objects.filter(child=child, reason=SECRET).exists()
    assert listed(child).is_pending
    assert not AuditEvent.objects.filter(object_type="case_note_destruction").exists()


def test_outside_destruction_the_database_still_refuses_to_delete_a_final_note(
    world, postgres_only
):
    child = grown_up(world, "NS900018")
    survivor = grown_up(world, "NS900019", born=date(2010, 1, 1))
    listing_on(TODAY)
    destroy(world, child)
    assert not CaseNote.objects.filter(child=child).exists()
    final = CaseNote.objects.get(child=survivor, status="final")
    with (
        pytest.raises(DatabaseError, match="final"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM casework_casenote WHERE id = %s", [final.pk])
    assert CaseNote.objects.filter(pk=final.pk).exists()


# --- The pages ------------------------------------------------------------------------------


def test_an_administrator_lists_holds_and_destroys_through_the_pages(world, client):
    child = grown_up(world, "NS900020")
    grown_up(world, "NS900021")
    listing_on(TODAY)
    client.force_login(world.admin)

    page = client.get(reverse("case-notes-due"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "NS900020" in body and "5 March 2026" in body
    assert SECRET not in body, "administrators see how many, never what"

    refused = client.post(
        reverse("case-notes-destroy", kwargs={"listing_id": listed(child).pk}),
        {"confirm_reference": "NS900021"},
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "confirm_reference": ["Type NS900020 exactly to confirm the destruction"]
    }
    assert 'href="#id_confirm_reference"' in refused.content.decode()

    holds = client.post(reverse("case-note-holds"), {"reference": "NS999999", "reason": "x"})
    assert holds.context["form"].errors == {"reference": ["No child has the reference NS999999"]}
    placed = client.post(reverse("case-note-holds"), {"reference": "ns900021", "reason": "Claim"})
    assert placed.status_code == 302
    assert CaseNoteHold.objects.get(lifted_at__isnull=True).child.reference == "NS900021"
    assert "Legal hold" in client.get(reverse("case-notes-due")).content.decode()

    with time_machine.travel(TODAY, tick=False):
        done = client.post(
            reverse("case-notes-destroy", kwargs={"listing_id": listed(child).pk}),
            {"confirm_reference": "NS900020"},
        )
    assert done.status_code == 302
    assert not CaseNote.objects.filter(child=child).exists()
    after = client.get(done.url).content.decode()
    assert "NS900020&#x27;s case notes have been destroyed" in after
    assert "NS900020 (due 5 March 2026): 2 case notes destroyed" in after


def test_only_administrators_reach_the_case_note_retention_pages(world, client):
    child = grown_up(world, "NS900022")
    listing_on(TODAY)
    with time_machine.travel(TODAY, tick=False):
        hold = case_note_hold_place(child=child, reason="Claim", by=world.admin)
    pages = [
        reverse("case-notes-due"),
        reverse("case-notes-destroy", kwargs={"listing_id": listed(child).pk}),
        reverse("case-note-holds"),
        reverse("case-note-hold-lift", kwargs={"hold_id": hold.pk}),
    ]
    # The child's own worker and their managers, who read the notes, may not destroy them.
    for role in ["supervisee", "supervisor", "senior_manager", "auditor_with_grant"]:
        client.force_login(world.people[role])
        for page in pages:
            assert client.get(page).status_code == 403, (role, page)
    client.force_login(world.admin)
    for page in pages:
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("children", [1, 6])
def test_the_list_runs_the_same_queries_however_many_children(
    world, client, django_assert_num_queries, children
):
    for n in range(children):
        grown_up(world, f"NS95{n:04d}")
    listing_on(TODAY)
    client.force_login(world.admin)
    client.get(reverse("case-notes-due"))  # the session and the pack, read once
    with django_assert_num_queries(CASE_NOTES_DUE_QUERIES):
        assert client.get(reverse("case-notes-due")).status_code == 200


# The session and user, the two-factor and role checks, the pack, then the page: its listings,
# holds, note counts and tombstones, one query each, however many children. The roles are one
# statement (issue 21: four before).
CASE_NOTES_DUE_QUERIES = 6
