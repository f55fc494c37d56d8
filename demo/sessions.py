"""A year of supervision for the demo organisation, with the gaps real teams have: cancelled
sessions rescheduled or not, sessions that did not happen, records late, unsigned, disputed.

Written straight to the database (not through the services) so loading takes seconds: no
password is hashed per signature and no audit entry is written, since nobody did these things.
Runs only when no session exists yet, so a second load changes nothing.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supervision.models import (
    Action,
    AmendmentRequest,
    Decision,
    Disagreement,
    RecordSection,
    RecordTemplate,
    Signature,
    SupervisionFunction,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
)
from supervision.records.canonical import load_record_for_content, record_hash

TEXT = {
    "check-in": [
        "Feeling stretched after two court weeks but sleeping better. Using the flexi time agreed.",
        "Good month. Enjoyed the family group conference. Some worry about a sick parent at home.",
        "Tired after covering duty; we agreed to protect Friday afternoons for recording.",
    ],
    "review-of-actions": [
        "All actions from last time done except the chronology, now due next week.",
        "Training booked; visit to JM completed; the transfer summary is still outstanding.",
    ],
    "workload-performance": [
        "Caseload 18 children (14 families). Visits on time; two assessments running late.",
        "Caseload 21. Recording is up to date. Agreed to allocate no new work for two weeks.",
        "Caseload 16. Strong feedback from the IRO on the plan for AB.",
    ],
    "reflection": [
        "Experience: a hostile visit to the family of KL. Reflection: felt unsafe and unheard. "
        "Analysis: the father's anger rose when the plan felt imposed; the child went quiet. "
        "Plans: a joint visit with the practice manager, and a safety plan for lone visits.",
        "Experience: first strategy discussion chaired. Reflection: anxious but prepared. "
        "Analysis: the police view dominated; the child's voice came late. Plans: open with the "
        "child's words next time.",
    ],
    "support-self-care": [
        "Will use the employee assistance line if the court case is stressful.",
        "Walking at lunchtime twice a week; has asked for a desk by a window.",
    ],
    "learning-development": [
        "Booked onto the neglect toolkit training. Reading on contextual safeguarding.",
        "Shadowing an IRO review next month as part of the development plan.",
    ],
    "any-other-business": ["None.", "Team day on 14th: will present the new assessment form."],
    "wellbeing": ["Wellbeing plan reviewed: stress 4/10, down from 6. Hybrid pattern works."],
    "personal-development": ["Development plan reviewed; on track for progression in spring."],
}
FALLBACK = ["Discussed and agreed.", "Nothing further this month.", "See actions below."]
ACTIONS = [
    "Complete the chronology for {c}",
    "Book the neglect toolkit training",
    "Arrange a joint visit to {c}",
    "Send the transfer summary for {c}",
    "Update the safety plan for lone visits",
    "Read the practice guidance on contextual safeguarding",
]
DECISIONS = [
    ("No new allocations for two weeks", "Two assessments are late and a court statement is due"),
    (
        "Step the plan for {c} down to child in need",
        "Risk reduced over three reviews; family agree",
    ),
    (
        "Request a legal planning meeting for {c}",
        "No progress on the written agreement in 12 weeks",
    ),
]


def _interval_days(role_category: str) -> int:
    # F2/F3: new social workers and students more often than monthly.
    return {"asye": 14, "student": 7}.get(role_category, 28)


@transaction.atomic
def load_session_history(today: date, rng: random.Random | None = None) -> int:
    if SupervisionSession.objects.exists():
        return 0
    rng = rng or random.Random(2026)
    templates = {
        t.session_type: t for t in RecordTemplate.objects.filter(is_current=True, audience="")
    }
    sections_of = {t.pk: list(t.sections.order_by("position")) for t in templates.values()}
    relationships = list(
        SupervisoryRelationship.objects.filter(kind="line")
        .select_related("supervisor", "supervisee__profile__job_role")
        .order_by("supervisee__full_name", "starts_on")
    )
    start_of_history = today - timedelta(days=365)
    created = 0
    for relationship in relationships:
        profile = getattr(relationship.supervisee, "profile", None)
        if profile is None:
            continue
        category = profile.job_role.category
        session_type = {
            "independent": "lado" if profile.job_role.code == "lado" else "iro_cp_chair",
            "manager": "management",
            "senior_manager": "management",
        }.get(category, "individual")
        interval = _interval_days(category)
        first = max(relationship.starts_on, start_of_history)
        last = relationship.ends_on or today + timedelta(days=90)
        day = first + timedelta(days=rng.randint(2, 10))
        while day <= last:
            if day.weekday() >= 5:
                day += timedelta(days=7 - day.weekday())
            created += _one_session(
                rng, relationship, session_type, day, today, templates, sections_of
            )
            # Realistic gaps: some months slip by a week or two.
            day += timedelta(days=interval + (rng.choice([0, 0, 0, 7, 14]) if interval > 14 else 0))
    return created


def _one_session(rng, relationship, session_type, day, today, templates, sections_of) -> int:
    hour = rng.choice([9, 10, 11, 13, 14, 15])
    starts = timezone.make_aware(datetime.combine(day, time(hour)))
    session = SupervisionSession(
        supervisee=relationship.supervisee,
        supervisor=relationship.supervisor,
        session_type=session_type,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=rng.choice([60, 60, 90])),
        mode=rng.choice(["in_person", "in_person", "virtual"]),
        location=rng.choice(["Room 2.14, Civic Centre", "Teams", "Family Centre, Mill Lane"]),
        created_by=relationship.supervisor,
    )
    if day > today:
        session.save()
        return 1
    roll = rng.random()
    if roll < 0.08:
        session.status = SupervisionSession.Status.CANCELLED
        session.cancelled_by = rng.choice([relationship.supervisor, relationship.supervisee])
        session.cancelled_at = starts - timedelta(days=rng.randint(0, 3))
        session.cancellation_reason = rng.choice(
            ["Court hearing moved to this morning", "Sickness", "Emergency strategy meeting"]
        )
        session.save()
        if rng.random() < 0.6:  # rescheduled within the 2 weeks (S4); otherwise a gap
            later = starts + timedelta(days=rng.randint(3, 13))
            replacement = SupervisionSession.objects.create(
                supervisee=session.supervisee,
                supervisor=session.supervisor,
                session_type=session.session_type,
                starts_at=later,
                ends_at=later + (session.ends_at - session.starts_at),
                mode=session.mode,
                location=session.location,
                created_by=session.supervisor,
                replaces=session,
                status="planned" if later.date() > today else "held",
            )
            if later.date() <= today:
                _record(rng, replacement, today, templates, sections_of)
            return 2
        return 1
    if roll < 0.11:
        session.status = SupervisionSession.Status.DID_NOT_TAKE_PLACE
        session.save()
        return 1
    session.status = SupervisionSession.Status.HELD
    if rng.random() < 0.1:
        session.lateness_notes = (
            "Started 20 minutes late: supervisor delayed at a strategy meeting."
        )
    session.save()
    if (today - day).days <= 1 and rng.random() < 0.5:
        return 1  # held yesterday, not yet written up
    _record(rng, session, today, templates, sections_of)
    return 1


def _record(rng, session, today, templates, sections_of):
    template = templates[session.session_type]
    record = SupervisionRecord.objects.create(
        session=session,
        template=template,
        organisation_name=_organisation_name(),
        supervisee_name=session.supervisee.full_name,
        supervisee_role=session.supervisee.profile.job_role.name,
        supervisor_name=session.supervisor.full_name,
        supervisor_role=getattr(getattr(session.supervisor, "profile", None), "job_role", "")
        and session.supervisor.profile.job_role.name,
        **_functions_covered(session),
    )
    child = "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(2))
    RecordSection.objects.bulk_create(
        [
            RecordSection(
                record=record,
                template_section=section,
                text=rng.choice(TEXT.get(section.key, FALLBACK)).replace("{c}", child),
                progress=RecordSection.Progress.COMPLETED,
            )
            for section in sections_of[template.pk]
        ]
    )
    if rng.random() < 0.7:
        decision, reasons = rng.choice(DECISIONS)
        Decision.objects.create(
            record=record, decision=decision.replace("{c}", child), reasons=reasons, position=1
        )
    session_day = timezone.localtime(session.starts_at).date()
    _actions(rng, record, session_day, today, supervisee=session.supervisee, child=child)
    age = (today - session_day).days
    if rng.random() < 0.05:
        Disagreement.objects.create(
            record=record,
            subject="Whether the caseload is manageable",
            supervisee_view="Not at this level: I cannot see every child as often as I should.",
            supervisor_view="It is high but manageable with the two transfers agreed today.",
            supervisee_signed_at=session.ends_at + timedelta(days=1),
            supervisor_signed_at=session.ends_at + timedelta(days=1),
            raised_by=session.supervisee,
        )
    if age <= 4:
        return  # still a draft, inside the two working days
    _share_and_sign(rng, record, session, age)


# How often a demo session covers each function of supervision (R3): management most, mediation
# least, as the councils' own audits tend to find, so the dashboard shows an uneven balance.
FUNCTION_LIKELIHOOD = {"management": 0.9, "support": 0.7, "development": 0.5, "mediation": 0.3}


def _functions_covered(session) -> dict[str, bool]:
    # A generator of its own, seeded by the session: the demo's other choices stay as they were.
    pick = random.Random(f"{session.supervisee.email} {session.starts_at.isoformat()}")
    covered = {code: pick.random() < FUNCTION_LIKELIHOOD[code] for code in FUNCTION_LIKELIHOOD}
    if not any(covered.values()):
        covered[SupervisionFunction.MANAGEMENT] = True
    return {f"covers_{code}": value for code, value in covered.items()}


def _actions(rng, record, session_day, today, *, supervisee, child: str) -> None:
    for position in range(1, rng.randint(1, 3) + 1):
        due = session_day + timedelta(days=rng.choice([7, 14, 21, 28]))
        status = (
            "open"
            if due >= today or rng.random() < 0.25
            else rng.choice(["done", "done", "dropped"])
        )
        Action.objects.create(
            record=record,
            supervisee=supervisee,
            description=rng.choice(ACTIONS).replace("{c}", child),
            owner=rng.choice(["supervisee", "supervisee", "supervisor"]),
            due_date=due,
            status=status,
            status_reason="No longer needed: case closed" if status == "dropped" else "",
            position=position,
        )


def _share_and_sign(rng, record, session, age: int) -> None:
    stage = rng.random()
    shared_at = session.ends_at + timedelta(days=rng.randint(1, 6))
    if age <= 21 and stage < 0.5:
        status = rng.choice(["shared", "amendment_requested", "supervisee_signed", "draft"])
        if status == "amendment_requested":
            AmendmentRequest.objects.create(
                record=record,
                requested_by=session.supervisee,
                comment="Please add that I asked for help with the court statement.",
            )
        if status == "supervisee_signed":
            _sign(record, session.supervisee, "supervisee", shared_at + timedelta(days=1))
        SupervisionRecord.objects.filter(pk=record.pk).update(
            status=status, shared_at=None if status == "draft" else shared_at
        )
        return
    if rng.random() < 0.04:
        SupervisionRecord.objects.filter(pk=record.pk).update(status="shared", shared_at=shared_at)
        return  # long unsigned: the oversight pages should find these
    signed = shared_at + timedelta(days=rng.randint(0, 5))
    content_hash = _sign(record, session.supervisee, "supervisee", signed)
    _sign(record, session.supervisor, "supervisor", signed + timedelta(hours=3))
    SupervisionRecord.objects.filter(pk=record.pk).update(
        status="finalised",
        shared_at=shared_at,
        finalised_at=signed + timedelta(hours=3),
        content_hash=content_hash,
    )


def _sign(record, signer, role, when) -> str:
    content_hash = record_hash(load_record_for_content(record.pk))
    Signature.objects.create(
        record=record,
        signer=signer,
        role=role,
        signed_at=when.astimezone(UTC),
        method="Password re-entered in the browser",
        content_hash=content_hash,
    )
    return content_hash


def _organisation_name() -> str:
    return settings.ORGANISATION_NAME
