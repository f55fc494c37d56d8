"""Administrators run the system, never read it: no administrator sees or sets another person's
password (the person sets their own with an emailed link), and every change made in the Django
admin is in the audit log."""

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.core import mail
from django.urls import reverse

from oversight.models import Notification
from oversight.notices import outbox
from oversight.records_management.importing import import_files
from supervision.admin import AuditedAdmin
from supervision.models import Unit, User
from supervision.models.audit import AuditEvent
from tests.factories import SUPERVISEE_PASSWORD, UserFactory
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
NEW_PASSWORD = "correct horse battery staple 42"
LINK = re.compile(r"https?://[^\s]+/(?:set-password|invitation)/[^\s]+/[^\s]+/")


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def link_in(message) -> str:
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def sent_link(to: str) -> str:
    """Send what waits in the outbox, and the set-password link emailed to `to`."""
    outbox.send_due()
    messages = [m for m in mail.outbox if m.to == [to]]
    assert len(messages) == 1, [m.to for m in mail.outbox]
    return link_in(messages[0])


def set_password(client, link: str, password: str = NEW_PASSWORD):
    """Follow the link as the person would, then post the new password twice."""
    path = link.split("://", 1)[1].split("/", 1)[1]
    opened = client.get("/" + path)
    if opened.status_code != 302:
        return opened
    form_url = opened["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


# --- No password is ever seen or set by an administrator ---------------------------------------


def test_the_admins_change_password_page_is_refused_and_audited(admin_client, world):
    for person in (world.supervisee, world.admin):
        url = reverse("admin:auth_user_password_change", args=[person.pk])
        assert admin_client.get(url).status_code == 403
        response = admin_client.post(url, {"password1": "x" * 20, "password2": "x" * 20})
        assert response.status_code == 403
    world.supervisee.refresh_from_db()
    assert world.supervisee.check_password(SUPERVISEE_PASSWORD)
    refusal = AuditEvent.objects.filter(
        action="denied", actor=world.admin, object_type="password", subject=world.supervisee
    )
    assert refusal.count() == 2


def test_the_user_change_page_shows_no_password_at_all(admin_client, world):
    response = admin_client.get(
        reverse("admin:supervision_user_change", args=[world.supervisee.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    hashed = world.supervisee.password
    algorithm = hashed.split("$", 1)[0]
    assert hashed not in page
    assert algorithm not in page
    assert "password/" not in page, "no link to the change password page"
    assert "Send a link to set their password" in page


def test_a_user_added_in_the_admin_has_no_password_and_is_sent_a_link(admin_client, world, client):
    response = admin_client.post(
        reverse("admin:supervision_user_add"),
        {
            "email": "new.starter@example.org",
            "full_name": "New Starter",
            "password1": "typed by the admin 123",
            "password2": "typed by the admin 123",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = User.objects.get(email="new.starter@example.org")
    assert not person.has_usable_password(), "whatever the admin typed, no password is set"
    assert not person.check_password("typed by the admin 123")
    assert mail.outbox == [], "written to the outbox, not sent inline"
    notice = Notification.objects.get(recipient=person, kind="set_password")
    assert "/set-password/" not in notice.body, "no working link is stored"

    link = sent_link("new.starter@example.org")
    client.logout()
    assert set_password(client, link).status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action="write", object_type="admin_change", subject=person, detail__admin="added"
    ).exists()


def test_the_button_emails_a_link_that_works_once(admin_client, world, client):
    person = world.supervisee
    url = reverse("admin:supervision_user_send_password_link", args=[person.pk])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="write", actor=world.admin, object_type="set_password_link", subject=person
    ).exists()
    link = sent_link(person.email)
    message = mail.outbox[0]
    assert message.subject.startswith("Set your password")
    assert "works once, for 24 hours" in message.body

    anonymous = client.__class__()
    done = set_password(anonymous, link)
    assert done.status_code == 302 and done["Location"] == reverse("password-set-done")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action="write", actor=person, object_type="password", subject=person
    ).exists()

    again = set_password(client.__class__(), link, "another password entirely 9")
    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_the_link_does_not_work_after_24_hours(admin_client, world, client):
    person = world.supervisee
    admin_client.post(reverse("admin:supervision_user_send_password_link", args=[person.pk]))
    link = sent_link(person.email)
    with time_machine.travel(NOW + timedelta(hours=23, minutes=59), tick=False):
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        assert client.get(path).status_code == 302, "still good just before 24 hours"
    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        response = set_password(client.__class__(), link)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    person.refresh_from_db()
    assert person.check_password(SUPERVISEE_PASSWORD)


def test_the_admin_action_sends_links_to_those_chosen(admin_client, world):
    chosen = [world.supervisee, world.supervisor]
    response = admin_client.post(
        reverse("admin:supervision_user_changelist"),
        {"action": "send_password_links", "_selected_action": [p.pk for p in chosen]},
    )
    assert response.status_code == 302
    outbox.send_due()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in chosen)
    assert all(LINK.search(m.body) for m in mail.outbox)


def test_a_leaver_gets_no_link_and_an_old_link_stops_working(admin_client, world, client):
    person = world.supervisee
    admin_client.post(reverse("admin:supervision_user_send_password_link", args=[person.pk]))
    link = sent_link(person.email)
    person.profile.leaving_date = TODAY - timedelta(days=1)
    person.profile.save()
    assert "This link no longer works" in set_password(client, link).content.decode()
    mail.outbox.clear()
    admin_client.post(reverse("admin:supervision_user_send_password_link", args=[person.pk]))
    outbox.send_due()
    assert mail.outbox == []


# --- Forgotten your password? ------------------------------------------------------------------


def test_the_sign_in_page_links_to_forgotten_password(client, world):
    page = client.get(reverse("sign-in")).content.decode()
    assert reverse("password-forgotten") in page


def test_forgotten_password_says_the_same_whether_or_not_the_address_exists(client, world):
    known = client.post(reverse("password-forgotten"), {"email": world.supervisee.email.upper()})
    unknown = client.post(reverse("password-forgotten"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password-forgotten-sent")
    sent_link(world.supervisee.email)
    assert len(mail.outbox) == 1

    # Asking again at once does not send another.
    client.post(reverse("password-forgotten"), {"email": world.supervisee.email})
    outbox.send_due()
    assert len(mail.outbox) == 1


def test_forgotten_password_without_an_address_names_the_field(client, world):
    response = client.post(reverse("password-forgotten"), {"email": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_email"' in page
    assert "Enter your email address" in page


def test_a_weak_password_is_refused_with_the_field_named(admin_client, world, client):
    person = world.supervisee
    admin_client.post(reverse("admin:supervision_user_send_password_link", args=[person.pk]))
    link = sent_link(person.email)
    response = set_password(client.__class__(), link, "short")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="#id_new_password2"' in page or 'href="#id_new_password1"' in page
    person.refresh_from_db()
    assert person.check_password(SUPERVISEE_PASSWORD)


# --- Imported people ---------------------------------------------------------------------------


def test_people_created_by_an_import_are_emailed_a_link(tmp_path, world, client):
    folder = tmp_path / "import"
    shutil.copytree(Path(settings.BASE_DIR) / "examples" / "import", folder)
    files = {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
    import_files(files, by=world.admin)
    assert mail.outbox == []

    outbox.send_due()
    emailed = {m.to[0] for m in mail.outbox}
    assert "nadia.khan@westmoor.example" in emailed
    assert "peter.lindqvist@westmoor.example" not in emailed, "left in January: no link"
    assert len(emailed) == 7
    nadia = next(m for m in mail.outbox if m.to == ["nadia.khan@westmoor.example"])
    assert set_password(client, link_in(nadia)).status_code == 302
    assert User.objects.get(email="nadia.khan@westmoor.example").check_password(NEW_PASSWORD)

    # Importing again creates nobody, so emails nobody.
    mail.outbox.clear()
    import_files(files, by=world.admin)
    outbox.send_due()
    assert mail.outbox == []


# --- Every change in the Django admin is audited -----------------------------------------------


def test_every_registered_model_admin_is_audited():
    missing = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not isinstance(model_admin, AuditedAdmin)
    ]
    assert missing == []


def test_an_admin_change_writes_an_audit_entry_without_values(admin_client, world):
    person = world.supervisee
    response = admin_client.post(
        reverse("admin:supervision_user_change", args=[person.pk]),
        {
            "email": person.email,
            "full_name": "Renamed Person",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEvent.objects.get(
        action="write", object_type="admin_change", subject=person, detail__admin="changed"
    )
    assert entry.actor == world.admin
    assert entry.detail["model"] == "supervision.user"
    assert "Full name" in entry.detail["fields"]
    assert "Renamed Person" not in str(entry.detail)
    assert person.password not in str(entry.detail)


def test_bulk_deletes_in_the_admin_write_one_entry_each(admin_client, world):
    units = [Unit.objects.create(name=f"Spare {n}", code=f"spare-{n}") for n in range(3)]
    response = admin_client.post(
        reverse("admin:supervision_unit_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [u.pk for u in units],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Unit.objects.filter(pk__in=[u.pk for u in units]).exists()
    deleted = AuditEvent.objects.filter(
        action="write", object_type="admin_change", detail__admin="deleted"
    )
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(str(u.pk) for u in units)


def test_adding_someone_to_a_group_in_the_admin_is_audited(admin_client, world):
    response = admin_client.post(
        reverse("admin:auth_group_add"), {"name": "Information governance", "_save": "Save"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        object_type="admin_change", detail__model="auth.group", detail__admin="added"
    ).exists()


def test_someone_without_admin_rights_cannot_send_links(client, world):
    other = UserFactory()
    client.force_login(world.supervisor)
    url = reverse("admin:supervision_user_send_password_link", args=[other.pk])
    assert client.post(url).status_code == 302, "sent to the admin's sign-in"
    assert not Notification.objects.filter(recipient=other).exists()


def test_a_grant_given_in_the_admin_is_audited_once_with_the_admin_as_actor(admin_client, world):
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = admin_client.post(
        reverse("admin:supervision_accessgrant_add"),
        {
            "grantee": world.auditor_without_grant.pk,
            "subject": world.supervisee.pk,
            "starts_on": "2026-03-05",
            "ends_on": "2026-03-31",
            "reason": "Peer audit",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entries = AuditEvent.objects.filter(action="write", pk__gt=before)
    assert [(e.object_type, e.detail.get("change"), e.actor) for e in entries] == [
        ("access_grant", "access granted", world.admin)
    ]
