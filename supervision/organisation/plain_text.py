"""Typed text is plain text: hidden control characters are refused wherever text comes in.

A NUL byte cannot be stored in PostgreSQL text at all (the save fails), and the other C0
control characters show as nothing on screen or in a PDF while still being part of what a
signature's fingerprint covers. They arrive pasted from other programs, in spreadsheet cells,
or from scripts, never typed, so each is refused with a message beside the field rather than
stored or left to fail.

Multi-line text (a textarea, a prose column of a CSV file) keeps tab, line feed and carriage
return, which is how lines are typed. One-line text (any other field: names, titles, emails,
references) keeps none of them: a line break in a name splits it across lines in letters,
lists and CSV exports.

Every form in the project mixes in `PlainTextChecks`
(tests/supervision/organisation/test_plain_text.py fails for one
that does not); what reads text without a form (the record's autosave, the caseload's reasons
for discussion, the CSV import) calls `problem` itself. Names on
models carry a `PlainTextValidator`, which the Django admin and model forms run for themselves;
saving with .objects.create does not, so the import checks for itself.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.forms.utils import pretty_name
from django.utils.deconstruct import deconstructible

# C0 controls and DEL, less tab, line feed and carriage return.
_HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE_HIDDEN = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\n\r]")

HIDDEN = "hidden"
LINE_BREAK = "line_break"


def problem(text: str, *, one_line: bool) -> str | None:
    """HIDDEN, LINE_BREAK or None for text that is fine."""
    if one_line and _LINE_BREAK.search(text):
        return LINE_BREAK
    if (_ONE_LINE_HIDDEN if one_line else _HIDDEN).search(text):
        return HIDDEN
    return None


def message(kind: str, name: str) -> str:
    """The error for a problem in the field or column called `name` (as its label reads)."""
    name = name.strip().rstrip("?:").removesuffix("(optional)").strip() or "This field"
    name = name[0].upper() + name[1:]
    if kind == LINE_BREAK:
        return f"{name} must be on one line, without line breaks"
    return f"{name} must not contain hidden control characters, such as a null byte"


@deconstructible
class PlainTextValidator:
    """Refuses hidden control characters, and line breaks too in one-line text. `name` is how
    the field is called in the message."""

    def __init__(self, name: str = "", *, one_line: bool = True):
        self.name = name
        self.one_line = one_line

    def __call__(self, value):
        if not isinstance(value, str):
            return
        kind = problem(value, one_line=self.one_line)
        if kind:
            raise ValidationError(message(kind, self.name), code=f"plain_text_{kind}")

    def __eq__(self, other):
        return isinstance(other, PlainTextValidator) and (self.name, self.one_line) == (
            other.name,
            other.one_line,
        )


def _checks(name: str, field: forms.Field) -> PlainTextValidator | None:
    if not isinstance(field, forms.CharField):
        return None  # choices, numbers and dates refuse anything but their own values
    if isinstance(field.widget, forms.PasswordInput):
        return None  # compared with a hash, never stored or shown: taken exactly as typed
    return PlainTextValidator(
        str(field.label or pretty_name(name)),
        one_line=not isinstance(field.widget, forms.Textarea),
    )


class PlainTextChecks:
    """For every form: each text field refuses hidden control characters, and a one-line
    field (any widget but a textarea) refuses line breaks too, with a message naming the
    field. Fields added or relabelled in a form's __init__ are covered, since the validators
    are added when the form is cleaned."""

    def full_clean(self):
        for name, field in self.fields.items():
            validator = _checks(name, field)
            if validator is None or any(
                isinstance(v, PlainTextValidator) for v in field.validators
            ):
                continue
            # Django's own NUL check would say the same thing a second time, less plainly.
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ] + [validator]
        super().full_clean()


class PlainTextForm(PlainTextChecks, forms.Form):
    pass


class PlainTextModelForm(PlainTextChecks, forms.ModelForm):
    pass
