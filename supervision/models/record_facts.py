"""What a finalised record counts for in the dashboard, written once when it is finalised.

A finalised record never changes (its sections and answers are frozen by the database), so
its contribution to the figures is fixed at that moment: whose supervision it was, when it
was finalised, whether its template asks for reflection and wellbeing and whether those were
completed, and which functions of supervision it covered. The dashboard counts these rows,
one narrow table with covering indexes, instead of joining every session and section of ten
years. The database writes the row itself (triggers in migration 0029), in the transaction
that finalises the record, whichever way a record is finalised (the service, an import, a
bulk load), and removes it with the record when a leaver's file is destroyed.

The dashboard counts a record in its supervisee's unit now (as it does their flags and their
place in post), so the unit is read from the supervisee's profile, not kept here.
"""

from django.conf import settings
from django.db import models


class FinalisedRecord(models.Model):
    record = models.OneToOneField(
        "supervision.SupervisionRecord",
        primary_key=True,
        # Kept by the database's triggers, so the ORM neither cascades nor checks.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="finalised_fact",
    )
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    finalised_at = models.DateTimeField()
    asks_reflection = models.BooleanField()
    reflection_done = models.BooleanField()
    asks_wellbeing = models.BooleanField()
    wellbeing_done = models.BooleanField()
    functions_recorded = models.BooleanField()
    covers_management = models.BooleanField()
    covers_development = models.BooleanField()
    covers_support = models.BooleanField()
    covers_mediation = models.BooleanField()

    FIGURES = (
        "asks_reflection",
        "reflection_done",
        "asks_wellbeing",
        "wellbeing_done",
        "functions_recorded",
        "covers_management",
        "covers_development",
        "covers_support",
        "covers_mediation",
    )

    class Meta:
        indexes = [
            # An organisation's records in a period: the range, with every figure in the index.
            models.Index(
                fields=["finalised_at"],
                include=[
                    "supervisee",
                    "asks_reflection",
                    "reflection_done",
                    "asks_wellbeing",
                    "wellbeing_done",
                    "functions_recorded",
                    "covers_management",
                    "covers_development",
                    "covers_support",
                    "covers_mediation",
                ],
                name="finalised_record_period",
            ),
            # One person's records in a period.
            models.Index(fields=["supervisee", "finalised_at"], name="finalised_record_person"),
        ]

    def __str__(self):
        return f"Record {self.record_id} finalised {self.finalised_at:%-d %B %Y}"
