"""The demo organisation's quality assurance: one sample drawn by its senior manager, with the
first few records reviewed."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from demo.organisation import email_of
from oversight.models import QualitySample
from oversight.quality.sampling import (
    FIELDS,
    review_save,
    sample_draw,
    sample_reviews,
    units_to_draw_from,
)
from supervision.models import User

DEMO_SEED = "northshire-qa-2026"
DEMO_MANAGER = "Priya Raman"
DEMO_ANSWERS = [
    ("yes", "yes", "partly", "yes", "Good reflection on the family's history."),
    ("partly", "no", "yes", "yes", "The child's wishes are not recorded; ask next time."),
    ("yes", "partly", "partly", "no", "Wellbeing not discussed although the caseload is high."),
    ("no", "partly", "no", "yes", "Mostly a list of cases; actions have no dates."),
    ("yes", "yes", "yes", "yes", ""),
]


def load_demo_quality(today: date, *, manager=None) -> int:
    """One sample drawn by the demo's senior manager from the last three months' finalised
    records, with the first few reviewed. Returns how many samples it created: none when the
    manager already has one (so a second run changes nothing), or when nothing is finalised."""
    if manager is None:
        manager = User.objects.filter(email=email_of(DEMO_MANAGER)).first()
    if manager is None or QualitySample.objects.filter(drawn_by=manager).exists():
        return 0
    units = units_to_draw_from(manager)
    if not units:
        return 0
    try:
        sample = sample_draw(
            by=manager,
            unit=units[0],
            finalised_from=today - timedelta(days=91),
            finalised_to=min(today, timezone.localdate()),
            size=8,
            seed=DEMO_SEED,
        )
    except ValidationError:
        return 0
    for review, (*answers, comments) in zip(sample_reviews(sample), DEMO_ANSWERS, strict=False):
        review_save(
            review=review,
            by=manager,
            answers=dict(zip(FIELDS, answers, strict=True)),
            comments=comments,
        )
    return 1
