"""A record can never get stuck (wave 2 · 2 of 9, point 1): every state has a way on for
someone, and what the page says names the person who will act.

The finding: a supervisor shared a record with a disagreement before signing her own view;
once the supervisee signed, her "sign your view" link disappeared, finalising said "Both of you
must sign your views…", and the sign page said it "cannot be done while the record is signed by
supervisee". Now the supervisee signs only once both views are signed, and a record already in
that state goes back to the supervisee when the supervisor adds her view."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client

from supervision import record_services as services
from supervision.models import Disagreement, Signature, SupervisionRecord
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
PASSWORD = {"password": SUPERVISEE_PASSWORD}


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield build_world()


def as_(world, role):
    client = Client()
    client.force_login(world.people[role])
    return client


def get(client, url):
    with time_machine.travel(NOW, tick=False):
        return client.get(url).content.decode()


def post(client, url, data=None):
    with time_machine.travel(NOW, tick=False):
        return client.post(url, data or {})


@pytest.fixture
def shared_with_a_disagreement(world):
    """Shared before the supervisor signed her view on the supervisee's disagreement."""
    with time_machine.travel(NOW, tick=False):
        session = held_session(world, status="held")
        record = services.record_start(session=session, by=world.supervisor)
        disagreement = services.disagreement_add(
            record=record, subject="Caseload", view="Too high", by=world.supervisee
        )
        services.record_share(record=record, by=world.supervisor)
    return session, disagreement


def test_the_supervisee_signs_only_once_both_views_are_signed_and_is_told_who_is_next(
    world, shared_with_a_disagreement
):
    session, disagreement = shared_with_a_disagreement
    record_url = f"/sessions/{session.pk}/record/"
    supervisee, supervisor = as_(world, "supervisee"), as_(world, "supervisor")

    page = get(supervisee, record_url)
    assert "Give and sign your view on “Caseload”" in page
    assert "Supervisor is to give and sign their view on “Caseload”" in page
    assert f'href="/sessions/{session.pk}/record/sign/"' not in page  # not yet
    post(
        supervisee,
        f"/sessions/{session.pk}/record/disagreements/{disagreement.pk}/sign/",
        {"view": "Too high", **PASSWORD},
    )

    # Typed straight in, the sign page refuses and names who must act.
    response = post(supervisee, f"/sessions/{session.pk}/record/sign/", PASSWORD)
    assert response.status_code == 200
    assert "Supervisor must give and sign their view on “Caseload”" in response.content.decode()
    assert SupervisionRecord.objects.get(session=session).status == "shared"

    page = get(supervisor, record_url)
    sign_view = f'href="/sessions/{session.pk}/record/disagreements/{disagreement.pk}/sign/"'
    assert sign_view in page
    assert "Supervisee can sign the record once your view is signed" in page
    post(
        supervisor,
        f"/sessions/{session.pk}/record/disagreements/{disagreement.pk}/sign/",
        {"view": "Manageable with support", **PASSWORD},
    )

    assert f'href="/sessions/{session.pk}/record/sign/"' in get(supervisee, record_url)
    assert post(supervisee, f"/sessions/{session.pk}/record/sign/", PASSWORD).status_code == 302
    assert post(supervisor, f"/sessions/{session.pk}/record/finalise/", PASSWORD).status_code == 302
    assert SupervisionRecord.objects.get(session=session).status == "finalised"


def test_a_record_already_signed_without_the_supervisors_view_goes_back_to_be_signed_again(
    world, shared_with_a_disagreement, django_capture_on_commit_callbacks
):
    """The state the finding left records in: signed by the supervisee, the supervisor's view
    missing. She can still give it; the supervisee signs again; then she finalises."""
    session, disagreement = shared_with_a_disagreement
    record = SupervisionRecord.objects.get(session=session)
    Disagreement.objects.filter(pk=disagreement.pk).update(supervisee_signed_at=NOW)
    from supervision.canonical import load_record_for_content, record_hash

    Signature.objects.create(
        record=record,
        signer=world.supervisee,
        role="supervisee",
        signed_at=NOW,
        content_hash=record_hash(load_record_for_content(record.pk)),
    )
    SupervisionRecord.objects.filter(pk=record.pk).update(status="supervisee_signed")
    record_url = f"/sessions/{session.pk}/record/"
    supervisor, supervisee = as_(world, "supervisor"), as_(world, "supervisee")

    sign_view = f"/sessions/{session.pk}/record/disagreements/{disagreement.pk}/sign/"
    assert f'href="{sign_view}"' in get(supervisor, record_url)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(supervisor, sign_view, {"view": "Manageable", **PASSWORD})
    assert response.status_code == 302
    assert SupervisionRecord.objects.get(pk=record.pk).status == "shared"
    assert [m.to for m in mail.outbox] == [[world.supervisee.email]]  # told to sign again

    assert post(supervisee, f"/sessions/{session.pk}/record/sign/", PASSWORD).status_code == 302
    assert post(supervisor, f"/sessions/{session.pk}/record/finalise/", PASSWORD).status_code == 302
    record = SupervisionRecord.objects.get(pk=record.pk)
    assert record.status == "finalised"
    # The signature that stands is the second; the first is history in the audit log.
    assert [s.role for s in record.current_signatures] == ["supervisee", "supervisor"]
    page = get(supervisee, record_url)
    assert page.count("(supervisee) signed on") == 1


def test_the_finding_through_the_pages_the_supervisor_shares_before_signing_her_own_view(world):
    """The finding as it happened, every step a post by the person: the supervisor records a
    disagreement, shares the record without signing her view, the supervisee signs hers. The
    supervisor's link stays until she has signed, and finalising then works."""
    with time_machine.travel(NOW, tick=False):
        session = held_session(world, status="held")
    base = f"/sessions/{session.pk}/record"
    supervisor, supervisee = as_(world, "supervisor"), as_(world, "supervisee")
    assert post(supervisor, f"{base}/start/").status_code == 302
    response = post(
        supervisor, f"{base}/disagreements/add/", {"subject": "Caseload", "view": "Manageable"}
    )
    assert response.status_code == 302
    disagreement = Disagreement.objects.get(record__session=session)
    assert post(supervisor, f"{base}/share/").status_code == 302
    sign_view = f"{base}/disagreements/{disagreement.pk}/sign/"

    assert f'href="{sign_view}"' in get(supervisee, f"{base}/")
    assert post(supervisee, sign_view, {"view": "Too high", **PASSWORD}).status_code == 302
    refused = post(supervisee, f"{base}/sign/", PASSWORD).content.decode()
    assert "Supervisor must give and sign their view on “Caseload”" in refused

    page = get(supervisor, f"{base}/")
    assert f'href="{sign_view}"' in page
    assert f'href="{base}/finalise/"' not in page
    assert post(supervisor, sign_view, {"view": "Manageable", **PASSWORD}).status_code == 302
    assert f'href="{base}/sign/"' in get(supervisee, f"{base}/")
    assert post(supervisee, f"{base}/sign/", PASSWORD).status_code == 302
    assert f'href="{base}/finalise/"' in get(supervisor, f"{base}/")
    assert post(supervisor, f"{base}/finalise/", PASSWORD).status_code == 302
    assert SupervisionRecord.objects.get(session=session).status == "finalised"


def test_a_record_signed_before_the_supervisees_own_view_was_signed_is_not_stuck(
    world, django_capture_on_commit_callbacks
):
    """The other half of the stuck state: signed by the supervisee while her own view on the
    supervisor's disagreement was unsigned. She was told her view "cannot be added now" and
    finalising refused: nobody could move. Now her link stays, the supervisor's page says it
    waits for her (no finalise button), and once she signs her view she signs again."""
    from supervision.canonical import load_record_for_content, record_hash

    with time_machine.travel(NOW, tick=False):
        session = held_session(world, status="held")
        record = services.record_start(session=session, by=world.supervisor)
        disagreement = services.disagreement_add(
            record=record, subject="Caseload", view="Manageable", by=world.supervisor
        )
        services.disagreement_sign_view(
            disagreement=disagreement,
            view="Manageable",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisor,
        )
        services.record_share(record=record, by=world.supervisor)
    Signature.objects.create(
        record=record,
        signer=world.supervisee,
        role="supervisee",
        signed_at=NOW,
        content_hash=record_hash(load_record_for_content(record.pk)),
    )
    SupervisionRecord.objects.filter(pk=record.pk).update(status="supervisee_signed")
    base = f"/sessions/{session.pk}/record"
    sign_view = f"{base}/disagreements/{disagreement.pk}/sign/"
    supervisor, supervisee = as_(world, "supervisor"), as_(world, "supervisee")

    page = get(supervisor, f"{base}/")
    assert f'href="{base}/finalise/"' not in page
    assert "Supervisee is to give and sign their view on “Caseload”" in page
    refused = post(supervisor, f"{base}/finalise/", PASSWORD).content.decode()
    assert "Supervisee must give and sign their view on “Caseload” first" in refused

    page = get(supervisee, f"{base}/")
    assert f'href="{sign_view}"' in page
    assert "Give and sign your view on “Caseload”" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(supervisee, sign_view, {"view": "Too high", **PASSWORD})
    assert response.status_code == 302
    assert SupervisionRecord.objects.get(pk=record.pk).status == "shared"
    assert mail.outbox == []  # she is the one to act next, and the page says so
    assert f'href="{base}/sign/"' in get(supervisee, f"{base}/")
    assert post(supervisee, f"{base}/sign/", PASSWORD).status_code == 302
    assert post(supervisor, f"{base}/finalise/", PASSWORD).status_code == 302
    assert SupervisionRecord.objects.get(pk=record.pk).status == "finalised"


# --- Every state has a way on ---------------------------------------------------------------

LEADS_ON = {
    "draft": ("supervisor", "record-share"),
    "shared": ("supervisee", "record-sign"),
    "amendment_requested": ("supervisor", "record-share"),
    "supervisee_signed": ("supervisor", "record-finalise"),
}


def into(world, status):
    with time_machine.travel(NOW, tick=False):
        session = held_session(world, status="held")
        record = services.record_start(session=session, by=world.supervisor)
        if status == "draft":
            return session
        services.record_share(record=record, by=world.supervisor)
        if status == "amendment_requested":
            services.record_request_amendment(
                record=record, comments=[(None, "Please add the plan")], by=world.supervisee
            )
        if status in ("supervisee_signed", "finalised"):
            services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
        if status == "finalised":
            services.record_finalise(
                record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
            )
    return session


def test_every_status_is_handled_here():
    assert set(SupervisionRecord.Status.values) == {*LEADS_ON, "finalised"}


@pytest.mark.parametrize("status", sorted(LEADS_ON))
def test_in_every_state_before_final_someone_has_the_button_that_leads_on(world, status):
    session = into(world, status)
    assert SupervisionRecord.objects.get(session=session).status == status
    who, url_name = LEADS_ON[status]
    from django.urls import reverse

    page = get(as_(world, who), f"/sessions/{session.pk}/record/")
    assert reverse(url_name, args=[session.pk]) in page, (status, who)


# After a change of supervisor, and after the supervisor who held the session has left.

CHANGED = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
LEFT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def new_supervisor(world):
    from supervision.services import relationship_change_line_supervisor
    from tests.factories import StaffProfileFactory

    with time_machine.travel(NOW, tick=False):
        person = StaffProfileFactory(
            user__email="joanne.fletcher@example.org",
            user__full_name="Joanne Fletcher",
            unit=world.units["team"],
            job_role=world.supervisor.profile.job_role,
        ).user
    return person, relationship_change_line_supervisor


@pytest.mark.parametrize(
    "status,after,acts",
    [
        ("draft", CHANGED, "new"),  # the file passed to the new supervisor (S1)
        ("amendment_requested", CHANGED, "new"),
        ("supervisee_signed", CHANGED, "held"),  # she held the session: she vouches for it
        ("supervisee_signed", LEFT, "new"),  # she has left: the line supervisor finalises
    ],
)
def test_after_a_change_of_supervisor_someone_still_leads_on(
    world, new_supervisor, status, after, acts
):
    from datetime import date

    from django.urls import reverse

    from supervision.leaving import staff_mark_left

    person, change = new_supervisor
    session = into(world, status)
    with time_machine.travel(NOW, tick=False):
        change(
            supervisee=world.supervisee,
            new_supervisor=person,
            on=date(2026, 3, 9),
            by=world.senior_manager,
        )
        if after == LEFT:
            staff_mark_left(person=world.supervisor, leaving_date=date(2026, 3, 13), by=world.admin)
    who = person if acts == "new" else world.supervisor
    other = world.supervisor if acts == "new" else person
    url = reverse(LEADS_ON[status][1], args=[session.pk])
    with time_machine.travel(after, tick=False):
        client = Client()
        client.force_login(who)
        assert url in client.get(f"/sessions/{session.pk}/record/").content.decode()
        if after != LEFT:
            client.force_login(other)
            response = client.get(f"/sessions/{session.pk}/record/")
            assert response.status_code != 200 or url not in response.content.decode()


def test_changes_asked_after_a_change_of_supervisor_go_to_the_new_one_on_their_home(
    world, new_supervisor, django_capture_on_commit_callbacks
):
    from datetime import date

    person, change = new_supervisor
    session = into(world, "shared")
    with time_machine.travel(NOW, tick=False):
        change(
            supervisee=world.supervisee,
            new_supervisor=person,
            on=date(2026, 3, 9),
            by=world.senior_manager,
        )
    mail.outbox.clear()
    with time_machine.travel(CHANGED, tick=False), django_capture_on_commit_callbacks(execute=True):
        client = Client()
        client.force_login(world.supervisee)
        record = SupervisionRecord.objects.get(session=session)
        services.record_request_amendment(
            record=record, comments=[(None, "Please add the plan")], by=world.supervisee
        )
    assert [m.to for m in mail.outbox] == [[person.email]]  # told: the one who will amend
    record_link = f'href="/sessions/{session.pk}/record/"'
    with time_machine.travel(CHANGED, tick=False):
        client.force_login(person)
        assert record_link in client.get("/").content.decode()
        client.force_login(world.supervisor)
        assert record_link not in client.get("/").content.decode()


def test_earlier_actions_are_each_reviewed_before_the_record_is_shared(world):
    """R10: the world's earlier record agreed "Read the neglect guidance"; the next record
    cannot go to the supervisee until that action is said to be done, open or dropped."""
    with time_machine.travel(NOW, tick=False):
        later = held_session(
            world,
            status="held",
            starts_at=datetime(2026, 3, 5, 9, tzinfo=UTC),
            ends_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
        )
        services.record_start(session=later, by=world.supervisor)
    supervisor = as_(world, "supervisor")
    response = post(supervisor, f"/sessions/{later.pk}/record/share/")
    page = get(supervisor, response["Location"])
    assert "Review each action from earlier sessions before you share the record" in page
    assert "“Read the neglect guidance” (due 20 March 2026)" in page
    assert SupervisionRecord.objects.get(session=later).status == "draft"
    post(
        supervisor,
        f"/sessions/{later.pk}/record/actions/{world.action.pk}/review/",
        {"outcome": "dropped", "note": "No longer needed"},
    )
    post(supervisor, f"/sessions/{later.pk}/record/share/")
    assert SupervisionRecord.objects.get(session=later).status == "shared"


def test_the_sign_and_finalise_pages_show_the_record_being_signed(world):
    with time_machine.travel(NOW, tick=False):
        session = held_session(world, status="held")
        record = services.record_start(session=session, by=world.supervisor)
        services.record_section_save(
            record=record,
            section_key="reflection",
            text="We reflected on the Ahmed family's plan.",
            completed=True,
            expected_version=record.version,
            by=world.supervisor,
        )
        for earlier in services.open_actions_of(world.supervisee, before=session.starts_at):
            services.action_review(
                record=record, action=earlier, outcome="open", note="", by=world.supervisor
            )
        services.record_share(record=record, by=world.supervisor)
    page = get(as_(world, "supervisee"), f"/sessions/{session.pk}/record/sign/")
    assert "What you are signing" in page
    assert "We reflected on the Ahmed family&#x27;s plan." in page
    with time_machine.travel(NOW, tick=False):
        services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
    page = get(as_(world, "supervisor"), f"/sessions/{session.pk}/record/finalise/")
    assert "What you are signing" in page and "Ahmed family" in page
