from django.conf import settings
from django.db import models


class FormDraft(models.Model):
    """What someone has typed into a form and not yet saved, kept on the server as they type
    (supervision.web.drafts), so that a closed lid, a lost connection or a timeout loses nothing.
    One per person and form page; it goes when the form is saved."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Whose file the form is about: the draft goes with the file when it is destroyed.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    form_path = models.CharField(max_length=300)
    # The form's fields as posted: {name: [values]}, passwords never included.
    data = models.JSONField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "form_path"], name="one_draft_per_form")
        ]

    def __str__(self):
        return f"Draft of {self.form_path} by user {self.author_id}"
