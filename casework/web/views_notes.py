"""Case supervision notes and management oversight entries on a child's record: thin
views over casework.services.

Everything goes through the child: get_child_for_user decides reach (VIEW to read, MANAGE to
write), so a note id typed under another child's URL is a 404 and every refusal is audited.
Notes are written by the worker's supervisory line and managers above, and read by everyone
with reach, the allocated worker included.
"""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from access.children import (
    CaseAction,
    get_child_for_user,
    may_set_action_status,
    may_update_action,
    restrict_children,
    staff_reach,
)
from access.refusals import refuse
from access.sessions import get_session_for_user, is_party
from casework import pdf, services
from casework.models import CaseNote, CaseNoteAction, Child
from casework.pdf import clock
from casework.web import views_note_attachments
from casework.web.forms_notes import (
    CASE_SESSION_TYPES,
    ActionForm,
    ActionStatusForm,
    ExtractForm,
    FinaliseForm,
    NewNoteForm,
    NoteForm,
    case_sessions,
)
from supervision.models import User
from supervision.organisation import audit
from supervision.organisation.plain_text import PlainTextForm
from supervision.web import attachments
from supervision.web.form_errors import add_service_errors

NOTE = "case_note"
CHILD = "child"
TEMPLATES = "casework/notes/"


# Shared look-ups


def _not_found(request, object_type: str, object_id, **detail):
    refuse(request, object_type, object_id, detail=detail)


def _refuse(request, note: CaseNote, wanted: str):
    """Inside the child's reach but not this person's to do: 403, audited."""
    refuse(
        request,
        NOTE,
        note.pk,
        answer=403,
        wanted=wanted,
        detail={"child": note.child_id},
        message="This is not yours to do.",
    )


def _note(request, child: Child, note_id) -> CaseNote:
    """The child's note, with everything its page prints; another child's note is a 404."""
    note = None
    if str(note_id).isdigit():
        note = pdf.notes_for_document(CaseNote.objects.filter(pk=note_id, child=child)).first()
    if note is None:
        _not_found(request, NOTE, note_id, child=child.pk)
    note.child = child
    return note


def _action(request, note: CaseNote, action_id) -> CaseNoteAction:
    action = next((a for a in note.actions.all() if str(a.pk) == str(action_id)), None)
    if action is None:
        _not_found(request, "case_note_action", action_id, note=note.pk)
    action.note = note
    return action


def _audit_read(request, object_type: str, object_id, action=audit.AuditAction.READ, **detail):
    audit.record(
        action, request=request, object_type=object_type, object_id=object_id, detail=detail
    )


def _note_url(name: str, note: CaseNote, *extra) -> str:
    return reverse(name, args=[note.child_id, note.pk, *extra])


def _action_staff(request, child: Child, note: CaseNote | None = None) -> list[User]:
    """Who an action may be given to by name: the worker, the author, and the team's staff."""
    people = {
        person.pk: person
        for person in User.objects.filter(
            profile__unit_id=child.unit_id, profile__is_active=True, is_active=True
        )
    }
    for person in (child.allocated_worker, note.author if note else None, request.user):
        if person is not None:
            people.setdefault(person.pk, person)
    return sorted(people.values(), key=lambda p: (p.full_name, p.pk))


# Starting a note


@login_required
@require_http_methods(["GET", "POST"])
def case_note_new(request, child_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    now = timezone.now()
    sessions = list(case_sessions(child, now)) if child.allocated_worker_id else []
    initial = {"discussed_on": timezone.localdate(), "discussed_time": clock(now)}
    kind = request.GET.get("kind")
    if kind in CaseNote.Kind.values:
        initial["kind"] = kind
    chosen = next((s for s in sessions if str(s.pk) == request.GET.get("session")), None)
    if chosen is not None:
        initial.update(
            session=str(chosen.pk),
            discussed_on=timezone.localtime(chosen.starts_at).date(),
            discussed_time=clock(chosen.starts_at),
        )
    form = NewNoteForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        child=child,
        sessions=sessions,
        now=now,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            note = services.case_note_create(
                child=child,
                kind=data["kind"],
                by=request.user,
                discussed_at=data["discussed_at"],
                session=data["session"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error, {"discussed_at": "discussed_on"})
        else:
            messages.success(request, "Note started. Write it to the child, then finalise it")
            return redirect("case-note-edit", child.pk, note.pk)
    return render(
        request,
        TEMPLATES + "new.html",
        {"child": child, "form": form},
    )


# Writing a draft


def _edit_page(request, child, note, *, form=None, action_form=None, conflict=None, status=200):
    neglect = services.note_needs_neglect_review(note)
    if form is None:
        initial = {name: getattr(note, name) for name in services.NOTE_FIELDS}
        form = NoteForm(initial={**initial, "version": note.version}, note=note, neglect=neglect)
    staff = _action_staff(request, child, note)
    if action_form is None:
        action_form = ActionForm(
            staff=staff,
            submit="Add another action" if note.actions.all() else "Add the action",
            formaction=_note_url("case-note-action-add", note),
        )
    saved = []
    if conflict is not None:
        # Their saved text beside the user's unsaved text, heading by heading, so the two can
        # be combined; nothing the user typed is lost.
        for name in form.fields:
            if name == "version" or name not in services.NOTE_FIELDS:
                continue
            theirs = getattr(conflict, name)
            if str(theirs or "") != str(form.data.get(name, "") or ""):
                saved.append({"label": form.fields[name].label, "text": theirs})
    return render(
        request,
        TEMPLATES + "edit.html",
        {
            "child": child,
            "note": note,
            "form": form,
            "action_form": action_form,
            "actions": [
                {"action": a, "owner": pdf.owner_label(a), "due": pdf.day(a.due_on)}
                for a in note.actions.all()
            ],
            "discussed": pdf.when(note.discussed_at),
            "full": note.kind in pdf.FULL_KINDS,
            "neglect": neglect,
            "conflict": conflict is not None,
            "saved": saved,
        },
        status=status,
    )


def _final_page(request, child, note, status=200):
    return render(
        request,
        TEMPLATES + "final.html",
        {"child": child, "note": note, "discussed": pdf.when(note.discussed_at)},
        status=status,
    )


def _save_note(request, child, note, *, action_form=None):
    """Save the note's text posted with any button of the edit page: the page is one form, so
    adding or removing an action never loses what was typed above it. Returns None when saved
    (or when nothing of the note was posted), else the page to show again, nothing lost."""
    if "version" not in request.POST:
        return None
    neglect = services.note_needs_neglect_review(note)
    form = NoteForm(request.POST, note=note, neglect=neglect)
    if not form.is_valid():
        return _edit_page(request, child, note, form=form, action_form=action_form)
    try:
        services.case_note_update(
            note=note,
            version=form.cleaned_data["version"],
            by=request.user,
            request=request,
            **form.note_fields(),
        )
    except services.NoteConflict as conflict:
        # Keep what the user wrote and take on the saved version, so saving again is a
        # deliberate choice to replace what the other person saved.
        data = request.POST.copy()
        data["version"] = str(conflict.note.version)
        form = NoteForm(data, note=note, neglect=neglect)
        form.is_valid()
        return _edit_page(
            request,
            child,
            note,
            form=form,
            action_form=action_form,
            conflict=conflict.note,
            status=409,
        )
    except ValidationError as error:
        if (
            not hasattr(error, "error_dict")
            and CaseNote.objects.filter(pk=note.pk, status=CaseNote.Status.FINAL).exists()
        ):
            return _final_page(request, child, note, status=403)
        add_service_errors(form, error)
        return _edit_page(request, child, note, form=form, action_form=action_form)
    note.refresh_from_db()
    return None


@login_required
@require_http_methods(["GET", "POST"])
def case_note_edit(request, child_id, note_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    note = _note(request, child, note_id)
    if note.is_final:
        # A final note is on the child's record for good: nothing posted here changes it.
        return _final_page(request, child, note, status=403 if request.method == "POST" else 200)
    if request.method == "GET":
        return _edit_page(request, child, note)
    if "version" not in request.POST:
        return _edit_page(request, child, note)
    unsaved = _save_note(request, child, note)
    if unsaved is not None:
        return unsaved
    messages.success(request, "Case note saved")
    return redirect("case-note", child.pk, note.pk)


@login_required
@require_POST
def case_note_autosave(request, child_id, note_id):
    """Saves as the worker types (static/js/app.mjs): JSON, 409 when someone else saved first."""
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    note = _note(request, child, note_id)
    if note.is_final:
        return JsonResponse({"error": "This note is final and cannot be changed."}, status=403)
    form = NoteForm(request.POST, note=note, neglect=services.note_needs_neglect_review(note))
    if not form.is_valid():
        first = next(iter(form.errors.values()))
        return JsonResponse({"error": " ".join(first)}, status=400)
    try:
        note = services.case_note_update(
            note=note,
            version=form.cleaned_data["version"],
            by=request.user,
            request=request,
            **form.note_fields(),
        )
    except services.NoteConflict as conflict:
        return JsonResponse({"conflict": True, "version": conflict.note.version}, status=409)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse(
        {"version": note.version, "saved_at": timezone.localtime().strftime("%H:%M:%S")}
    )


@login_required
@require_POST
def case_note_action_add(request, child_id, note_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    note = _note(request, child, note_id)
    if note.is_final:
        return _final_page(request, child, note, status=403)
    form = ActionForm(
        request.POST,
        staff=_action_staff(request, child, note),
        formaction=_note_url("case-note-action-add", note),
    )
    unsaved = _save_note(request, child, note, action_form=form)
    if unsaved is not None:
        return unsaved
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.case_note_action_add(
                note=note,
                description=data["description"],
                due_on=data["due_on"],
                owner=data["owner"],
                owner_name=data["owner_name"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Action added. You can add another action")
            return redirect(_note_url("case-note-edit", note) + "#actions")
    return _edit_page(request, child, note, action_form=form)


@login_required
@require_POST
def case_note_action_remove(request, child_id, note_id, action_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    note = _note(request, child, note_id)
    action = _action(request, note, action_id)
    if note.is_final:
        return _final_page(request, child, note, status=403)
    unsaved = _save_note(request, child, note)
    if unsaved is not None:
        return unsaved
    try:
        services.case_note_action_remove(action=action, by=request.user, request=request)
    except ValidationError:
        return _final_page(request, child, note, status=403)
    messages.success(request, "Action removed")
    return redirect(_note_url("case-note-edit", note) + "#actions")


# Reading a note


def _note_page(request, child, note, manages, *, status_error=None, status=200):
    user = request.user
    doc = pdf.note_document(note)
    for row in doc["actions"]:
        row["may_set_status"] = may_set_action_status(user, note, row["action"], manages)
        row["error"] = (
            status_error[1] if status_error and status_error[0] == row["action"].pk else ""
        )
    session = note.session
    return render(
        request,
        TEMPLATES + "note.html",
        {
            "child": child,
            "doc": doc,
            "note": note,
            "manages": manages,
            # The session's own page is theirs to open; others see its date only.
            "session_link": session is not None and is_party(user, session),
            "status_choices": CaseNoteAction.Status.choices,
            "attachment_rows": attachments.rows(
                note.attachments.all(), views_note_attachments.download_url(note)
            ),
        },
        status=status,
    )


@login_required
def case_note_page(request, child_id, note_id):
    child, manages = get_child_for_user(request, child_id)
    note = _note(request, child, note_id)
    _audit_read(request, NOTE, note.pk, child=child.pk)
    return _note_page(request, child, note, manages)


@login_required
@require_POST
def case_action_status(request, child_id, note_id, action_id):
    child, manages = get_child_for_user(request, child_id)
    note = _note(request, child, note_id)
    action = _action(request, note, action_id)
    if not may_update_action(request.user, note, action, manages):
        _refuse(request, note, "set the progress of an action")
    if not note.is_final:
        messages.error(
            request,
            "Progress on actions is tracked once the note is final. Until then, change the "
            "actions on the note itself",
        )
        return redirect("case-note", child.pk, note.pk)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        message = form.errors["status"][0]
        return _note_page(request, child, note, manages, status_error=(action.pk, message))
    services.case_action_status_set(
        action=action, status=form.cleaned_data["status"], by=request.user, request=request
    )
    messages.success(request, f"Action marked as {action.get_status_display().lower()}")
    return redirect(reverse("case-note", args=[child.pk, note.pk]) + "#actions")


# Finalising


def _finalise_error_links(note: CaseNote, errors: dict) -> list[dict]:
    """Each missing heading, linked to its field on the edit page."""
    edit = _note_url("case-note-edit", note)
    links = []
    for field, messages_ in errors.items():
        anchor = f"id_{field}"
        if field == "next_review_on":
            anchor += "_0"
        elif field in services.NEGLECT_FIELDS:
            anchor += "_1"
        for message in messages_:
            links.append({"text": message, "href": f"{edit}#{anchor}"})
    return links


@login_required
@require_http_methods(["GET", "POST"])
def case_note_finalise(request, child_id, note_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    note = _note(request, child, note_id)
    if note.is_final:
        messages.error(request, "This note is already final and locked")
        return redirect("case-note", child.pk, note.pk)
    form = FinaliseForm(
        request.POST if request.method == "POST" else None, signer=request.user, request=request
    )
    note_problems = []
    if request.method == "POST" and not form.is_valid():
        # Say everything at once: what the note lacks as well as the missing password.
        missing = services.note_errors(note)
        note_problems = _finalise_error_links(note, {k: [v] for k, v in missing.items()})
    elif request.method == "POST":
        try:
            services.case_note_finalise(
                note=note,
                password=form.cleaned_data["password"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            problems = error.message_dict if hasattr(error, "error_dict") else {}
            if "password" in problems:
                form.add_error("password", problems.pop("password"))
            note_problems = _finalise_error_links(note, problems)
            if not hasattr(error, "error_dict"):
                form.add_error(None, error.messages)
        else:
            messages.success(request, "Case note finalised and locked")
            return redirect("case-note", child.pk, note.pk)
    password_errors = form.errors.get("password", []) if form.is_bound else []
    return render(
        request,
        TEMPLATES + "finalise.html",
        {
            "child": child,
            "note": note,
            "form": form,
            "discussed": pdf.when(note.discussed_at),
            "problems": note_problems
            + [{"text": message, "href": "#id_password"} for message in password_errors]
            + [
                {"text": message, "href": "#id_password"}
                for message in (form.non_field_errors() if form.is_bound else [])
            ],
        },
    )


# Documents


@login_required
def case_note_pdf(request, child_id, note_id):
    child, _ = get_child_for_user(request, child_id)
    note = _note(request, child, note_id)
    data = pdf.render_note_pdf(note)
    _audit_read(
        request,
        NOTE,
        note.pk,
        audit.AuditAction.DOWNLOAD,
        child=child.pk,
        copy="final" if note.is_final else "draft",
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, pdf.note_pdf_filename(note))
    return response


def _extract_page(request, child, form, status=200):
    finals = CaseNote.objects.filter(child=child, status=CaseNote.Status.FINAL)
    first_last = finals.order_by("discussed_at").values_list("discussed_at", flat=True)
    count = finals.count()
    return render(
        request,
        TEMPLATES + "extract.html",
        {
            "child": child,
            "form": form,
            "count": count,
            "first": pdf.when(first_last.first()) if count else "",
            "last": pdf.when(first_last.last()) if count else "",
        },
        status=status,
    )


@login_required
def child_extract(request, child_id):
    child, _ = get_child_for_user(request, child_id)
    submitted = "format" in request.GET
    form = ExtractForm(request.GET if submitted else None, initial={"format": "pdf"})
    if submitted and form.is_valid():
        data = form.cleaned_data
        query = {"format": data["format"]}
        if data["start"]:
            query["from"] = data["start"].isoformat()
        if data["end"]:
            query["to"] = data["end"].isoformat()
        return redirect(reverse("child-extract-download", args=[child.pk]) + "?" + urlencode(query))
    _audit_read(request, CHILD, child.pk, page="extract")
    return _extract_page(request, child, form)


class ExtractQuery(PlainTextForm):
    """The download's query string: format=pdf|txt&from=2026-01-01&to=2026-03-31."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"] = forms.ChoiceField(
            choices=[("pdf", "PDF"), ("txt", "Plain text")],
            error_messages={
                "required": "Choose PDF or plain text",
                "invalid_choice": "Choose PDF or plain text",
            },
        )
        for name, label in (("from", "start date"), ("to", "end date")):
            self.fields[name] = forms.DateField(
                required=False,
                input_formats=["%Y-%m-%d"],
                error_messages={
                    "invalid": f"Enter the {label} as a real date, for example 5 3 2026"
                },
            )

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["to"] < data["from"]:
            self.add_error("to", "Enter an end date on or after the start date")
        return data


@login_required
def child_extract_download(request, child_id):
    child, _ = get_child_for_user(request, child_id)
    query = ExtractQuery(request.GET)
    if not query.is_valid():
        # Back to the choice page, each problem beside the field it is about.
        form = ExtractForm(initial={"format": request.GET.get("format") or "pdf"})
        form.cleaned_data = {}  # an unbound form takes errors only once it has been "cleaned"
        names = {"format": "format", "from": "start", "to": "end"}
        for name, problems in query.errors.items():
            form.add_error(names.get(name), problems)
        return _extract_page(request, child, form, status=400)
    start, end, kind = (
        query.cleaned_data["from"],
        query.cleaned_data["to"],
        query.cleaned_data["format"],
    )
    notes = pdf.extract_notes(child, start, end)
    now = timezone.now()
    arguments = {"start": start, "end": end, "made_by": request.user, "made_at": now}
    if kind == "txt":
        data = pdf.extract_text(child, notes, **arguments).encode("utf-8")
        content_type = "text/plain; charset=utf-8"
    else:
        data = pdf.render_extract_pdf(child, notes, **arguments)
        content_type = "application/pdf"
    _audit_read(
        request,
        CHILD,
        child.pk,
        audit.AuditAction.EXPORT,
        format=kind,
        notes=len(notes),
        **{"from": _iso(start), "to": _iso(end)},
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, pdf.extract_filename(child, timezone.localdate(now), kind)
    )
    return response


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


# A case supervision session's children


@login_required
def session_case_notes(request, session_id):
    session, _ = get_session_for_user(request, session_id)
    user = request.user
    # The session's staff file reach is wider than case reach (an auditor's grant): only
    # those who may open the worker's caseload see the children.
    if session.session_type not in CASE_SESSION_TYPES or not (
        staff_reach(user).filter(pk=session.supervisee_id).exists()
    ):
        _not_found(request, "session_caseload", session.pk)
    worker = session.supervisee
    open_cases = {"allocated_worker": worker, "closed_on__isnull": True}
    children = list(
        restrict_children(user, CaseAction.VIEW)
        .filter(**open_cases)
        .order_by(F("discuss_next_marked_at").asc(nulls_last=True), "reference")
    )
    managed = set(
        restrict_children(user, CaseAction.MANAGE).filter(**open_cases).values_list("pk", flat=True)
    )
    written = {}
    for note in CaseNote.objects.filter(
        session=session, child__in=[c.pk for c in children]
    ).order_by("discussed_at", "pk"):
        written[note.child_id] = note
    rows = [
        {
            "child": child,
            "note": written.get(child.pk),
            "may_write": child.pk in managed,
            "last_discussed": pdf.day(timezone.localtime(child.last_discussed_at).date())
            if child.last_discussed_at
            else "",
            "next_review": pdf.day(child.next_review_on),
        }
        for child in children
    ]
    _audit_read(request, "caseload", worker.pk, session=session.pk, children=len(rows))
    return render(
        request,
        TEMPLATES + "session_children.html",
        {
            "session": session,
            "worker": worker,
            "rows": rows,
            "may_write_any": bool(managed),
            "session_day": pdf.when(session.starts_at),
            "new_note_query": urlencode(
                {"kind": CaseNote.Kind.CASE_SUPERVISION, "session": session.pk}
            ),
        },
    )
