"""What the attachment pages of records and case notes share: the upload form (the GOV.UK
file upload component), the rows of the list, and the download, which is always a download.
"""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.http import FileResponse

from supervision.organisation import uploads
from supervision.organisation.plain_text import PlainTextForm

SELECT_A_FILE = "Select a file"


class AttachmentForm(PlainTextForm):
    file = forms.FileField(
        label="Upload a file",
        error_messages={
            "required": SELECT_A_FILE,
            "missing": SELECT_A_FILE,
            "invalid": SELECT_A_FILE,
            "empty": "The selected file is empty",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"A scan, a photo or a document, smaller than {uploads.max_bytes_text()}. "
            "It is checked for viruses before it is kept."
        )
        self.helper = FormHelper()
        # The template owns the <form>, its enctype and its CSRF token.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field("file"), Button("submit", "Upload the file"))


def rows(attachments, download, remove=None) -> list[dict]:
    """Each attachment with its addresses: `download(attachment)` and, where it may be
    removed, `remove(attachment)`."""
    return [
        {
            "attachment": attachment,
            "download": download(attachment),
            "remove": remove(attachment) if remove else None,
        }
        for attachment in attachments
    ]


def download(attachment) -> FileResponse:
    """The file as a download under its own (made safe) name, never shown in the browser:
    whatever it claims to be, it is sent as bytes the browser must not sniff or open."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
