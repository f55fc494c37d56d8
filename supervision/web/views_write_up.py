"""The record's write-up on one page: every heading of the template, saved together."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from access import records as signing
from access.refusals import refuse
from supervision.models import (
    SUPERVISION_FUNCTION_HINTS,
    AmendmentRequest,
    RecordSection,
    SupervisionFunction,
    SupervisionRecord,
)
from supervision.organisation import audit
from supervision.organisation.plain_text import PlainTextForm
from supervision.records import services
from supervision.records.write_up import write_up_save
from supervision.web.form_errors import add_service_errors


def field_name(key: str) -> str:
    return f"s-{key}"


class WriteUpForm(PlainTextForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # R3. Required only to finish writing up (services.write_up_save): a page saved to come
    # back later may not have got to it yet.
    functions = forms.MultipleChoiceField(
        label="Which functions of supervision did this session cover?",
        choices=SupervisionFunction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select the functions of supervision from the list"},
    )

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        for section in sections:
            self.fields[field_name(section.template_section.key)] = forms.CharField(
                label=section.template_section.heading,
                required=False,
                strip=False,
                # Checked again by the service, which the autosave also goes through.
                max_length=services.HEADING_MAX_CHARACTERS,
                error_messages={
                    "max_length": f"{section.template_section.heading} must be "
                    f"{services.HEADING_MAX_CHARACTERS:,} characters or fewer"
                },
                widget=forms.Textarea,
            )

    def texts(self, sections) -> dict[str, str]:
        return {
            s.template_section.key: self.cleaned_data[field_name(s.template_section.key)]
            for s in sections
        }


def _functions(form) -> list[dict]:
    """The checkboxes of the functions question, each with its hint from the policies."""
    chosen = set(form["functions"].value() or ())
    return [
        {
            "value": code,
            "label": label,
            "hint": SUPERVISION_FUNCTION_HINTS[code],
            "checked": code in chosen,
            "id": "functions" if i == 0 else f"functions-{code}",
        }
        for i, (code, label) in enumerate(SupervisionFunction.choices)
    ]


def _headings(record, form, sections, theirs=None):
    """Each heading with what the page shows beside it: the open request for a change to it,
    and, after a clash with someone else's save, the text they saved."""
    comments: dict[int | None, list[AmendmentRequest]] = {}
    for request in record.amendment_requests.all():
        if request.resolved_at is None:
            comments.setdefault(request.section_id, []).append(request)
    return [
        {
            "section": section,
            "field": form[field_name(section.template_section.key)],
            "comments": comments.get(section.template_section_id, []),
            "theirs": (theirs or {}).get(section.template_section.key),
        }
        for section in sections
    ], comments.get(None, [])


def _form_after_conflict(request, form, sections, conflict):
    # The page again with the writer's text kept in every box, the text someone
    # else saved shown beside each heading where the two differ, and the version
    # moved on so that saving again keeps what is in the boxes.
    saved = {s.template_section.key: s.text for s in sections}
    mine = form.texts(sections)
    theirs = {key: text for key, text in saved.items() if text != mine.get(key)}
    data = request.POST.copy()
    data["version"] = conflict.record.version
    form = WriteUpForm(data, sections=sections)
    form.is_valid()
    form.add_error(
        None,
        "Someone else saved this record while you were writing. Your text is still "
        "in each box; where theirs differs it is shown above the box. Combine them "
        "and save again.",
    )
    return form, theirs


def _form_as_saved(request, session, record, sections):
    """The form filled with the record as saved; opening it to write is a read, audited."""
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type="supervision_record",
        object_id=session.pk,
        subject=session.supervisee,
    )
    return WriteUpForm(
        initial={"version": record.version, "functions": record.functions_covered}
        | {field_name(s.template_section.key): s.text for s in sections},
        sections=sections,
    )


@login_required
def write_up(request, session_id):
    # Whoever writes the record (access.records.record_editor), as on every page that does.
    session = signing.get_session_to_edit(request, session_id)
    record = SupervisionRecord.objects.filter(session=session).first()
    if record is None:
        refuse(
            request,
            "supervision_record",
            session.pk,
            subject=session.supervisee,
            message="No record has been started for this session.",
        )
    if record.status not in services.EDITABLE:
        messages.error(
            request,
            f"The record is {record.get_status_display().lower()} and cannot be written up now.",
        )
        return redirect("record", session.pk)
    sections = list(RecordSection.objects.filter(record=record).select_related("template_section"))
    theirs = None
    status = 200
    if request.method == "POST":
        form = WriteUpForm(request.POST, sections=sections)
        if form.is_valid():
            finished = request.POST.get("finished") == "yes"
            try:
                write_up_save(
                    record=record,
                    texts=form.texts(sections),
                    finished=finished,
                    expected_version=form.cleaned_data["version"],
                    functions=form.cleaned_data["functions"],
                    by=request.user,
                    request=request,
                )
            except services.RecordConflict as conflict:
                form, theirs = _form_after_conflict(request, form, sections, conflict)
                status = 409
            except ValidationError as error:
                add_service_errors(
                    form,
                    error,
                    {s.template_section.key: field_name(s.template_section.key) for s in sections},
                )
            else:
                messages.success(
                    request,
                    "Write-up saved"
                    + (": every heading with text is finished" if finished else ""),
                )
                return redirect("record", session.pk)
    else:
        form = _form_as_saved(request, session, record, sections)
    headings, general_comments = _headings(record, form, sections, theirs)
    return render(
        request,
        "supervision/records/write_up.html",
        {
            "session": session,
            "record": record,
            "form": form,
            "headings": headings,
            "general_comments": general_comments,
            "functions": _functions(form),
            "max_characters": services.HEADING_MAX_CHARACTERS,
        },
        status=status,
    )
