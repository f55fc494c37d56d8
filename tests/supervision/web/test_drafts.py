"""Nothing typed is lost: forms of more than a line keep a draft on the server as they are typed
(supervision.web.drafts), through the page's own address and its own checks of reach."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from agreements.models import SupervisionAgreement
from supervision.models import FormDraft, PracticeObservation, SupervisionRecord
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
AUTOSAVE = {"HTTP_X_AUTOSAVE": "draft"}


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(DAY, tick=False):
        yield


@pytest.fixture
def world():
    return build_world(development=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def record_session(world):
    session = held_session(world)
    client_for(world.supervisor).post(f"/sessions/{session.pk}/record/start/")
    return session


# Each form page of more than a line, who fills it in, and one of its boxes.
PAGES = {
    "observation": (
        lambda w, s: reverse("observation-new", args=[w.supervisee.pk]),
        "supervisor",
        "background",
    ),
    "development conversation": (
        lambda w, s: reverse("development-new", args=[w.supervisee.pk]),
        "supervisor",
        "goals",
    ),
    "wellbeing plan": (
        lambda w, s: reverse("wellbeing-review", args=[w.supervisee.pk]),
        "supervisor",
        "support_agreed",
    ),
    "agreement": (
        lambda w, s: reverse("agreement-edit", args=[w.agreement.pk]),
        "supervisee",
        "purpose_and_aims",
    ),
    "group supervision": (
        lambda w, s: reverse("group-session-new", args=[w.units["team"].pk]),
        "supervisor",
        "summary",
    ),
    "front-door supervision": (
        lambda w, s: reverse("front-door-new", args=[w.supervisee.pk]),
        "supervisor",
        "reflections",
    ),
    "decision": (lambda w, s: f"/sessions/{s.pk}/record/decisions/add/", "supervisor", "reasons"),
    "action": (lambda w, s: f"/sessions/{s.pk}/record/actions/add/", "supervisor", "description"),
    "disagreement": (
        lambda w, s: f"/sessions/{s.pk}/record/disagreements/add/",
        "supervisee",
        "view",
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_what_is_typed_is_kept_and_put_back_when_the_page_is_opened_again(
    world, record_session, page
):
    url_of, who, box = PAGES[page]
    url = url_of(world, record_session)
    client = client_for(getattr(world, who))
    first = client.get(url)
    assert first.status_code == 200
    assert 'data-module="app-draft"' in first.content.decode()
    typed = "Half a thought about <b>court</b>,\nand a second line"
    response = client.post(url, {box: typed, "draft_version": "0"}, **AUTOSAVE)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    # The lid closes; the next day she opens the same page again.
    page_again = client.get(url).content.decode()
    assert "was kept and is back in the form" in page_again
    assert "Half a thought about &lt;b&gt;court&lt;/b&gt;,\nand a second line" in page_again
    assert "govuk-error-summary" not in page_again, "an unfinished draft is not an error"


def test_saving_the_form_removes_its_draft_and_saves_the_text(world):
    url = reverse("observation-new", args=[world.supervisee.pk])
    client = client_for(world.supervisor)
    client.post(url, {"background": "Kept as a draft", "draft_version": "0"}, **AUTOSAVE)
    assert FormDraft.objects.filter(form_path=url).exists()
    response = client.post(
        url,
        {
            "observer_role": "Line manager",
            "observed_on_0": "3",
            "observed_on_1": "3",
            "observed_on_2": "2026",
            "venue": "Family home",
            "permission_gained": "on",
            "background": "Kept as a draft, now finished",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PracticeObservation.objects.filter(background="Kept as a draft, now finished").exists()
    assert not FormDraft.objects.filter(form_path=url).exists()


def test_a_second_window_of_the_same_form_does_not_overwrite_the_first(world):
    url = reverse("observation-new", args=[world.supervisee.pk])
    client = client_for(world.supervisor)
    assert (
        client.post(url, {"background": "Window one", "draft_version": "0"}, **AUTOSAVE).json()[
            "version"
        ]
        == 1
    )
    clash = client.post(url, {"background": "Window two", "draft_version": "0"}, **AUTOSAVE)
    assert clash.status_code == 409
    assert FormDraft.objects.get(form_path=url).data["background"] == ["Window one"]


def test_a_draft_is_only_kept_for_someone_who_may_fill_in_the_form(world):
    url = reverse("observation-new", args=[world.supervisee.pk])
    for outsider in (world.other_supervisee, world.other_team_supervisor, world.supervisee):
        response = client_for(outsider).post(
            url, {"background": "Not mine to write", "draft_version": "0"}, **AUTOSAVE
        )
        assert response.status_code in (403, 404), outsider
    assert not FormDraft.objects.exists()


def test_a_password_is_never_kept_in_a_draft(world, record_session):
    url = f"/sessions/{record_session.pk}/record/disagreements/add/"
    client_for(world.supervisor).post(
        url,
        {"subject": "Caseload", "view": "Mine", "password": "secret", "draft_version": "0"},
        **AUTOSAVE,
    )
    data = FormDraft.objects.get(form_path=url).data
    assert data["view"] == ["Mine"]
    assert not any("password" in name for name in data)
    assert "csrfmiddlewaretoken" not in data


def test_hidden_control_characters_are_refused_in_a_draft(world):
    url = reverse("observation-new", args=[world.supervisee.pk])
    response = client_for(world.supervisor).post(
        url, {"background": "nul\x00byte", "draft_version": "0"}, **AUTOSAVE
    )
    assert response.status_code == 400
    assert "hidden control characters" in response.json()["error"]
    assert not FormDraft.objects.exists()


def agreement_post(agreement, **changes):
    from django.forms.models import model_to_dict

    data = {
        k: ("" if v is None else v)
        for k, v in model_to_dict(agreement, SupervisionAgreement.CONTENT_FIELDS).items()
    }
    for name in ("starts_on", "review_due_on"):
        day = getattr(agreement, name)
        data.update({f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year})
        del data[name]
    data.update(changes)
    return data


def test_the_other_party_saving_the_agreement_meanwhile_gives_the_page_with_both_texts(world):
    agreement = world.agreement
    url = reverse("agreement-edit", args=[agreement.pk])
    supervisee, supervisor = client_for(world.supervisee), client_for(world.supervisor)
    page = supervisee.get(url).content.decode()
    fingerprint = page.split('name="draft_fingerprint" value="')[1].split('"')[0]
    # The supervisor saves a change first.
    assert (
        supervisor.post(
            url,
            agreement_post(agreement, purpose_and_aims="The supervisor's purpose"),
        ).status_code
        == 302
    )
    mine = agreement_post(
        agreement, purpose_and_aims="The supervisee's purpose", draft_fingerprint=fingerprint
    )
    response = supervisee.post(url, mine)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved this while you were writing" in page
    assert "The supervisor&#x27;s purpose" in page, "the saved version is shown"
    assert "The supervisee&#x27;s purpose" in page, "her own text is still in the form"
    agreement.refresh_from_db()
    assert agreement.purpose_and_aims == "The supervisor's purpose", "not overwritten"
    # Saving again, having seen both, keeps hers.
    fingerprint = page.split('name="draft_fingerprint" value="')[1].split('"')[0]
    assert supervisee.post(url, dict(mine, draft_fingerprint=fingerprint)).status_code == 302
    agreement.refresh_from_db()
    assert agreement.purpose_and_aims == "The supervisee's purpose"


def test_a_record_form_keeps_its_draft_until_the_decision_is_added(world, record_session):
    url = f"/sessions/{record_session.pk}/record/decisions/add/"
    client = client_for(world.supervisor)
    client.post(url, {"decision": "No new cases", "draft_version": "0"}, **AUTOSAVE)
    assert "No new cases" in client.get(url).content.decode()
    client.post(url, {"decision": "No new cases", "reasons": "Two hearings"})
    record = SupervisionRecord.objects.get(session=record_session)
    assert record.decisions.get().decision == "No new cases"
    assert not FormDraft.objects.filter(form_path=url).exists()
    assert "was kept" not in client.get(url).content.decode()


def test_a_form_that_comes_back_with_errors_keeps_drafting_as_the_same_window(world):
    url = reverse("observation-new", args=[world.supervisee.pk])
    client = client_for(world.supervisor)
    client.post(url, {"background": "First", "draft_version": "0"}, **AUTOSAVE)
    page = client.post(url, {"background": "First, then saved too soon"}).content.decode()
    assert "govuk-error-summary" in page
    assert 'data-draft-version="1"' in page
    again = client.post(url, {"background": "Still typing", "draft_version": "1"}, **AUTOSAVE)
    assert again.status_code == 200
