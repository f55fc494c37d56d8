"""The administrator's upload of CSV files to import."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms

from oversight.records_management.importing import MAX_FILE_BYTES, MAX_ZIP_BYTES
from supervision.organisation.plain_text import PlainTextForm


class ClearableFileInput(forms.ClearableFileInput):
    """A file input that takes several files. Named as Django's, because crispy-forms-gds
    gives its GOV.UK classes (and the error border) by the widget's class name."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked as a FileField would check one."""

    widget = ClearableFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            if not data:
                return [super().clean(None, initial)]
            cleaned = []
            for upload in data:
                cleaned.append(super().clean(upload, initial))
            return cleaned
        return [super().clean(data, initial)]


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    # The template owns the <form>, its action, enctype and CSRF token.
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


class ImportUploadForm(PlainTextForm):
    files = MultipleFileField(
        label="Choose the CSV files, or one .zip file holding them",
        help_text=(
            "Any of units.csv, staff.csv, relationships.csv, agreements.csv, sessions.csv, "
            "cases.csv, allocations.csv, risk_ratings.csv and case_supervisions.csv, saved as "
            "CSV UTF-8. Up to 20 MB each."
        ),
        widget=ClearableFileInput(attrs={"accept": ".csv,.zip,text/csv,application/zip"}),
        error_messages={
            "required": "Choose the CSV files to import, or a .zip file holding them",
            "missing": "Choose the CSV files to import, or a .zip file holding them",
            "invalid": "Choose the CSV files to import, or a .zip file holding them",
            "empty": "One of the files you chose is empty",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field("files"), Button("check", "Check the files"))

    def clean_files(self) -> list[tuple[str, bytes]]:
        uploads = self.cleaned_data["files"]
        total = 0
        for upload in uploads:
            limit = MAX_ZIP_BYTES if upload.name.lower().endswith(".zip") else MAX_FILE_BYTES
            if upload.size > limit:
                raise forms.ValidationError(
                    f"{upload.name} is larger than {limit // (1024 * 1024)} MB"
                )
            total += upload.size
        if total > MAX_ZIP_BYTES:
            raise forms.ValidationError("The files come to more than 60 MB: import them in parts")
        return [(upload.name, upload.read()) for upload in uploads]


class ImportConfirmForm(PlainTextForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Button("confirm", "Import these files"))
