"""Agreements for the demo organisation: most relationships have one in force, some are
overdue for review, a few have none yet, and the one that ended was superseded."""

import random
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction

from agreements.models import AgreementSignature, SupervisionAgreement
from agreements.services import DEFAULT_TEXT, agreement_hash
from supervision.models import SupervisoryRelationship


@transaction.atomic
def load_demo_agreements(today: date) -> int:
    if SupervisionAgreement.objects.exists():
        return 0
    rng = random.Random(2027)
    created = 0
    for relationship in (
        SupervisoryRelationship.objects.filter(kind__in=["line", "practice_educator"])
        .select_related("supervisor", "supervisee__profile__job_role")
        .order_by("pk")
    ):
        roll = rng.random()
        if relationship.ends_on is None and roll < 0.1:
            continue  # no agreement yet: the oversight pages should find these
        starts_on = max(relationship.starts_on, today - timedelta(days=rng.randint(30, 430)))
        agreement = SupervisionAgreement.objects.create(
            relationship=relationship,
            starts_on=starts_on,
            review_due_on=starts_on + relativedelta(years=1),
            # Students and newly qualified staff are seen fortnightly (F2, F3): an agreement
            # less frequent than the pack would be refused on review.
            frequency_value=2
            if relationship.kind == "practice_educator"
            or relationship.supervisee.profile.job_role.category in ("student", "asye")
            else 4,
            frequency_unit="weeks",
            duration_minutes=rng.choice([60, 90]),
            mode=rng.choice(["in_person", "either"]),
            created_by=relationship.supervisor,
            **DEFAULT_TEXT,
        )
        created += 1
        if relationship.ends_on is None and roll < 0.15:
            continue  # drafted, not yet signed
        content_hash = agreement_hash(agreement)
        signed = datetime.combine(starts_on, time(11), tzinfo=UTC)
        for role, signer in (
            ("supervisee", relationship.supervisee),
            ("supervisor", relationship.supervisor),
        ):
            AgreementSignature.objects.create(
                agreement=agreement,
                signer=signer,
                role=role,
                signed_at=signed,
                content_hash=content_hash,
            )
            signed += timedelta(hours=2)
        ended = relationship.ends_on is not None
        SupervisionAgreement.objects.filter(pk=agreement.pk).update(
            status="superseded" if ended else "active",
            content_hash=content_hash,
            superseded_at=(
                datetime.combine(relationship.ends_on, time(17), tzinfo=UTC) if ended else None
            ),
            superseded_reason="change of supervisor" if ended else "",
        )
    return created
