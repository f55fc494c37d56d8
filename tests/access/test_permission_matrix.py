"""Every URL the project serves, for every role, with the exact status code expected.

URLs are enumerated from the URL conf: a new URL without a row here fails
`test_every_url_has_expectations`. Objects outside a role's reach are 404, not 403.
"""

import copy

import pytest
import time_machine
from django.contrib import admin
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.quality_helpers import world_quality_sample
from tests.world import ROLES, TODAY, build_world, kept_for_the_module

pytestmark = pytest.mark.django_db


def everyone(status, **exceptions):
    return {role: exceptions.get(role, status) for role in ROLES}


def signed_in(status, anonymous=302, **exceptions):
    return everyone(status, anonymous=anonymous, **exceptions)


def only(allowed: dict, otherwise=403):
    return signed_in(otherwise, **allowed)


def the_service(world):
    return {"unit_id": world.units["service"].pk}


def the_table_export(world):
    from django.utils import timezone

    from oversight.models import Export

    export = Export.objects.create(
        requested_by=world.senior_manager,
        table="dashboard-trends",
        params={"unit": str(world.units["service"].pk)},
        file_format="csv",
        title="Supervision trends",
        rows_total=20,
        created_at=timezone.now(),
    )
    return {"export_id": export.pk}


def the_service_account(world):
    from api import tokens

    account = tokens.account_create(
        name="Power BI",
        description="",
        scopes=["read_figures"],
        units=[world.units["service"]],
        by=world.admin,
    )
    return {"account_id": account.pk}


def the_api_token(world):
    from api import tokens
    from api.models import ServiceAccount

    account = ServiceAccount.objects.get(pk=the_service_account(world)["account_id"])
    return {"token_id": tokens.token_issue(account=account, days=30, by=world.admin)[0].pk}


# The API (api/): a person's session never reaches it, whoever they are (401: a token is
# needed); its description and documentation are open. tests/api/ holds its own matrix, by
# token and scope.
API_ROUTES = {
    name: (kwargs, everyone(401))
    for name, kwargs in {
        "api-v1-units": None,
        "api-v1-unit": lambda world: {"pk": world.units["team"].pk},
        "api-v1-staff": None,
        "api-v1-relationships": None,
        "api-v1-agreements": None,
        "api-v1-sessions": None,
        "api-v1-flags": None,
        "api-v1-compliance": None,
        "api-v1-figures": None,
        # The write routes (POST only; tests/api/test_writes_permissions.py): still 401.
        "api-v1-imports": None,
        "api-v1-staff-leaving": lambda world: {"pk": world.supervisee.pk},
        "api-v1-staff-supervisor": lambda world: {"pk": world.supervisee.pk},
    }.items()
}


QA_PEOPLE = {
    "senior_manager": 200,
    "other_senior_manager": 200,
    "auditor_with_grant": 200,
    "auditor_without_grant": 200,
}
QA_SAMPLE = {
    "senior_manager": 200,
    "other_senior_manager": 404,
    "auditor_with_grant": 404,
    "auditor_without_grant": 404,
}


def the_quality_sample(world):
    return {"sample_id": world_quality_sample(world)["sample_id"]}


# A unit's manager sees its dashboard; the other service's manager gets 404, the rest 403.
SERVICE_MANAGER = {"senior_manager": 200, "other_senior_manager": 404}
MANAGERS_REDIRECTED = {"senior_manager": 302, "other_senior_manager": 302}


def the_supervisee(world):
    return {"person_id": world.supervisee.pk}


def the_session(world):
    return {"session_id": world.session.pk}


def the_relationship(world):
    return {"relationship_id": world.relationship.pk}


def the_agreement(world):
    return {"agreement_id": world.agreement.pk}


def the_candidate(world):
    return {"candidate_id": world.candidate.pk}


def the_hold(world):
    return {"hold_id": world.hold.pk}


def the_case_notes_due(world):
    return {"listing_id": world.case_notes_due.pk}


def the_case_note_hold(world):
    return {"hold_id": world.case_note_hold.pk}


def the_export(world):
    return {"person_id": world.supervisee.pk, "export_id": world.export.pk}


def the_observation(world):
    return {"person_id": world.supervisee.pk, "observation_id": world.observation.pk}


def the_conversation(world):
    return {"person_id": world.supervisee.pk, "conversation_id": world.development_conversation.pk}


def the_probation_month(world):
    return {"person_id": world.supervisee.pk, "month": 1}


def the_team(world):
    return {"unit_id": world.units["team"].pk}


def the_record(world):
    return {"record_id": world.record.pk}


def the_section(world):
    return {"session_id": world.session.pk, "key": "reflection"}


def the_action(world):
    return {"session_id": world.session.pk, "action_id": world.action.pk}


def the_own_action(world):
    return {"action_id": world.action.pk}


def the_disagreement(world):
    return {"session_id": world.session.pk, "disagreement_id": world.disagreement.pk}


def the_concern(world):
    """The supervisee's concern about their supervision, raised with their supervisor's line
    manager (the senior manager)."""
    from supervision.concerns import services

    concern = services.concern_raise(supervisee=world.supervisee, text="Sessions keep moving")
    return {"concern_id": concern.pk}


def the_record_attachment(world):
    from supervision.records.attachments import record_attachment_add
    from tests.attachments import clamd_answering, upload

    clamd_answering()
    attachment = record_attachment_add(record=world.record, upload=upload(), by=world.supervisor)
    return {"session_id": world.session.pk, "attachment_id": attachment.pk}


def the_case_note_attachment(world):
    from casework.note_attachments import case_note_attachment_add
    from tests.attachments import clamd_answering, upload

    clamd_answering()
    attachment = case_note_attachment_add(
        note=world.case_note, upload=upload(), by=world.supervisor
    )
    return {
        "child_id": world.child.pk,
        "note_id": world.case_note.pk,
        "attachment_id": attachment.pk,
    }


def the_child(world):
    return {"child_id": world.child.pk}


def the_case_note(world):
    return {"child_id": world.child.pk, "note_id": world.case_note.pk}


def the_case_note_action(world):
    from datetime import date

    from casework import services

    action = services.case_note_action_add(
        note=world.case_note,
        description="Visit weekly",
        due_on=date(2026, 3, 20),
        owner=world.supervisee,
        by=world.supervisor,
    )
    return {"child_id": world.child.pk, "note_id": world.case_note.pk, "action_id": action.pk}


def the_transfer(world):
    from datetime import date

    from casework import transfer_services

    transfer = transfer_services.transfer_plan(
        child=world.child,
        to_unit=world.units["team"],
        to_worker=world.supervisor,
        to_service="early_help",
        planned_for=date(2026, 4, 5),
        reason="Step down to early help",
        by=world.supervisor,
    )
    return {"child_id": world.child.pk, "transfer_id": transfer.pk}


def the_group_session(world):
    return {"group_id": world.group_session.pk}


def the_front_door(world):
    return {"session_id": world.front_door.pk}


def the_case_session(world):
    from datetime import UTC, datetime

    from supervision.models import SupervisionSession

    session = SupervisionSession.objects.create(
        supervisee=world.supervisee,
        supervisor=world.supervisor,
        session_type="case",
        starts_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
        ends_at=datetime(2026, 3, 3, 11, tzinfo=UTC),
        created_by=world.supervisor,
        status=SupervisionSession.Status.HELD,
    )
    return {"session_id": session.pk}


# A concern about supervision: its supervisee and the manager it is raised with, never the
# supervisor it is about (404, as for anything out of reach).
CONCERN_READERS = signed_in(404, supervisee=200, senior_manager=200)
CONCERN_SUPERVISEE = signed_in(404, supervisee=200, senior_manager=403)
CONCERN_MANAGER = signed_in(404, supervisee=403, senior_manager=200)
# Everyone on the staff raises a concern about their own supervision; never an administrator.
STAFF = signed_in(200, admin=403)

# Reach over the supervisee's file: who may read a session or record at all.
READERS = {"supervisee": 200, "supervisor": 200, "senior_manager": 200, "auditor_with_grant": 200}
# Read-only readers get 403 on anything that writes; outsiders 404.
SUPERVISOR_WRITES = signed_in(
    404, supervisor=200, supervisee=403, senior_manager=403, auditor_with_grant=403
)
SUPERVISEE_ACTS = signed_in(
    404, supervisee=200, supervisor=403, senior_manager=403, auditor_with_grant=403
)
EITHER_PARTY = signed_in(
    404, supervisee=200, supervisor=200, senior_manager=403, auditor_with_grant=403
)

TEAM_READERS = {"supervisee": 200, "supervisor": 200, "senior_manager": 200}
TEAM_WRITERS = signed_in(404, supervisor=200, supervisee=403, senior_manager=403)

# Anyone with a current supervisor gives feedback on it (Q4).
FEEDBACK_GIVERS = {
    "supervisee": 200,
    "other_supervisee": 200,
    "supervisor": 200,
    "other_team_supervisor": 200,
}

# Subject access: the person themself, or information governance with a reason (see
# tests/access/test_subject_access.py); never an administrator,
# who is told so (403).
SUBJECT_ACCESS = signed_in(
    404, supervisee=200, admin=403, supervisor=403, senior_manager=403, auditor_with_grant=403
)

# Children's cases: the allocated worker, the worker's supervisors and the
# managers above read; the worker may rate risk; only management writes oversight. A grant over
# the worker's staff file does not reach the children.
CASE_READERS = signed_in(404, supervisee=200, supervisor=200, senior_manager=200)
CASE_MANAGERS = signed_in(404, supervisor=200, senior_manager=200, supervisee=403)
CASE_MANAGERS_REDIRECTED = signed_in(404, supervisor=302, senior_manager=302, supervisee=403)
# Who leads the team's case work: group supervision and the case progression board.
TEAM_CASE_LEADERS = signed_in(404, supervisor=200, senior_manager=200)
TEAM_LEADERS = {
    "supervisor": 200,
    "other_team_supervisor": 200,
    "senior_manager": 200,
    "other_senior_manager": 200,
}

# The roles the organisation makes use a second factor, by default.
WITH_APP = (
    "senior_manager",
    "other_senior_manager",
    "auditor_with_grant",
    "auditor_without_grant",
    "admin",
)

# name -> (kwargs from the world, expected status by role) for GET.
GET = {
    "home": (None, signed_in(200)),
    "sign-in": (None, signed_in(302, anonymous=200)),
    "sign-out": (None, everyone(405)),
    "keep-alive": (None, everyone(405)),
    "health": (None, everyone(200)),
    # Setting one's own password with an emailed link, and asking for one: open to all. A link
    # that does not work shows a page saying so.
    "password-forgotten": (None, everyone(200)),
    "password-forgotten-sent": (None, everyone(200)),
    "password-set": (lambda world: {"uidb64": "MQ", "token": "no-such-token"}, everyone(200)),
    "password-set-done": (None, everyone(200)),
    "invitation": (lambda world: {"uidb64": "MQ", "token": "no-such-token"}, everyone(200)),
    # Signing in and one's own security (django-allauth's pages). Those who must use a second
    # factor have an authenticator app (tests/world.py); a page that changes one's security
    # first sends to "confirm it is you" (302), since the matrix signs in without a password.
    "account_login": (None, signed_in(302, anonymous=200)),
    "account_logout": (None, everyone(405)),
    "account_reauthenticate": (None, signed_in(200)),
    "mfa_index": (None, signed_in(200)),
    "mfa_authenticate": (None, everyone(302)),  # no sign-in waiting for a code
    "mfa_reauthenticate": (None, signed_in(302, **dict.fromkeys(WITH_APP, 200))),
    "mfa_activate_totp": (None, everyone(302)),
    "mfa_deactivate_totp": (None, signed_in(404, **dict.fromkeys(WITH_APP, 302))),
    "mfa_view_recovery_codes": (None, signed_in(404)),
    "mfa_generate_recovery_codes": (None, everyone(302)),
    "mfa_download_recovery_codes": (None, signed_in(404)),
    "mfa_list_webauthn": (None, signed_in(200)),
    "mfa_add_webauthn": (None, everyone(302)),
    "mfa_reauthenticate_webauthn": (None, everyone(302)),
    "mfa_remove_webauthn": (lambda world: {"pk": 999999}, everyone(302)),
    "mfa_edit_webauthn": (lambda world: {"pk": 999999}, everyone(302)),
    "usersessions_list": (None, signed_in(200)),
    "security-key-options": (None, signed_in(200)),
    # Single sign-on is not configured here: its addresses find nothing.
    "council_sso_login": (lambda world: {"provider_id": "work-account"}, everyone(404)),
    "council_sso_callback": (lambda world: {"provider_id": "work-account"}, everyone(404)),
    "socialaccount_login_cancelled": (None, everyone(200)),
    "socialaccount_login_error": (None, everyone(401)),
    "my-team": (
        None,
        only(
            {
                "supervisor": 200,
                "other_team_supervisor": 200,
                "senior_manager": 200,
                "other_senior_manager": 200,
            }
        ),
    ),
    "staff-file": (
        the_supervisee,
        signed_in(
            404,
            supervisee=200,
            supervisor=200,
            senior_manager=200,
            auditor_with_grant=200,
        ),
    ),
    "file-access-log": (
        the_supervisee,
        signed_in(
            404,
            supervisee=403,
            supervisor=403,
            senior_manager=200,
            auditor_with_grant=200,
        ),
    ),
    "organisation": (None, only({"admin": 200})),
    "change-supervisor": (the_supervisee, only({"admin": 200})),
    "mark-left": (the_supervisee, only({"admin": 200})),
    "person-add": (None, only({"admin": 200})),
    "person-edit": (the_supervisee, only({"admin": 200})),
    "person-send-link": (the_supervisee, everyone(405)),
    "unit-add": (None, only({"admin": 200})),
    "unit-edit": (the_service, only({"admin": 200})),
    "audit-log": (
        None,
        only(
            {
                "senior_manager": 200,
                "other_senior_manager": 200,
                "auditor_with_grant": 200,
                "auditor_without_grant": 200,
            }
        ),
    ),
    "admin:index": (None, signed_in(302, admin=200)),
    "session": (the_session, signed_in(404, **READERS)),
    "agenda-add": (the_session, everyone(405)),
    "record-start": (the_session, everyone(405)),
    "record": (the_session, signed_in(404, **READERS)),
    "record-section": (the_section, SUPERVISOR_WRITES),
    "record-write-up": (the_session, SUPERVISOR_WRITES),
    "record-section-autosave": (the_section, everyone(405)),
    "decision-add": (the_session, SUPERVISOR_WRITES),
    "record-next-session": (the_session, SUPERVISOR_WRITES),
    "action-add": (the_session, SUPERVISOR_WRITES),
    "action-review": (the_action, everyone(405)),
    "action-done": (the_own_action, everyone(405)),
    "disagreement-add": (the_session, EITHER_PARTY),
    "disagreement-sign": (the_disagreement, EITHER_PARTY),
    # Either party escalates; other readers of the record may not (403).
    "disagreement-escalate": (the_disagreement, EITHER_PARTY),
    "concerns": (None, STAFF),
    "concern-new": (None, STAFF),
    "concern": (the_concern, CONCERN_READERS),
    "concern-add": (the_concern, CONCERN_SUPERVISEE),
    "concern-answer": (the_concern, CONCERN_MANAGER),
    "concern-withdraw": (the_concern, CONCERN_SUPERVISEE),
    "record-share": (the_session, everyone(405)),
    "record-sign": (the_session, SUPERVISEE_ACTS),
    "record-amend": (the_session, SUPERVISEE_ACTS),
    "record-finalise": (the_session, SUPERVISOR_WRITES),
    "addendum-add": (the_session, EITHER_PARTY),
    "person-sessions": (the_supervisee, signed_in(404, **READERS)),
    "plan-sessions": (the_supervisee, SUPERVISOR_WRITES),
    "session-record-past": (the_supervisee, SUPERVISOR_WRITES),
    "cancel-session": (the_session, SUPERVISOR_WRITES),
    "move-session": (the_session, SUPERVISOR_WRITES),
    "session-outcome": (the_session, SUPERVISOR_WRITES),
    "session-calendar": (the_session, signed_in(404, **READERS)),
    "record-pdf": (the_session, signed_in(404, **READERS)),
    # Attachments: written with the record, read (downloaded) with it.
    "record-attachments": (the_session, SUPERVISOR_WRITES),
    "record-attachment": (the_record_attachment, signed_in(404, **READERS)),
    "record-attachment-remove": (the_record_attachment, signed_in(405)),
    "record-verify": (the_record, signed_in(404, **READERS)),
    "relationship-agreements": (the_relationship, signed_in(404, **READERS)),
    "agreement-new": (the_relationship, EITHER_PARTY | {"supervisee": 302, "supervisor": 302}),
    "agreement": (the_agreement, signed_in(404, **READERS)),
    "agreement-edit": (the_agreement, EITHER_PARTY),
    "agreement-sign": (the_agreement, EITHER_PARTY),
    "agreement-withdraw": (the_agreement, everyone(405)),
    "agreement-review": (the_agreement, everyone(405)),
    "agreement-pdf": (the_agreement, signed_in(404, **READERS)),
    "retention-candidates": (None, only({"admin": 200})),
    "retention-rules": (None, only({"admin": 200})),
    "legal-holds": (None, only({"admin": 200})),
    "legal-hold-lift": (the_hold, only({"admin": 200})),
    "retention-destroy": (the_candidate, only({"admin": 200})),
    # Children's case notes past retention: administrators, who see references and counts.
    "case-notes-due": (None, only({"admin": 200})),
    "case-notes-destroy": (the_case_notes_due, only({"admin": 200})),
    "case-note-holds": (None, only({"admin": 200})),
    "case-note-hold-lift": (the_case_note_hold, only({"admin": 200})),
    "subject-access": (the_supervisee, SUBJECT_ACCESS),
    # Finding whom a request is about: information governance only.
    "subject-access-requests": (None, signed_in(403)),
    "subject-access-progress": (the_export, SUBJECT_ACCESS),
    "subject-access-download": (the_export, SUBJECT_ACCESS),
    "subject-access-try-again": (the_export, signed_in(405)),
    "person-observations": (the_supervisee, signed_in(404, **READERS)),
    "observation-new": (the_supervisee, SUPERVISOR_WRITES),
    "observation": (the_observation, signed_in(404, **READERS)),
    "observation-edit": (the_observation, SUPERVISOR_WRITES),
    "observation-sign": (the_observation, SUPERVISOR_WRITES),
    "observation-respond": (the_observation, SUPERVISEE_ACTS),
    "person-development": (the_supervisee, signed_in(404, **READERS)),
    "development-new": (the_supervisee, SUPERVISOR_WRITES),
    "development-conversation": (the_conversation, signed_in(404, **READERS)),
    "development-edit": (the_conversation, SUPERVISOR_WRITES),
    "development-sign": (the_conversation, EITHER_PARTY),
    "development-take-over": (the_conversation, everyone(405)),
    "person-probation": (the_supervisee, signed_in(404, **READERS)),
    "probation-review": (the_probation_month, SUPERVISOR_WRITES),
    "person-wellbeing": (the_supervisee, signed_in(404, **READERS)),
    "wellbeing-review": (the_supervisee, SUPERVISOR_WRITES),
    "team-wellbeing": (the_team, signed_in(404, **TEAM_READERS)),
    "team-wellbeing-review": (the_team, TEAM_WRITERS),
    "feedback": (None, only(FEEDBACK_GIVERS)),
    "feedback-report": (None, only({"senior_manager": 200, "other_senior_manager": 200})),
    "caseload-mine": (None, everyone(302)),
    "caseload": (the_supervisee, CASE_READERS),
    "caseload-discuss": (the_supervisee, everyone(405)),
    "caseload-print": (the_supervisee, CASE_READERS),
    "child-find": (None, signed_in(200)),
    "child-new": (None, only(TEAM_LEADERS)),
    "child": (the_child, CASE_READERS),
    "child-edit": (the_child, CASE_MANAGERS),
    "child-risk": (the_child, CASE_READERS),
    "child-family": (the_child, CASE_MANAGERS),
    "child-transfer": (the_child, CASE_MANAGERS),
    "child-transfer-detail": (the_transfer, CASE_READERS),
    "child-transfer-complete": (the_transfer, CASE_MANAGERS),
    "child-transfer-cancel": (the_transfer, signed_in(405)),
    "child-close": (the_child, CASE_MANAGERS),
    "case-note-new": (the_child, CASE_MANAGERS),
    "case-note": (the_case_note, CASE_READERS),
    "case-note-edit": (the_case_note, CASE_MANAGERS),
    "case-note-autosave": (the_case_note, signed_in(405)),
    "case-note-action-add": (the_case_note, signed_in(405)),
    "case-note-action-remove": (the_case_note_action, signed_in(405)),
    "case-note-action-status": (the_case_note_action, signed_in(405)),
    "case-note-finalise": (the_case_note, CASE_MANAGERS),
    "case-note-pdf": (the_case_note, CASE_READERS),
    "case-note-attachments": (the_case_note, CASE_MANAGERS),
    "case-note-attachment": (the_case_note_attachment, CASE_READERS),
    "case-note-attachment-remove": (the_case_note_attachment, signed_in(405)),
    "child-extract": (the_child, CASE_READERS),
    # Without a format chosen the download is refused as bad input (400).
    "child-extract-download": (
        the_child,
        signed_in(404, supervisee=400, supervisor=400, senior_manager=400),
    ),
    "group-sessions": (the_team, TEAM_CASE_LEADERS),
    "group-session-new": (the_team, TEAM_CASE_LEADERS),
    "group-session": (the_group_session, TEAM_CASE_LEADERS | {"supervisee": 200}),
    "progression-board": (the_team, TEAM_CASE_LEADERS),
    "progression-move": (the_child, signed_in(405)),
    # Front-door supervision is the supervisee's own supervision, on their staff file.
    "front-door-sessions": (the_supervisee, signed_in(404, **READERS)),
    "front-door-new": (the_supervisee, SUPERVISOR_WRITES),
    "front-door-session": (the_front_door, signed_in(404, **READERS)),
    "session-case-notes": (the_case_session, CASE_READERS),
    "policy-packs": (None, only({"admin": 200})),
    "notification-settings": (None, signed_in(200)),
    # A supervisor's absences (S5) are recorded by the line above them, never by themselves.
    "supervisor-absences": (
        lambda world: {"person_id": world.supervisor.pk},
        signed_in(404, senior_manager=200, supervisor=403),
    ),
    "import-upload": (None, only({"admin": 200})),
    "import-confirm": (None, everyone(405)),
    "api-service-accounts": (None, only({"admin": 200})),
    "api-service-account-new": (None, only({"admin": 200})),
    "api-service-account": (the_service_account, only({"admin": 200})),
    "api-service-account-switch-off": (the_service_account, only({"admin": 405})),
    "api-token-revoke": (the_api_token, only({"admin": 200})),
    **API_ROUTES,
    "api-v1-schema": (None, everyone(200)),
    "api-v1-docs": (None, everyone(200)),
    "api-no-such-route": (None, everyone(404)),
    "policy-pack-version": (lambda world: {"code": "kent", "version": 1}, only({"admin": 200})),
    "policy-pack-edit": (lambda world: {"code": "kent"}, only({"admin": 200})),
    # The dashboard: managers of a unit (not teams' supervisors, not administrators).
    "dashboard": (None, only(MANAGERS_REDIRECTED)),
    "dashboard-unit": (the_service, only(SERVICE_MANAGER)),
    "dashboard-items": (
        lambda world: {**the_service(world), "measure": "session_overdue"},
        only(SERVICE_MANAGER),
    ),
    "dashboard-person": (the_supervisee, only(SERVICE_MANAGER)),
    "dashboard-person-items": (
        lambda world: {**the_supervisee(world), "measure": "action_overdue"},
        only(SERVICE_MANAGER),
    ),
    # No unit asked for: the page names the missing parameter (400) for those with a reach.
    "export-table": (
        lambda world: {"table": "dashboard-figures", "file_format": "csv"},
        only({"senior_manager": 400, "other_senior_manager": 400}),
    ),
    # Quality assurance: senior managers and auditors; a sample is its drawer's and their
    # managers' (the other service's manager and the auditors: 404).
    "quality-samples": (None, only(QA_PEOPLE)),
    "quality-sample-new": (None, only(QA_PEOPLE)),
    "quality-sample": (the_quality_sample, only(QA_SAMPLE)),
    "quality-review": (world_quality_sample, only(QA_SAMPLE)),
    # A download being built is its requester's alone.
    "export-status": (the_table_export, signed_in(404, senior_manager=200)),
    "export-progress": (the_table_export, signed_in(404, senior_manager=200)),
    "export-download": (the_table_export, signed_in(404, senior_manager=404)),
    "export-try-again": (the_table_export, signed_in(405)),
}

# Writes: name -> (kwargs, data, expected status by role) for POST.
POST = {
    "sign-out": (None, {}, everyone(302)),
    # Trying failed work again: its requester's alone, as every page of it.
    "export-try-again": (the_table_export, {}, signed_in(404, senior_manager=302)),
    "subject-access-try-again": (
        the_export,
        {},
        signed_in(
            404,
            supervisee=302,
            admin=403,
            supervisor=403,
            senior_manager=403,
            auditor_with_grant=403,
        ),
    ),
    "keep-alive": (None, {}, signed_in(204)),
    # No address given: the page comes back with its error.
    "password-forgotten": (None, {}, everyone(200)),
    "change-supervisor": (the_supervisee, {}, only({"admin": 200})),
    "mark-left": (the_supervisee, {}, only({"admin": 200})),
    # No details given: the page comes back with its errors, and nothing is written.
    "person-add": (None, {}, only({"admin": 200})),
    "person-edit": (the_supervisee, {}, only({"admin": 200})),
    "unit-add": (None, {}, only({"admin": 200})),
    "unit-edit": (the_service, {}, only({"admin": 200})),
    "person-send-link": (the_supervisee, {}, only({"admin": 302})),
    "agenda-add": (
        the_session,
        {"text": "Item"},
        signed_in(404, supervisee=302, supervisor=302, senior_manager=403, auditor_with_grant=403),
    ),
    "record-start": (
        the_session,
        {},
        signed_in(404, supervisor=302, supervisee=403, senior_manager=403, auditor_with_grant=403),
    ),
    "record-section-autosave": (
        the_section,
        {"text": "x"},
        signed_in(404, supervisor=400, supervisee=403, senior_manager=403, auditor_with_grant=403),
    ),
    # Nothing posted: the form says what is missing; nothing is booked.
    "record-next-session": (the_session, {}, SUPERVISOR_WRITES),
    # The supervisee's own action: refused with a message while the record is a draft.
    "action-done": (the_own_action, {}, signed_in(404, supervisee=302)),
    "action-review": (
        the_action,
        {"outcome": "done"},
        signed_in(404, supervisor=302, supervisee=403, senior_manager=403, auditor_with_grant=403),
    ),
    # No file chosen: the page comes back with "Select a file"; nothing is stored.
    "record-attachments": (the_session, {}, SUPERVISOR_WRITES),
    "record-attachment-remove": (
        the_record_attachment,
        {},
        signed_in(404, supervisor=302, supervisee=403, senior_manager=403, auditor_with_grant=403),
    ),
    "record-share": (
        the_session,
        {},
        signed_in(404, supervisor=302, supervisee=403, senior_manager=403, auditor_with_grant=403),
    ),
    "plan-sessions": (the_supervisee, {}, SUPERVISOR_WRITES),
    # Empty forms come back with their errors; nothing is raised, added or answered.
    "disagreement-escalate": (the_disagreement, {}, EITHER_PARTY),
    "concern-new": (None, {}, STAFF),
    "concern-add": (the_concern, {}, CONCERN_SUPERVISEE),
    "concern-answer": (the_concern, {}, CONCERN_MANAGER),
    # A reason to withdraw is optional: it is withdrawn, and back to its page.
    "concern-withdraw": (the_concern, {}, CONCERN_SUPERVISEE | {"supervisee": 302}),
    "concerns": (None, {}, signed_in(405, anonymous=302)),
    "concern": (the_concern, {}, signed_in(405, anonymous=302)),
    "session-record-past": (the_supervisee, {}, SUPERVISOR_WRITES),
    "cancel-session": (the_session, {}, SUPERVISOR_WRITES),
    "move-session": (the_session, {}, SUPERVISOR_WRITES),
    "session-outcome": (the_session, {}, SUPERVISOR_WRITES),
    "record-verify": (the_record, {}, signed_in(404, **READERS)),
    "agreement-withdraw": (
        the_agreement,
        {},
        EITHER_PARTY | {"supervisee": 302, "supervisor": 302},
    ),
    "agreement-review": (the_agreement, {}, EITHER_PARTY | {"supervisee": 302, "supervisor": 302}),
    # An empty or wrong-password form comes back as the page with its errors (200).
    "observation-new": (the_supervisee, {}, SUPERVISOR_WRITES),
    "observation-sign": (the_observation, {"password": "wrong"}, SUPERVISOR_WRITES),
    "observation-respond": (the_observation, {"password": "wrong"}, SUPERVISEE_ACTS),
    "development-new": (the_supervisee, {}, SUPERVISOR_WRITES),
    "development-sign": (the_conversation, {"password": "wrong"}, EITHER_PARTY),
    # Refused with a message for one still held by a manager who can sign it: back to its page.
    "development-take-over": (
        the_conversation,
        {},
        signed_in(404, supervisor=302, supervisee=403, senior_manager=403, auditor_with_grant=403),
    ),
    "probation-review": (the_probation_month, {}, SUPERVISOR_WRITES),
    "wellbeing-review": (the_supervisee, {}, SUPERVISOR_WRITES),
    "team-wellbeing-review": (the_team, {}, TEAM_WRITERS),
    "feedback": (None, {}, only(FEEDBACK_GIVERS)),
    "feedback-report": (None, {}, everyone(405, anonymous=405)),
    # Invalid forms re-render with 200: nothing is destroyed, held or lifted.
    "retention-destroy": (the_candidate, {"confirm_name": "wrong"}, only({"admin": 200})),
    "retention-rules": (None, {}, only({"admin": 200})),
    "legal-holds": (None, {}, only({"admin": 200})),
    "legal-hold-lift": (the_hold, {}, only({"admin": 200})),
    "case-notes-destroy": (
        the_case_notes_due,
        {"confirm_reference": "wrong"},
        only({"admin": 200}),
    ),
    "case-note-holds": (None, {}, only({"admin": 200})),
    "case-note-hold-lift": (the_case_note_hold, {}, only({"admin": 200})),
    "subject-access": (
        the_supervisee,
        {},
        signed_in(
            404,
            supervisee=302,
            admin=403,
            supervisor=403,
            senior_manager=403,
            auditor_with_grant=403,
        ),
    ),
    "record-finalise": (
        the_session,
        {"password": "wrong"},
        signed_in(404, supervisor=200, supervisee=403, senior_manager=403, auditor_with_grant=403),
    ),
    "caseload-discuss": (the_supervisee, {}, CASE_MANAGERS_REDIRECTED),
    "child-new": (None, {}, only(TEAM_LEADERS)),
    "child-edit": (the_child, {}, CASE_MANAGERS),
    # An empty rating form changes nothing and goes back to the child: the worker rates too.
    "child-risk": (
        the_child,
        {},
        signed_in(404, supervisee=302, supervisor=302, senior_manager=302),
    ),
    "child-family": (the_child, {}, CASE_MANAGERS),
    "child-transfer": (the_child, {}, CASE_MANAGERS),
    # Before its planned date a transfer cannot complete: the page says so (200).
    "child-transfer-complete": (the_transfer, {}, CASE_MANAGERS),
    "child-transfer-cancel": (the_transfer, {}, CASE_MANAGERS_REDIRECTED),
    "child-close": (the_child, {}, CASE_MANAGERS),
    "case-note-new": (the_child, {}, CASE_MANAGERS),
    "case-note-edit": (the_case_note, {}, CASE_MANAGERS),
    "case-note-autosave": (
        the_case_note,
        {},
        signed_in(404, supervisor=400, senior_manager=400, supervisee=403),
    ),
    "case-note-action-add": (the_case_note, {}, CASE_MANAGERS),
    "case-note-action-remove": (the_case_note_action, {}, CASE_MANAGERS_REDIRECTED),
    # A draft's action is not progressed: back to the note with a message, nothing changed.
    "case-note-action-status": (
        the_case_note_action,
        {"status": "done"},
        CASE_MANAGERS_REDIRECTED | {"supervisee": 302},
    ),
    "case-note-finalise": (the_case_note, {"password": "wrong"}, CASE_MANAGERS),
    # No file chosen: the page comes back with "Select a file"; nothing is stored.
    "case-note-attachments": (the_case_note, {}, CASE_MANAGERS),
    "case-note-attachment-remove": (the_case_note_attachment, {}, CASE_MANAGERS_REDIRECTED),
    "group-session-new": (the_team, {}, TEAM_CASE_LEADERS),
    "group-session": (
        the_group_session,
        {"reference": "NS100001"},
        signed_in(404, supervisor=302, senior_manager=302, supervisee=403),
    ),
    "progression-move": (the_child, {"to_stage": "2"}, CASE_MANAGERS_REDIRECTED),
    "front-door-new": (the_supervisee, {}, SUPERVISOR_WRITES),
    # An empty form comes back with its errors; only administrators reach it at all.
    "policy-packs": (None, {}, only({"admin": 200})),
    # Everyone sets only their own preference: an empty form comes back with its error.
    "notification-settings": (None, {}, signed_in(200)),
    "supervisor-absences": (
        lambda world: {"person_id": world.supervisor.pk},
        {
            "form": "record",
            "starts_on_0": "2",
            "starts_on_1": "3",
            "starts_on_2": "2026",
            "reason": "Leave",
        },
        signed_in(404, senior_manager=302, supervisor=403),
    ),
    # Nothing uploaded: the page comes back with its error.
    "import-upload": (None, {}, only({"admin": 200})),
    # An empty form comes back with its errors; a revocation and a switching off go back to
    # the account's page.
    "api-service-account-new": (None, {}, only({"admin": 200})),
    "api-service-account": (the_service_account, {}, only({"admin": 200})),
    "api-service-account-switch-off": (the_service_account, {}, only({"admin": 302})),
    "api-token-revoke": (the_api_token, {}, only({"admin": 302})),
    # Nothing checked yet: back to the upload page.
    "import-confirm": (None, {}, only({"admin": 302})),
    "policy-pack-edit": (lambda world: {"code": "kent"}, {}, only({"admin": 200})),
    **{
        name: (kwargs, {}, signed_in(405, anonymous=302))
        for name, (kwargs, _) in GET.items()
        if name.startswith(("dashboard", "export-")) and name != "export-try-again"
    },
    "quality-samples": (None, {}, everyone(405)),
    "quality-sample": (the_quality_sample, {}, everyone(405)),
    # An empty form comes back with its errors.
    "quality-sample-new": (None, {}, only(QA_PEOPLE)),
    "quality-review": (world_quality_sample, {}, only(QA_SAMPLE)),
}


def url_names(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def project_url_names():
    # Django admin pages are covered below, one changelist per registered model.
    return {name for name in url_names() if not name.startswith("admin:")} | {"admin:index"}


def test_every_url_has_expectations():
    assert project_url_names() == set(GET), "add the new URL to GET (and POST if it writes)"


def test_every_expectation_names_every_role():
    for name, (_, expected) in GET.items():
        assert set(expected) == set(ROLES), name
    for name, (_, _, expected) in POST.items():
        assert set(expected) == set(ROLES), name


@pytest.fixture(scope="module")
def module_media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, module_media):
    """The files the organisation was built with (a subject access export) stay readable: one
    folder for the module, where conftest's gives each test its own."""
    settings.MEDIA_ROOT = module_media


@pytest.fixture(scope="module")
def kept_world(django_db_setup, django_db_blocker, module_media):
    """One organisation for the whole matrix, built once: each test runs in a savepoint, so
    what one test writes is gone before the next."""
    with kept_for_the_module(django_db_blocker), override_settings(MEDIA_ROOT=module_media):
        with time_machine.travel(TODAY, tick=False):
            world = build_world(development=True, retention=True)
        yield world


@pytest.fixture
def world(kept_world, db):
    # A copy per test, as setUpTestData gives, so no test sees another's objects in memory.
    return copy.deepcopy(kept_world)


def as_role(client, world, role):
    if role != "anonymous":
        client.force_login(world.people[role])
    return client


def resolve(name, kwargs_from, world):
    return reverse(name, kwargs=kwargs_from(world) if kwargs_from else None)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(GET))
def test_get(client, world, name, role):
    kwargs_from, expected = GET[name]
    with time_machine.travel(TODAY, tick=False):
        response = as_role(client, world, role).get(resolve(name, kwargs_from, world))
    assert response.status_code == expected[role], f"GET {name} as {role}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(POST))
def test_post(client, world, name, role):
    kwargs_from, data, expected = POST[name]
    with time_machine.travel(TODAY, tick=False):
        response = as_role(client, world, role).post(resolve(name, kwargs_from, world), data)
    assert response.status_code == expected[role], f"POST {name} as {role}"


@pytest.mark.parametrize("role", ROLES)
def test_django_admin_is_for_administrators_only(client, world, role):
    as_role(client, world, role)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == (200 if role == "admin" else 302), f"{url} as {role}"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_ids_typed_into_urls_find_nothing(client, world, role):
    as_role(client, world, role)
    with time_machine.travel(TODAY, tick=False):
        for bad in ["999999", "0", "-1", "abc", "1%20OR%201=1"]:
            for url in [
                "/people/{}/",
                "/people/{}/access/",
                "/sessions/{}/",
                "/sessions/{}/record/",
                "/sessions/{}/record.pdf",
                "/people/{}/sessions/",
            ]:
                assert client.get(url.format(bad)).status_code == 404, url.format(bad)


@pytest.mark.parametrize(
    "role",
    [
        "supervisee",
        "supervisor",
        "senior_manager",
        "auditor_with_grant",
        "auditor_without_grant",
        "admin",
    ],
)
def test_the_other_teams_files_are_not_found(client, world, role):
    as_role(client, world, role)
    with time_machine.travel(TODAY, tick=False):
        for outsider in (world.other_supervisee, world.other_team_supervisor):
            assert client.get(f"/people/{outsider.pk}/").status_code == 404
            assert client.get(f"/people/{outsider.pk}/access/").status_code == 404


def test_a_signed_in_person_is_sent_home_from_the_sign_in_page(client, world):
    client.force_login(world.supervisee)
    assert client.get("/sign-in/")["Location"] == "/"
