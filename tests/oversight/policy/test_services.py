"""Policy packs run by administrators: which pack the organisation runs, each
version in words, and a new version through a validated form that applies from its effective
date, so a report for an earlier date still uses the version then in force."""

import copy
import html
import json
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from oversight.models import OrganisationPolicy, PolicyPackVersion
from oversight.policy import services as pack_services
from oversight.policy.choice import pack_on
from oversight.web.forms_packs import PackVersionForm
from supervision.models import StaffProfile
from supervision.models.audit import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
LIST = "/admin-tools/policy/"
KENT_1 = "/admin-tools/policy/kent/1/"
KENT_EDIT = "/admin-tools/policy/kent/new-version/"


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


class Person:
    """A browser for one person: signs in on each visit, since sessions expire when idle."""

    def __init__(self, user=None):
        self.client = Client()
        self.user = user

    def get(self, url):
        with time_machine.travel(DAY, tick=False):
            if self.user:
                self.client.force_login(self.user)
            return self.client.get(url)

    def post(self, url, data=None, follow=False):
        with time_machine.travel(DAY, tick=False):
            if self.user:
                self.client.force_login(self.user)
            return self.client.post(url, data or {}, follow=follow)


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def error_summary(response) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', text(response))
    assert match, "no error summary on the page"
    return match.group(0)


def field_error(response, field) -> str:
    """The errors shown beside one field, as one string."""
    found = re.findall(
        rf'<span id="id_{field}_\d+_error" class="govuk-error-message"> '
        r'<span class="govuk-visually-hidden">Error:</span>(.*?)</span>',
        text(response),
    )
    assert found, f"no error beside {field}"
    return " ".join(message.strip() for message in found)


def kent_v1() -> dict:
    return copy.deepcopy(PolicyPackVersion.objects.get(code="kent", version=1).data)


def form_data(day=date(2026, 4, 1), **overrides) -> dict:
    """What the new-version page posts when nothing is changed but the date and the reason."""
    form = PackVersionForm(base=kent_v1(), today=DAY.date())
    data = {
        "effective_from_0": str(day.day),
        "effective_from_1": str(day.month),
        "effective_from_2": str(day.year),
        "reason": "Cabinet decision of 2 March 2026",
    }
    for name in form.fields:
        if name in ("effective_from", "reason"):
            continue
        value = form.initial.get(name)
        data[name] = "" if value is None else value
    data.update(overrides)
    return data


def versions() -> list[tuple[int, date]]:
    return list(
        PolicyPackVersion.objects.filter(code="kent")
        .order_by("version")
        .values_list("version", "effective_from")
    )


# Who may use the pages


def test_the_organisation_runs_kent_by_default(world):
    assert OrganisationPolicy.objects.get().pack_code == "kent"
    assert pack_on(DAY.date()).code == "kent"


def test_an_administrator_sees_the_packs_their_versions_and_which_runs(world):
    page = text(Person(world.admin).get(LIST))
    assert "Choose and change the supervision policy" in page
    assert (
        "The organisation runs <strong>Kent County Council</strong>: version 1, in force "
        "since 1 January 2024" in page
    )
    for name in ("Kent County Council", "Surrey County Council", "Supervision policy 002"):
        assert name in page
    assert 'href="/admin-tools/policy/kent/1/"' in page
    assert 'href="/admin-tools/policy/surrey/1/"' in page
    assert 'href="/admin-tools/policy/kent/new-version/"' in page
    assert "Shipped with the service" in page
    assert re.search(r'type="radio"[^>]*value="kent"[^>]*checked', page)


def test_a_version_is_shown_in_words_with_its_notes(world):
    page = text(Person(world.admin).get(KENT_1))
    assert "Check the rules of this version" in page
    assert "Applies from 1 January 2024" in page
    # F2 phases, read out
    assert "Every week until 6 weeks after the ASYE start date" in page
    assert "Then every 2 weeks until 6 months after the ASYE start date" in page
    assert "Then every month" in page
    assert "Every week until a date agreed for the person" in page  # F3
    assert "Rolling: no more than a calendar month between sessions" in page
    assert "Ad hoc" not in page.split("Sessions that count as formal supervision")[1][:400]
    assert "2 working days" in page and "5 working days of being shared" in page
    assert "Very high: every 30 days" in page and "Medium: every 60 days" in page
    assert "Not yet rated: treated as High" in page
    assert "24 hours" in page
    # The pack's notes: its choices and their seed citations.
    assert "004 Supervision timescales (F2): weekly for the first six weeks" in page
    assert "The 2 working days of 001 §4.1 (R6) are adopted." in page
    assert "Other notes" not in page, "every note sits beside its setting"


def test_the_new_version_form_starts_from_the_latest_version(world):
    page = text(Person(world.admin).get(KENT_EDIT))
    assert "Make a new version of the policy" in page
    assert re.search(r'name="record_working_days"[^>]*value="2"', page)
    assert re.search(r'name="risk_youth_justice_medium"[^>]*value="60"', page)
    assert '"until_weeks": 6' in page


@pytest.mark.parametrize("code", ["kent", "surrey", "policy-002"])
def test_every_shipped_pack_reads_out_and_opens_for_a_new_version(world, code):
    admin = Person(world.admin)
    page = text(admin.get(f"/admin-tools/policy/{code}/1/"))
    assert "Other notes" not in page, "every note sits beside its setting"
    form = text(admin.get(f"/admin-tools/policy/{code}/new-version/"))
    review = PolicyPackVersion.objects.get(code=code).data["cases"]["review"]["early_help"]
    assert re.search(rf'name="case_review_early_help_every"[^>]*value="{review["every"]}"', form)
    assert re.search(rf'<option value="{review["unit"]}" selected>', form)


def test_surreys_calendar_months_and_three_monthly_case_cycle_read_out(world):
    page = text(Person(world.admin).get("/admin-tools/policy/surrey/1/"))
    assert "Calendar: at least one session in each calendar month" in page
    assert "Children's social work: each child discussed</dt>" in page
    assert "every 3 months" in page
    assert "No risk-graded cycle" in page


@pytest.mark.parametrize(
    "role", ["supervisee", "supervisor", "senior_manager", "auditor_with_grant"]
)
@pytest.mark.parametrize("url", [LIST, KENT_1, KENT_EDIT])
def test_everyone_but_administrators_is_refused(world, role, url):
    person = Person(world.people[role])
    assert person.get(url).status_code == 403
    assert person.post(url, {"pack_code": "surrey"}).status_code == 403
    assert OrganisationPolicy.objects.get().pack_code == "kent"
    assert versions() == [(1, date(2024, 1, 1))]


@pytest.mark.parametrize("url", [LIST, KENT_1, KENT_EDIT])
def test_anonymous_visitors_are_sent_to_sign_in(world, url):
    for response in (Person().get(url), Person().post(url, {"pack_code": "surrey"})):
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_an_unknown_pack_or_version_is_not_found(world):
    admin = Person(world.admin)
    assert admin.get("/admin-tools/policy/kent/9/").status_code == 404
    assert admin.get("/admin-tools/policy/nowhere/1/").status_code == 404
    assert admin.get("/admin-tools/policy/nowhere/new-version/").status_code == 404


# A new version


def test_a_valid_new_version_is_saved_as_the_next_version_from_its_date(world):
    response = Person(world.admin).post(
        KENT_EDIT,
        form_data(
            record_working_days="3",
            **{"case_review_social_work_every": "60", "risk_youth_justice_medium": "45"},
        ),
        follow=True,
    )
    assert response.redirect_chain == [("/admin-tools/policy/kent/2/", 302)]
    assert "Version 2 saved. It applies from 1 April 2026" in text(response)
    assert versions() == [(1, date(2024, 1, 1)), (2, date(2026, 4, 1))]
    row = PolicyPackVersion.objects.get(code="kent", version=2)
    assert row.created_by == world.admin
    assert row.data["version"] == 2 and row.data["effective_from"] == "2026-04-01"
    assert row.data["record_working_days"] == 3
    assert row.data["cases"]["review"]["social_work"] == {"every": 60, "unit": "days"}
    assert row.data["cases"]["risk_review"]["youth_justice"]["levels"]["medium"] == 45
    # The changed settings' notes say why; the rest keep their seed citations.
    notes = row.data["notes"]
    assert notes["record_working_days"] == (
        "Version 2, from 1 April 2026: Cabinet decision of 2 March 2026"
    )
    assert notes["cases.review"].startswith("Version 2, from 1 April 2026")
    assert notes["cases.risk_review.youth_justice"].startswith("Version 2, from 1 April 2026")
    assert notes["signoff_working_days"].startswith("004 Appendix B")
    # Version 1 is as it was.
    assert PolicyPackVersion.objects.get(code="kent", version=1).data == kent_v1()
    entry = AuditEvent.objects.filter(object_type="policy_pack_version").get()
    assert entry.action == AuditAction.WRITE and entry.actor == world.admin
    assert entry.object_id == str(row.pk)
    assert entry.detail["version"] == 2 and entry.detail["effective_from"] == "2026-04-01"
    assert set(entry.detail["changed"]) == {
        "record_working_days",
        "cases.review.social_work.every",
        "cases.risk_review.youth_justice.levels.medium",
    }
    page = text(Person(world.admin).get("/admin-tools/policy/kent/2/"))
    assert "Applies from 1 April 2026" in page and "3 working days" in page
    assert "Version 2, from 1 April 2026: Cabinet decision of 2 March 2026" in page


def test_a_new_version_may_change_when_people_are_reminded(world):
    admin = Person(world.admin)
    form = text(admin.get(KENT_EDIT))
    assert re.search(r'name="reminder_session_days"[^>]*value="3"', form)
    response = admin.post(
        KENT_EDIT, form_data(reminder_session_days="5", reminder_signoff_days="0")
    )
    assert response.status_code == 302
    row = PolicyPackVersion.objects.get(code="kent", version=2)
    assert row.data["reminder_working_days"] == {"session": 5, "record": 1, "signoff": 0}
    assert row.data["notes"]["reminder_working_days"].startswith("Version 2, from 1 April 2026")
    page = text(admin.get("/admin-tools/policy/kent/2/"))
    assert "A session falls due: 5 working days before" in page
    assert "A record is to be written up: 1 working day before" in page
    assert "A record is to be signed off: No reminder" in page


def test_a_negative_number_of_days_before_a_reminder_is_refused_beside_its_field(world):
    response = Person(world.admin).post(KENT_EDIT, form_data(reminder_record_days="-1"))
    assert response.status_code == 200
    page = text(response)
    assert "The working days before a write-up that people are reminded" in page
    assert not PolicyPackVersion.objects.filter(code="kent", version=2).exists()


def test_a_new_version_may_allow_less_frequent_agreements_down_to_a_floor(world):
    response = Person(world.admin).post(
        KENT_EDIT,
        form_data(
            agreement_less_frequent_allowed="yes",
            agreement_floor_every="6",
            agreement_floor_unit="weeks",
        ),
    )
    assert response.status_code == 302
    agreement = PolicyPackVersion.objects.get(code="kent", version=2).data["agreement"]
    assert agreement["less_frequent_allowed"] is True
    assert agreement["floor"] == {"every": 6, "unit": "weeks"}


def test_the_intervals_change_through_the_json(world):
    intervals = kent_v1()["intervals"]
    intervals["manager"]["phases"][0] = {"every": 6, "unit": "weeks"}
    response = Person(world.admin).post(KENT_EDIT, form_data(intervals=json.dumps(intervals)))
    assert response.status_code == 302
    row = PolicyPackVersion.objects.get(code="kent", version=2)
    assert row.data["intervals"]["manager"]["phases"] == [{"every": 6, "unit": "weeks"}]
    assert row.data["notes"]["intervals.manager"].startswith("Version 2, from 1 April 2026")


def phases_out_of_order() -> str:
    intervals = kent_v1()["intervals"]
    intervals["asye"]["phases"][1]["until_months"] = 1  # ends before the 6 weeks of phase 1
    return json.dumps(intervals)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"record_working_days": "-1"},
            "record_working_days",
            "The working days to write up a record must be 0 or more",
        ),
        (
            {"cover_after_days": "0"},
            "cover_after_days",
            "The days before cover is needed must be 1 or more",
        ),
        (
            {"record_working_days": "two"},
            "record_working_days",
            "Enter the working days to write up a record as a whole number",
        ),
        (
            {"case_review_social_work_every": "-90"},
            "case_review_social_work_every",
            "The case review cycle in children's social work must be 1 or more",
        ),
        (
            {"risk_youth_justice_high": "0"},
            "risk_youth_justice_high",
            "The days between discussions at high risk in youth justice must be 1 or more",
        ),
        (
            {"intervals": "PHASES_OUT_OF_ORDER"},
            "intervals",
            "In the intervals, asye.phases[1].until_months: must be after the previous phase",
        ),
        (
            {"intervals": '{"practitioner": '},
            "intervals",
            "Enter the intervals as valid JSON",
        ),
        (
            {"formal_session_types": ["individual", "supervision_by_text"]},
            "formal_session_types",
            "Choose session types from the list: supervision_by_text is not one of them",
        ),
        (
            {"formal_session_types": ["individual", "ad_hoc"]},
            "formal_session_types",
            "Choose session types from the list: ad_hoc is not one of them",
        ),
        (
            {"observations_per_year": "5"},
            "observations_per_year",
            "Practice observations a year must divide the year into whole months (1-4, 6, 12)",
        ),
        (
            {"agreement_less_frequent_allowed": "yes", "agreement_floor_every": ""},
            "agreement_floor_every",
            "The least often an agreement may set: say how infrequent an agreement may go",
        ),
        (
            {"probation_review_months": "4, 1"},
            "probation_review_months",
            "The probation review months must be after the previous review",
        ),
        (
            {"probation_review_months": "month 1"},
            "probation_review_months",
            "Enter the probation review months as whole numbers separated by commas",
        ),
    ],
)
def test_a_broken_value_is_refused_naming_its_field_and_nothing_is_saved(
    world, overrides, field, message
):
    if overrides.get("intervals") == "PHASES_OUT_OF_ORDER":
        overrides = {"intervals": phases_out_of_order()}
    response = Person(world.admin).post(KENT_EDIT, form_data(**overrides))
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert message in error_summary(response)
    assert versions() == [(1, date(2024, 1, 1))]
    assert not AuditEvent.objects.filter(object_type="policy_pack_version").exists()


def test_every_problem_is_named_at_once(world):
    response = Person(world.admin).post(
        KENT_EDIT,
        form_data(
            day=date(2026, 3, 1),
            record_working_days="-1",
            cover_after_days="0",
            intervals=phases_out_of_order(),
        ),
    )
    summary = error_summary(response)
    assert "Enter today's date or a later one" in summary
    assert "write up a record must be 0 or more" in summary
    assert "cover is needed must be 1 or more" in summary
    assert "asye.phases[1].until_months" in summary
    assert versions() == [(1, date(2024, 1, 1))]


def test_a_past_effective_date_is_refused(world):
    response = Person(world.admin).post(KENT_EDIT, form_data(day=date(2026, 3, 4)))
    assert response.status_code == 200
    assert "Enter today's date or a later one" in field_error(response, "effective_from")
    assert versions() == [(1, date(2024, 1, 1))]
    # Today is allowed: the change applies from the start of today.
    response = Person(world.admin).post(
        KENT_EDIT, form_data(day=date(2026, 3, 5), record_working_days="3")
    )
    assert response.status_code == 302
    assert versions()[-1] == (2, date(2026, 3, 5))


def test_a_date_before_the_latest_version_is_refused(world):
    Person(world.admin).post(KENT_EDIT, form_data(day=date(2026, 5, 1), record_working_days="3"))
    response = Person(world.admin).post(
        KENT_EDIT, form_data(day=date(2026, 4, 1), record_working_days="4")
    )
    assert response.status_code == 200
    assert "Enter 1 May 2026 or later: version 2 already applies from then" in field_error(
        response, "effective_from"
    )
    assert versions() == [(1, date(2024, 1, 1)), (2, date(2026, 5, 1))]


def test_a_version_that_changes_nothing_is_refused(world):
    response = Person(world.admin).post(KENT_EDIT, form_data())
    assert response.status_code == 200
    assert "Nothing is different from version 1" in error_summary(response)
    assert versions() == [(1, date(2024, 1, 1))]


def test_the_service_refuses_a_past_date_and_a_broken_pack_too(world):
    data = kent_v1()
    data["signoff_working_days"] = -3
    with pytest.raises(ValidationError) as caught:
        pack_services.pack_version_create("kent", data, date(2026, 3, 1), world.admin)
    assert set(caught.value.message_dict) == {"effective_from", "signoff_working_days"}
    assert versions() == [(1, date(2024, 1, 1))]


def test_a_problem_no_field_holds_goes_to_the_top_with_its_path(world):
    form = PackVersionForm(form_data(), base=kent_v1(), today=DAY.date())
    assert form.is_valid()
    form.add_pack_errors(ValidationError({"cases.group.every": ["must be 1 or more"]}))
    assert form.non_field_errors() == ["cases.group.every: must be 1 or more"]


# The version in force on a day


def test_a_report_for_an_earlier_date_uses_the_version_then_in_force(world):
    Person(world.admin).post(KENT_EDIT, form_data(day=date(2026, 4, 1), record_working_days="3"))
    before, after = pack_on(date(2026, 3, 31)), pack_on(date(2026, 4, 1))
    assert (before.version, before.record_working_days) == (1, 2)
    assert (after.version, after.record_working_days) == (2, 3)
    assert pack_on(date(2025, 6, 1)).version == 1


def test_nobody_waits_past_the_new_versions_first_day_for_a_fresh_look(world):
    later = datetime(2026, 6, 1, tzinfo=UTC)
    sooner = datetime(2026, 3, 10, tzinfo=UTC)
    StaffProfile.objects.filter(user=world.supervisee).update(next_check_at=later)
    StaffProfile.objects.filter(user=world.supervisor).update(next_check_at=sooner)
    Person(world.admin).post(KENT_EDIT, form_data(day=date(2026, 4, 1), record_working_days="3"))
    # Midnight in London on 1 April 2026 (British Summer Time) is 23:00 UTC the day before.
    start = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    assert StaffProfile.objects.get(user=world.supervisee).next_check_at == start
    assert StaffProfile.objects.get(user=world.supervisor).next_check_at == sooner


# Choosing another pack


def test_choosing_another_pack_changes_what_the_organisation_runs_and_is_audited(world):
    StaffProfile.objects.update(next_check_at=datetime(2026, 6, 1, tzinfo=UTC))
    response = Person(world.admin).post(LIST, {"pack_code": "surrey"}, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert OrganisationPolicy.current(DAY.date()).pack_code == "surrey"
    assert pack_on(DAY.date()).code == "surrey"
    # The choice is added, not written over: the day before, the organisation ran Kent's.
    assert pack_on(date(2026, 3, 4)).code == "kent"
    assert list(OrganisationPolicy.objects.values_list("pack_code", flat=True)) == [
        "surrey",
        "kent",
    ]
    entry = AuditEvent.objects.filter(object_type="organisation_policy").get()
    assert entry.action == AuditAction.WRITE and entry.actor == world.admin
    assert entry.detail == {"change": "policy pack chosen", "from": "kent", "to": "surrey"}
    # Everyone is looked at again at the next tick, under the chosen pack's rules.
    assert not StaffProfile.objects.filter(next_check_at__isnull=False).exists()
    page = text(response)
    assert "The organisation now runs Surrey County Council" in page
    assert "The organisation runs <strong>Surrey County Council</strong>" in page


def test_choosing_a_pack_that_does_not_exist_is_refused(world):
    response = Person(world.admin).post(LIST, {"pack_code": "nowhere"})
    assert response.status_code == 200
    assert "Choose one of the policy packs listed" in error_summary(response)
    response = Person(world.admin).post(LIST, {})
    assert "Choose a policy pack" in error_summary(response)
    assert OrganisationPolicy.objects.get().pack_code == "kent"
    assert not AuditEvent.objects.filter(object_type="organisation_policy").exists()


def test_a_report_for_a_day_before_a_switch_uses_the_pack_run_then(world):
    """Kent's youth justice cycle is 30 days at high risk; Surrey has no risk cycle (3 months).
    After switching to Surrey on 5 March, a report as of 4 March still uses Kent's."""
    Person(world.admin).post(LIST, {"pack_code": "surrey"})
    assert (
        pack_on(date(2026, 3, 4)).cases.risk_review != pack_on(date(2026, 3, 5)).cases.risk_review
    )


def test_choosing_the_pack_already_run_changes_nothing(world):
    response = Person(world.admin).post(LIST, {"pack_code": "kent"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(object_type="organisation_policy").exists()


# Queries


@pytest.mark.parametrize(("url", "queries"), [(LIST, 4), (KENT_1, 3), (KENT_EDIT, 3)])
def test_the_pages_run_a_fixed_number_of_queries(world, django_assert_num_queries, url, queries):
    """Session and user (2), roles (1), the session's idle-time refresh (3), the versions (1)
    and, on the list, the organisation's choice (1): the same with three versions as with one."""
    admin = Person(world.admin)

    def count():
        with time_machine.travel(DAY, tick=False):
            admin.client.force_login(world.admin)
            with django_assert_num_queries(queries):
                assert admin.client.get(url).status_code == 200

    count()
    for day, days in ((date(2026, 4, 1), "3"), (date(2026, 5, 1), "4")):
        admin.post(KENT_EDIT, form_data(day=day, record_working_days=days))
    assert len(versions()) == 3
    count()


# Choosing a pack from a day in the past


def choice_data(code, day=None, **extra) -> dict:
    data = {"pack_code": code, **extra}
    if day is not None:
        data.update(
            effective_from_0=str(day.day),
            effective_from_1=str(day.month),
            effective_from_2=str(day.year),
        )
    return data


def test_a_past_date_warns_that_history_will_be_judged_by_the_pack_and_asks_to_confirm(world):
    admin = Person(world.admin)
    response = admin.post(LIST, choice_data("surrey", date(2025, 1, 1)))

    assert response.status_code == 200
    page = text(response)
    assert 'class="govuk-warning-text" id="past-warning"' in page
    assert (
        "History from 1 January 2025 will be judged by Surrey County Council: compliance "
        "reports for every day since are worked out with its rules"
    ) in page
    assert "Yes, judge the history from that date by this pack" in page
    # Nothing chosen yet, and no error: the question is new.
    assert "govuk-error-summary" not in page
    assert list(OrganisationPolicy.objects.values_list("pack_code", flat=True)) == ["kent"]

    # Sent again without ticking the box: an error beside it.
    seen = re.search(r'name="past_seen" value="([^"]*)"', page).group(1)
    response = admin.post(LIST, choice_data("surrey", date(2025, 1, 1), past_seen=seen))
    assert "Select yes to judge the history from that date by this pack" in error_summary(response)
    assert not AuditEvent.objects.filter(object_type="organisation_policy").exists()


def test_a_confirmed_past_date_is_recorded_audited_and_everyone_looked_at_again(world):
    StaffProfile.objects.update(next_check_at=datetime(2026, 6, 1, tzinfo=UTC))
    admin = Person(world.admin)
    seen = f"surrey:{date(2025, 1, 1)}"
    response = admin.post(
        LIST,
        choice_data("surrey", date(2025, 1, 1), past_seen=seen, confirm_past="on"),
        follow=True,
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert "The organisation now runs Surrey County Council from 1 January 2025" in text(response)
    assert pack_on(date(2024, 12, 31)).code == "kent"
    assert pack_on(date(2025, 1, 1)).code == "surrey"
    assert pack_on(DAY.date()).code == "surrey"
    entry = AuditEvent.objects.filter(object_type="organisation_policy").get()
    assert entry.actor == world.admin
    assert entry.detail == {
        "change": "policy pack chosen",
        "from": "kent",
        "to": "surrey",
        "effective_from": "2025-01-01",
    }
    assert not StaffProfile.objects.filter(next_check_at__isnull=False).exists()


def test_a_confirmation_for_another_date_does_not_count(world):
    # Ticked for 1 January, but the date was changed to 1 June: asked again, nothing saved.
    response = Person(world.admin).post(
        LIST,
        choice_data(
            "surrey", date(2025, 6, 1), past_seen=f"surrey:{date(2025, 1, 1)}", confirm_past="on"
        ),
    )
    assert "History from 1 June 2025 will be judged by" in text(response)
    assert list(OrganisationPolicy.objects.values_list("pack_code", flat=True)) == ["kent"]


def test_a_past_choice_replaces_the_choices_made_since_and_says_so(world):
    with time_machine.travel(datetime(2025, 6, 1, 9, tzinfo=UTC), tick=False):
        pack_services.organisation_pack_choose("surrey", world.admin)
    response = Person(world.admin).post(LIST, choice_data("kent", date(2025, 3, 1)))
    assert "This replaces Surrey County Council from 1 June 2025." in text(response)

    Person(world.admin).post(
        LIST,
        choice_data(
            "kent", date(2025, 3, 1), past_seen=f"kent:{date(2025, 3, 1)}", confirm_past="on"
        ),
    )
    assert pack_on(date(2025, 7, 1)).code == "kent"
    entry = AuditEvent.objects.filter(object_type="organisation_policy").latest("pk")
    assert entry.detail["replaced"] == ["surrey from 2025-06-01"]


def test_a_date_to_come_is_refused(world):
    response = Person(world.admin).post(LIST, choice_data("surrey", date(2026, 4, 1)))
    assert "Enter today's date or an earlier one" in error_summary(response)
    with pytest.raises(ValidationError):
        pack_services.organisation_pack_choose(
            "surrey", world.admin, effective_from=date(2999, 1, 1)
        )
    assert list(OrganisationPolicy.objects.values_list("pack_code", flat=True)) == ["kent"]
