"""Observations, development plans, probation reviews and wellbeing plans for the demo
organisation, written through the services (so every lock and signature is real). Runs only
when none exist, so a second load changes nothing."""

import random
from datetime import date, timedelta

from django.db import transaction

from supervision.development import services
from supervision.models import DevelopmentConversation, PracticeObservation, SupervisoryRelationship
from supervision.organisation.roles import active_on


@transaction.atomic
def load_demo_file_items(today: date, password: str) -> int:
    if PracticeObservation.objects.exists() or DevelopmentConversation.objects.exists():
        return 0
    rng = random.Random(2028)
    created = 0
    lines = SupervisoryRelationship.objects.filter(active_on(today), kind="line").select_related(
        "supervisor", "supervisee__profile__job_role"
    )
    for relationship in lines.order_by("pk"):
        person, supervisor = relationship.supervisee, relationship.supervisor
        profile = person.profile
        frontline = profile.job_role.category in {"practitioner", "asye"}
        since = max(profile.start_date, today - timedelta(days=300))
        if frontline and rng.random() < 0.75 and (today - since).days > 30:
            observation = services.observation_record(
                practitioner=person,
                by=supervisor,
                observer_role="Line manager",
                observed_on=since + timedelta(days=rng.randint(10, (today - since).days - 5)),
                venue=rng.choice(["Family home", "Child protection conference", "School"]),
                permission_gained=True,
                permission_details="Parent agreed at the start.",
                background="A planned visit to review the child's plan.",
                observer_feedback="Clear, warm and child-centred; the child's words were used "
                "to explain the plan to the parents.",
                development_areas="Summarise agreements in writing straight after the visit.",
            )
            created += 1
            if rng.random() < 0.8:
                services.observation_sign_as_observer(
                    observation=observation, password=password, by=supervisor
                )
                if rng.random() < 0.85:
                    services.observation_comment_and_sign(
                        observation=observation,
                        password=password,
                        by=person,
                        comments="Useful feedback; I will try the written summary.",
                    )
        if rng.random() < 0.6:
            plan = services.conversation_record(
                person=person,
                kind="plan",
                year=today.year,
                held_on=max(profile.start_date, date(today.year, 1, 15)),
                goals="Complete the court skills course; present a case at the practice forum.",
                by=supervisor,
            )
            created += 1
            if rng.random() < 0.7:
                services.conversation_sign(conversation=plan, password=password, by=supervisor)
                services.conversation_sign(conversation=plan, password=password, by=person)
        if frontline and rng.random() < 0.5:
            agreed = max(profile.start_date, today - timedelta(days=rng.randint(20, 200)))
            services.wellbeing_plan_review(
                person=person,
                by=supervisor,
                agreed_on=agreed,
                review_on=agreed + timedelta(days=180),
                keeps_me_well="Protected recording time on Fridays; walking at lunch.",
                signs_not_coping="Working late most days; skipping lunch.",
                what_helps="A check-in from my manager; swapping a duty day.",
                support_agreed="Monthly wellbeing check-in in supervision.",
            )
            created += 1
        if profile.probation_end_date and profile.probation_end_date > today:
            for due in services.probation_reviews_due(person, today):
                services.probation_review_record(
                    person=person,
                    month=due.month,
                    held_on=min(today, due.due_on),
                    outcome="on_track",
                    notes="Settling in well; caseload building gradually.",
                    by=supervisor,
                )
                created += 1
    return created
