"""A record can never get stuck: every state has a way on for
someone, and what the page says names the person who will act.

The finding: a supervisor shared a record with a disagreement before signing her own view;
once the supervisee signed, her "sign your view" link disappeared, finalising said "Both of you
must sign your views…", and the sign page said it "cannot be done while the record is signed by
supervisee". Now the supervisee signs only once both views are signed, and a record already in
that state goes back to the supervisee when the supervisor adds her view."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from supervision.models import Disagreement, Signature, SupervisionRecord
from supervision.records import services
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.support.outbox import forget_emails

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
PASSWORD = {"password": SUPERVISEE_PASSWORD}


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


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
    from supervision.records.canonical import load_record_for_content, record_hash

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
    forget_emails()
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
    # Her home page lists it as hers to do, though the record is with the supervisee.
    home = get(supervisor, "/")
    assert "Disagreements waiting for your view (1)" in home
    # Her supervisees' table says it waits for the supervisor, not for the supervisee.
    assert "1 waiting for the supervisor" in home
    assert "waiting for Supervisee</a>" not in home
    assert f'href="{base}/"' in home.split("Disagreements waiting for your view")[1][:400]
    assert post(supervisor, sign_view, {"view": "Manageable", **PASSWORD}).status_code == 302
    assert "Disagreements waiting for your view" not in get(supervisor, "/")
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
    from supervision.records.canonical import load_record_for_content, record_hash

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
    forget_emails()
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
#
# For every status of the model (a new one fails `test_every_status_is_handled_here` until it
# is given a way on here) and every situation of the people, the person who is to act has the
# link that leads on, following it moves the record on, and every page says who that is.

CHANGE_ON = date(2026, 3, 9)  # Joanne Fletcher is the supervisee's line supervisor from then
LEAVES_ON = date(2026, 3, 13)  # the last day of whoever leaves
CHANGED = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
LEFT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)

# situation: (when the pages are read, who can still sign in, who writes, amends, finalises)
SITUATIONS = {
    "as held": (NOW, ("held", "supervisee"), "held"),
    # She held the session, so she vouches for it: she keeps the record until it is final.
    "after a change of supervisor": (CHANGED, ("held", "supervisee", "new"), "held"),
    "the session's supervisor has left": (LEFT, ("supervisee", "new"), "new"),
    # Nobody can sign for a leaver: the signatory finalises without their signature.
    "the supervisee has left": (LEFT, ("held",), "held"),
}

# status: the step that leads on, as (who takes it, the page it is on); None once final.
WAY_ON = {
    "draft": ("editor", "record-share"),
    "shared": ("supervisee", "record-sign"),
    "amendment_requested": ("editor", "record-share"),
    "supervisee_signed": ("editor", "record-finalise"),
    "finalised": None,
}
STEPS = ("record-share", "record-sign", "record-amend", "record-finalise")


def test_every_status_is_handled_here():
    assert set(SupervisionRecord.Status.values) == set(WAY_ON)


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


@pytest.fixture
def joanne(world):
    from tests.factories import StaffProfileFactory

    with time_machine.travel(NOW, tick=False):
        return StaffProfileFactory(
            user__email="joanne.fletcher@example.org",
            user__full_name="Joanne Fletcher",
            unit=world.units["team"],
            job_role=world.supervisor.profile.job_role,
        ).user


def arrange(world, joanne, situation):
    """The change of supervisor and the leaving, recorded as the product records them."""
    from supervision.people.leaving import staff_mark_left
    from supervision.people.services import relationship_change_line_supervisor

    with time_machine.travel(NOW, tick=False):
        if situation != "as held" and situation != "the supervisee has left":
            relationship_change_line_supervisor(
                supervisee=world.supervisee,
                new_supervisor=joanne,
                on=CHANGE_ON,
                by=world.senior_manager,
            )
        if situation == "the session's supervisor has left":
            staff_mark_left(person=world.supervisor, leaving_date=LEAVES_ON, by=world.admin)
        if situation == "the supervisee has left":
            staff_mark_left(person=world.supervisee, leaving_date=LEAVES_ON, by=world.admin)
    return {"held": world.supervisor, "supervisee": world.supervisee, "new": joanne}


def who_acts(page: str) -> str:
    found = re.search(r'id="who-acts">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


@pytest.mark.parametrize("situation", list(SITUATIONS))
@pytest.mark.parametrize("status", SupervisionRecord.Status.values)
def test_in_every_state_the_person_who_acts_has_the_way_on_and_every_page_names_them(
    world, joanne, status, situation
):
    at, present, editor = SITUATIONS[situation]
    session = into(world, status)
    people = arrange(world, joanne, situation)
    record_url = f"/sessions/{session.pk}/record/"
    pages = {}
    with time_machine.travel(at, tick=False):
        for party, person in people.items():
            client = Client()
            client.force_login(person)
            response = client.get(record_url)
            if party not in present:  # left: nothing of the record, let alone a step
                assert response.status_code != 200, (party, "has left")
                continue
            assert response.status_code == 200, party
            pages[party] = (client, response.content.decode())
        # The way back from the record leads somewhere each of them may go.
        for party, (client, page) in pages.items():
            back = re.search(r'href="([^"]+)" class="govuk-back-link"', page).group(1)
            assert client.get(back).status_code == 200, (party, back)

    step = WAY_ON[status]
    if step is None:  # terminal: nobody has a step, every page says it is final
        for party, (_, page) in pages.items():
            assert not [s for s in STEPS if reverse(s, args=[session.pk]) in page], party
            assert "Finalised" in page
        return

    who, url_name = step
    who = editor if who == "editor" else who
    if situation == "the supervisee has left":
        who, url_name = editor, "record-finalise"
    actor = people[who]
    url = reverse(url_name, args=[session.pk])
    # The person who acts has the link that leads on. Signing and finalising are theirs
    # alone; a draft or amended record may also be shared by whoever may edit the file (the
    # new line supervisor), but never by the supervisee.
    for party, (_, page) in pages.items():
        if party == who:
            assert url in page, (party, url_name)
        elif url_name != "record-share" or party == "supervisee":
            assert url not in page, (party, url_name)
    # Every page names them: "You …" on theirs, their name on everyone else's.
    for party, (_, page) in pages.items():
        sentence = who_acts(page)
        if party == who:
            expected = "Read the record, then sign it" if who == "supervisee" else "You "
            assert sentence.startswith(expected) or f". {expected}" in sentence, (party, sentence)
        else:
            assert actor.full_name in sentence, (party, sentence)

    # Following it moves the record on.
    client = pages[who][0]
    with time_machine.travel(at, tick=False):
        response = client.post(url, {} if url_name == "record-share" else PASSWORD)
    assert response.status_code == 302, response.content.decode()[:2000]
    moved_to = SupervisionRecord.objects.get(session=session).status
    assert moved_to != status
    if situation == "the supervisee has left":
        assert moved_to == "finalised"
        with time_machine.travel(at, tick=False):
            page = client.get(record_url).content.decode()
        unsigned = "Not signed by Supervisee, who left before signing it."
        assert (unsigned in page) == (status != "supervisee_signed"), page


def post_as(person, url, at, data=None):
    client = Client()
    with time_machine.travel(at, tick=False):
        client.force_login(person)
        return client, client.post(url, data or {})


@pytest.mark.parametrize(
    "situation,acts",
    [("after a change of supervisor", "held"), ("the session's supervisor has left", "new")],
)
def test_changes_asked_go_to_and_are_shown_to_the_person_who_will_make_them(
    world, joanne, situation, acts, django_capture_on_commit_callbacks
):
    """After a change of supervisor the supervisor who held the session amends its record
    while she is with us (she also signs and finalises it); once she has left, the line
    supervisor now. Told by email, listed on their home page, named on the supervisee's."""
    at = SITUATIONS[situation][0]
    session = into(world, "shared")
    people = arrange(world, joanne, situation)
    actor, other = people[acts], people["new" if acts == "held" else "held"]
    base = f"/sessions/{session.pk}/record"
    forget_emails()
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        client, response = post_as(
            world.supervisee, f"{base}/ask-for-changes/", at, {"comment": "Add the plan"}
        )
    assert response.status_code == 302
    with time_machine.travel(at, tick=False):
        page = client.get(response["Location"]).content.decode()
    assert f"Changes asked. {actor.full_name} has been told" in page
    assert actor.full_name in who_acts(page)
    assert [m.to for m in mail.outbox] == [[actor.email]]
    assert "asked for changes" in mail.outbox[0].subject

    record_link = f'href="{base}/"'
    with time_machine.travel(at, tick=False):
        client = Client()
        client.force_login(actor)
        home = client.get("/").content.decode()
        assert "Records to write or amend" in home and record_link in home
        if situation == "after a change of supervisor":  # the new supervisor is not asked
            other_client = Client()
            other_client.force_login(other)
            assert "Records to write or amend" not in other_client.get("/").content.decode()
        page = client.get(f"{base}/").content.decode()
        assert "Add the plan" in page and who_acts(page).startswith("You make the changes")
        # They amend it and share it again, through the pages.
        edit = client.get(f"{base}/sections/reflection/")
        assert edit.status_code == 200
        version = SupervisionRecord.objects.get(session=session).version
        saved = client.post(
            f"{base}/sections/reflection/",
            {"text": "The plan is agreed.", "completed": "on", "version": version},
        )
        assert saved.status_code == 302, saved.content.decode()[:1500]
        assert client.post(f"{base}/share/").status_code == 302
        assert SupervisionRecord.objects.get(session=session).status == "shared"


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


def test_a_leavers_record_is_finalised_without_them_and_every_copy_says_so(
    world, joanne, settings, tmp_path, django_capture_on_commit_callbacks
):
    import subprocess

    settings.MEDIA_ROOT = tmp_path
    session = into(world, "shared")
    arrange(world, joanne, "the supervisee has left")
    base = f"/sessions/{session.pk}/record"
    forget_emails()
    with time_machine.travel(LEFT, tick=False), django_capture_on_commit_callbacks(execute=True):
        client, response = post_as(world.supervisor, f"{base}/finalise/", LEFT, PASSWORD)
    assert response.status_code == 302
    finalised = next(m for m in mail.outbox if "finalised" in m.subject)
    assert finalised.to == [world.supervisor.email]  # the leaver has no account to read it
    assert "without Supervisee's signature, as they have left" in finalised.body
    with time_machine.travel(LEFT, tick=False):
        pdf = client.get(f"{base.removesuffix('/record')}/record.pdf")
    assert pdf.status_code == 200
    data = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    assert "Not signed by Supervisee, who left before signing it." in " ".join(
        text.stdout.decode().split()
    )


def test_with_the_sessions_supervisor_gone_and_no_line_supervisor_the_page_says_who_unblocks_it(
    world, joanne
):
    """Nobody may finalise until a line supervisor is recorded: every page says so and who
    records one; the supervisee can still sign; once one is recorded, they finalise it."""
    from supervision.people.leaving import staff_mark_left
    from supervision.people.services import relationship_change_line_supervisor

    session = into(world, "shared")
    with time_machine.travel(NOW, tick=False):
        staff_mark_left(person=world.supervisor, leaving_date=LEAVES_ON, by=world.admin)
    base = f"/sessions/{session.pk}/record"
    client = Client()
    with time_machine.travel(LEFT, tick=False):
        client.force_login(world.supervisee)
        page = client.get(f"{base}/").content.decode()
        assert "Nobody can finalise this record" in page
        assert "A system administrator records a new line supervisor" in page
        assert f'href="{base}/sign/"' in page  # her step is still open
        assert client.post(f"{base}/sign/", PASSWORD).status_code == 302
        relationship_change_line_supervisor(
            supervisee=world.supervisee, new_supervisor=joanne, on=LEFT.date(), by=world.admin
        )
        client.force_login(joanne)
        page = client.get(f"{base}/").content.decode()
        assert f'href="{base}/finalise/"' in page and who_acts(page).startswith("You sign")
        assert client.post(f"{base}/finalise/", PASSWORD).status_code == 302
    assert SupervisionRecord.objects.get(session=session).status == "finalised"


@pytest.mark.parametrize(
    "situation", ["as held", "after a change of supervisor", "the session's supervisor has left"]
)
def test_a_session_with_no_record_yet_is_written_up_by_whoever_will_sign_it(
    world, joanne, situation
):
    """A session that happened before a change of supervisor, with no record started: the
    supervisor who held it is told on her home page and starts it (her reach over the file has
    ended, but she vouches for the session); once she has left, the line supervisor now."""
    at, _, writer = SITUATIONS[situation]
    with time_machine.travel(NOW, tick=False):
        session = held_session(world, status="held")
    people = arrange(world, joanne, situation)
    listed = f'href="/sessions/{session.pk}/"'
    with time_machine.travel(at, tick=False):
        for party, person in people.items():
            if party == "held" and situation == "the session's supervisor has left":
                continue
            client = Client()
            client.force_login(person)
            home = client.get("/").content.decode()
            assert (listed in home) == (party == writer), (party, "home page")
        client = Client()
        client.force_login(people[writer])
        page = client.get(f"/sessions/{session.pk}/")
        assert page.status_code == 200
        assert reverse("record-start", args=[session.pk]) in page.content.decode()
        started = client.post(reverse("record-start", args=[session.pk]))
        assert started.status_code == 302, started.content.decode()[:500]
        assert client.get(started["Location"]).status_code == 200
    assert SupervisionRecord.objects.filter(session=session).exists()
