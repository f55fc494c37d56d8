from datetime import date

import pytest
from django.core.management import call_command

from casework.models import Child
from demo.organisation import DEMO_ACCOUNTS, DEMO_PASSWORD, email_of, load_demo
from supervision.models import (
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)


def snapshot():
    return {
        "users": list(User.objects.order_by("email").values_list("email", "full_name", "is_staff")),
        "units": list(Unit.objects.values_list("code", "path", "manager__email")),
        "profiles": list(
            StaffProfile.objects.order_by("user__email").values_list(
                "user__email", "job_role__code", "unit__code", "start_date", "probation_end_date"
            )
        ),
        "relationships": list(
            SupervisoryRelationship.objects.order_by("id").values_list(
                "supervisor__email", "supervisee__email", "kind", "starts_on", "ends_on"
            )
        ),
        "children": list(
            Child.objects.values_list("reference", "initials", "allocated_worker__email")
        ),
    }


def test_it_changes_nothing_when_run_again_even_on_a_later_day():
    load_demo(TODAY)
    first = snapshot()
    created = load_demo(date(2026, 4, 1))
    assert set(created.values()) == {0}
    assert snapshot() == first


def test_the_command_lists_one_sign_in_per_role(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    for role, name in DEMO_ACCOUNTS:
        assert role in out and email_of(name) in out


def test_it_has_a_year_of_sessions_in_every_state_with_verifiable_records():
    from supervision.records.canonical import load_record_for_content, record_hash

    load_demo(TODAY)
    sessions = SupervisionSession.objects
    assert set(sessions.values_list("status", flat=True)) == {
        "planned",
        "held",
        "cancelled",
        "did_not_take_place",
    }
    assert sessions.filter(starts_at__date__lt=date(2025, 4, 1)).exists(), "a year back"
    assert sessions.filter(replaces__isnull=False).exists(), "some cancellations rescheduled"
    statuses = set(SupervisionRecord.objects.values_list("status", flat=True))
    assert statuses == {"draft", "shared", "amendment_requested", "supervisee_signed", "finalised"}
    for record in SupervisionRecord.objects.filter(status="finalised")[:20]:
        assert record.content_hash == record_hash(load_record_for_content(record.pk))
    assert not SupervisionRecord.objects.filter(session__status="cancelled").exists()
    from supervision.models import (
        DevelopmentConversation,
        PracticeObservation,
        ProbationReview,
        WellbeingPlan,
    )

    observations = PracticeObservation.objects
    assert observations.filter(signed_by_both_at__isnull=False).exists()
    assert observations.filter(signed_by_both_at__isnull=True).exists(), "some still to sign"
    assert DevelopmentConversation.objects.filter(kind="plan", year=2026).count() >= 10
    assert WellbeingPlan.objects.exists() and ProbationReview.objects.exists()
