"""Pages for a session's agenda and record: thin views over record_services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from access import concerns as concerns_reach
from access import records as signing
from access.files import Action as Reach
from access.files import may_read_personal_sections
from access.refusals import refuse
from access.sessions import (
    get_session_for_user,
    is_supervisee,
    refuse_unless_party,
    refuse_unless_supervisee,
)
from access.sessions import is_party as session_party
from oversight.flags import selectors as selectors_flags
from oversight.policy import choice, due, standards
from oversight.reports import home_kept
from supervision.models import (
    Action,
    Addendum,
    Disagreement,
    RecordAttachment,
    RecordSection,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
)
from supervision.organisation import audit, plain_text
from supervision.organisation.kept_sql import KeptQuery
from supervision.records import services, write_up
from supervision.web import attachments, record_kept, views_record_attachments
from supervision.web.drafts import Drafting
from supervision.web.form_errors import add_service_errors
from supervision.web.forms_accounts import ProvesIdentity
from supervision.web.forms_records import (
    ActionForm,
    ActionReviewForm,
    AddendumForm,
    AgendaItemForm,
    AmendmentForm,
    DecisionForm,
    DisagreementForm,
    DisagreementViewForm,
    PasswordForm,
    SectionForm,
)


def _record_of(session, request=None) -> SupervisionRecord:
    record = getattr(session, "record", None) if hasattr(session, "record") else None
    if record is None:
        refuse(
            request,
            "supervision_record",
            session.pk,
            subject=session.supervisee,
            message="No record has been started for this session.",
        )
    return record


def _audit_read(request, session, what="supervision_record"):
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=what,
        object_id=session.pk,
        subject=session.supervisee,
    )


@login_required
def session_page(request, session_id):
    session, may_edit = signing.get_session_to_start(request, session_id)
    _audit_read(request, session, "supervision_session")
    is_party = session_party(request.user, session) or may_edit
    record = getattr(session, "record", None) if hasattr(session, "record") else None
    agenda_open = (
        is_party
        and session.status in (SupervisionSession.Status.PLANNED, SupervisionSession.Status.HELD)
        and (record is None or record.status == SupervisionRecord.Status.DRAFT)
    )
    context = {
        "session": session,
        "record": record,
        "may_edit": may_edit,
        "agenda": session.agenda_items.select_related("added_by"),
        "open_actions": services.open_actions_of(session.supervisee, before=session.starts_at),
        "agenda_form": AgendaItemForm()
        if agenda_open and session_party(request.user, session)
        else None,
        "may_start_record": may_edit
        and record is None
        and session.starts_at <= timezone.now()
        and session.status in (SupervisionSession.Status.PLANNED, SupervisionSession.Status.HELD),
        "longest_minutes": _longer_than_the_pack_allows(session) if is_party else None,
    }
    return render(request, "supervision/records/session.html", context)


def _longer_than_the_pack_allows(session) -> int | None:
    """F6: the pack's longest session for the supervisee's role, when this one runs longer."""
    profile = StaffProfile.objects.filter(user_id=session.supervisee_id).select_related("job_role")
    profile = profile.first()
    if profile is None:
        return None
    category = "student" if profile.is_student else profile.job_role.category
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    pack = choice.pack_on(timezone.localtime(session.starts_at).date())
    return standards.session_too_long(pack, category, minutes)


@require_POST
@login_required
def agenda_add(request, session_id):
    session, _ = get_session_for_user(request, session_id)
    refuse_unless_party(request, session, "add to the agenda")
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            services.agenda_item_add(
                session=session, text=form.cleaned_data["text"], by=request.user, request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Item added to the agenda")
    else:
        # The form's own message: "Enter the agenda item", or what is wrong with the text.
        messages.error(request, " ".join(form.errors["text"]))
    return redirect("session", session.pk)


@require_POST
@login_required
def record_start(request, session_id):
    session, _ = signing.get_session_to_start(request, session_id, Reach.EDIT)
    try:
        services.record_start(session=session, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("session", session.pk)
    return redirect("record", session.pk)


def _load_record(session, kept=None):
    """The session's record (read with the session) with its rows and its open flag. Of a
    finalised record whose rendering is kept (supervision.web.record_kept), only the rows that
    may still change, and only those there are: the others read as empty without a query."""
    record = session.record
    _read_open_flag(record)

    def rows(name, lookup, there=True):
        if not there:
            # Known to be empty: read as empty, without a query nor compiling one.
            _prefetched(record, name, [])
        return lookup if there else None

    some = kept or {}
    # Read for every record, kept or not: by SQL compiled once (supervision.organisation
    # .kept_sql), as Django's prefetch would read them.
    for name, query in _ALWAYS_READ:
        _prefetched(record, name, query.instances(record=record.pk))
    lookups = [
        rows(
            "disagreements",
            # An escalation is a row of its own, read with its disagreement (no query more).
            Prefetch(
                "disagreements",
                Disagreement.objects.order_by("pk").select_related("escalation__raised_with"),
            ),
            some.get("has_disagreements", True),
        ),
        rows(
            "attachments",
            Prefetch("attachments", RecordAttachment.objects.select_related("uploaded_by")),
            some.get("has_attachments", True),
        ),
        rows(
            "action_reviews",
            "action_reviews__action",
            some.get("has_reviews", True),
        ),
        rows(
            "amendment_requests",
            "amendment_requests__section",
            some.get("has_open_amendments", True),
        ),
    ]
    if kept is None:
        lookups += [
            Prefetch("sections", RecordSection.objects.select_related("template_section")),
            "decisions",
            "shared_texts",
        ]
    prefetch_related_objects([record], *(lookup for lookup in lookups if lookup is not None))
    return record


# Who signed and who wrote each addendum come with them (a query fewer each).
_ALWAYS_READ = (
    ("actions", KeptQuery(lambda record: Action.objects.filter(record=record))),
    (
        "signatures",
        KeptQuery(lambda record: Signature.objects.select_related("signer").filter(record=record)),
    ),
    (
        "addenda",
        KeptQuery(lambda record: Addendum.objects.select_related("author").filter(record=record)),
    ),
)


# The record's open write-up or sign-off flag, as oversight.flags.selectors annotates it.
_OPEN_FLAG = KeptQuery(
    lambda record: selectors_flags.with_open_record_flag(
        SupervisionRecord.objects.filter(pk=record).only("pk", "session_id")
    )
)
_FLAG_FIELDS = ("open_flag_kind", "open_flag_due", "open_flag_since", "open_flag_detail")


def _read_open_flag(record) -> None:
    """What `selectors_flags.read_open_record_flag` reads, in SQL compiled once."""
    found = _OPEN_FLAG.instances(record=record.pk)
    for name in _FLAG_FIELDS:
        setattr(record, name, getattr(found[0], name) if found else None)


def _prefetched(record, name: str, objects: list) -> None:
    """`objects`, read for `record`, as `prefetch_related_objects([record], name)` leaves
    them: `record.<name>.all()` reads no more, and each knows its record."""
    related = getattr(type(record), name).rel
    found = related.related_model._base_manager.all()
    found._result_cache, found._prefetch_done = objects, True
    for obj in objects:
        obj._state.fields_cache[related.field.name] = record
    record.__dict__.setdefault("_prefetched_objects_cache", {})[related.cache_name] = found


def _write_up_due(session, record) -> dict:
    """R6 for a draft: the day it is to be written up by, from the policy pack in force on the
    day of the session, the same number the flags use (an administrator may change it)."""
    if record.status != SupervisionRecord.Status.DRAFT:
        return {}
    day = timezone.localtime(session.starts_at).date()
    try:
        pack = choice.pack_on(day)
    except choice.NoPolicyPack:
        return {}
    return {"write_up_due": due.record_due(pack, day), "write_up_days": pack.record_working_days}


@login_required
def record_page(request, session_id):
    # The record's signatory reads it even after their reach over the file has ended.
    session, may_edit = signing.get_session_to_sign(request, session_id)
    user = request.user
    show_personal = signing.may_read_in_full(
        user, session, may_read_personal_sections(user, session.supervisee)
    )
    now = timezone.now()
    page = _kept_record_page(request, session, may_edit, show_personal, now)
    if page is not None and page["html"] is not None and not home_kept.shows_messages(request):
        _audit_read(request, session)
        return HttpResponse(home_kept.served(request, page["html"]))
    kept = record_kept.kept(_record_of(session, request), show_personal)
    record = _load_record(session, kept)
    _audit_read(request, session)
    editable = may_edit and record.status in services.EDITABLE
    may_sign = signing.may_sign_as_supervisor(user, session)
    reviewed = {review.action_id: review for review in record.action_reviews.all()}
    changes = {} if record.is_finalised else write_up.changes_since_last_read(record)
    changed_headings = 0
    for section in record.sections.all() if kept is None else ():
        shown = show_personal or not section.template_section.is_personal
        section.change = changes.get(section.template_section.key) if shown else None
        changed_headings += section.change is not None
    if kept is None:
        kept = record_kept.keep(record, show_personal)
    earlier_open = (
        [a for a in services.open_actions_of(session.supervisee) if a.record_id != record.pk]
        if editable
        else []
    )
    context = {
        "session": session,
        "record": record,
        "may_edit": may_edit,
        "editable": editable,
        "show_personal": show_personal,
        "is_supervisee": is_supervisee(user, session),
        "may_sign_as_supervisor": may_sign,
        "may_finalise": signing.may_finalise(user, session),
        # The supervisee signs once both views on every disagreement are signed.
        "views_missing": services.views_missing(record),
        "may_escalate": concerns_reach.may_escalate_on(user, session),
        "signatory": None if record.is_finalised else signing.record_signatory(session),
        # A supervisee who has left cannot sign: the signatory finalises without them.
        "supervisee_gone": not record.is_finalised and signing.supervisee_has_gone(session),
        "finalised_as": _finalised_as(record),
        **_write_up_due(session, record),
        "today": timezone.localdate(),
        "earlier_open_actions": earlier_open,
        "reviewed": reviewed,
        # Only for the open actions of earlier sessions, listed while the record is edited.
        "review_form": ActionReviewForm() if earlier_open else None,
        "open_amendments": [a for a in record.amendment_requests.all() if a.resolved_at is None],
        "previous": services.previous_record(record),
        "record_flag": selectors_flags.record_flag(record),
        "changed_headings": changed_headings,
        "attachment_rows": attachments.rows(
            record.attachments.all(), views_record_attachments.download_url(session)
        ),
    }
    context["kept"] = kept
    html = home_kept.make(
        lambda extra: render_to_string(RECORD_CONTENT, {**context, **extra}, request)
    )
    return _record_response(request, session, html, page, now)


RECORD_CONTENT = "supervision/records/_record_content.html"


def _kept_record_page(request, session, may_edit, show_personal, now) -> dict | None:
    """A finalised record's page, whole, as this reader was last shown it, if nothing it shows
    has changed since (oversight.reports.home_kept): what it shows is about the session's two
    people, and what the reader may do (and their navigation, from their roles) about the
    reader, so a write about any of the three (an action done, an addendum, an escalation, a
    change of supervisor, of reach, of role or of a name) makes it afresh. None for a record
    still being written: its page shows each reader what changed since they last read it."""
    record = _record_of(session, request)
    if not record.is_finalised:
        return None
    key = home_kept.page_key(
        (RECORD_PAGE, RECORD_CONTENT),
        session.pk,
        request.user.pk,
        show_personal,
        may_edit,
        getattr(session, "in_reach", None),  # the back link: to the session, or home
        timezone.localdate(now),
    )
    seen = home_kept.notes_about([request.user.pk, session.supervisee_id, session.supervisor_id])
    return {"key": key, "seen": seen, "html": home_kept.kept(key, seen, now)}


RECORD_PAGE = "supervision/records/record.html"


def _record_response(request, session, content: str, page=None, now=None):
    """The record page around its content, kept whole where `page` says, unless it shows a
    message (home_kept.around)."""
    with_messages = home_kept.shows_messages(request)
    html = home_kept.around(request, RECORD_PAGE, content, {"session": session})
    if page is not None and not with_messages:
        home_kept.keep(page["key"], page["seen"], html, now)
    return HttpResponse(home_kept.served(request, html))


@login_required
def section_edit(request, session_id, key):
    session = signing.get_session_to_edit(request, session_id)
    record = _record_of(session, request)
    section = get_object_or_404(
        RecordSection.objects.select_related("template_section"),
        record=record,
        template_section__key=key,
    )
    heading, prompts = section.template_section.heading, section.template_section.prompts
    if request.method == "POST":
        form = SectionForm(request.POST, heading=heading, prompts=prompts)
        if form.is_valid():
            try:
                services.record_section_save(
                    record=record,
                    section_key=key,
                    text=form.cleaned_data["text"],
                    completed=form.cleaned_data["completed"],
                    expected_version=form.cleaned_data["version"],
                    by=request.user,
                    request=request,
                )
            except services.RecordConflict as conflict:
                theirs = RecordSection.objects.get(pk=section.pk)
                return render(
                    request,
                    "supervision/records/conflict.html",
                    {
                        "session": session,
                        "section": section,
                        "theirs": theirs.text,
                        "form": SectionForm(
                            initial={
                                "text": form.cleaned_data["text"],
                                "version": conflict.record.version,
                            },
                            heading=heading,
                            prompts=prompts,
                        ),
                    },
                    status=409,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{heading} saved")
                return redirect("record", session.pk)
    else:
        form = SectionForm(
            initial={
                "text": section.text,
                "completed": section.progress == RecordSection.Progress.COMPLETED,
                "version": record.version,
            },
            heading=heading,
            prompts=prompts,
        )
    return render(
        request,
        "supervision/records/section_edit.html",
        {"session": session, "section": section, "form": form, "record": record},
    )


@require_POST
@login_required
def section_autosave(request, session_id, key):
    """Saves as the supervisor types. 409 with both versions when someone else saved first."""
    session = signing.get_session_to_edit(request, session_id)
    record = _record_of(session, request)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return JsonResponse({"error": "version is required"}, status=400)
    text = request.POST.get("text", "")
    if kind := plain_text.problem(text, one_line=False):
        heading = RecordSection.objects.filter(record=record, template_section__key=key)
        heading = heading.values_list("template_section__heading", flat=True).first()
        return JsonResponse({"error": plain_text.message(kind, heading or "The text")}, status=400)
    try:
        record = services.record_section_save(
            record=record,
            section_key=key,
            text=text,
            completed=request.POST.get("completed") == "on",
            expected_version=version,
            by=request.user,
            request=request,
        )
    except services.RecordConflict as conflict:
        theirs = RecordSection.objects.get(record=record, template_section__key=key).text
        return JsonResponse(
            {"conflict": True, "version": conflict.record.version, "theirs": theirs}, status=409
        )
    except (ValidationError, RecordSection.DoesNotExist) as error:
        return JsonResponse(
            {"error": " ".join(getattr(error, "messages", [str(error)]))}, status=400
        )
    return JsonResponse(
        {"version": record.version, "saved_at": timezone.localtime().strftime("%H:%M:%S")}
    )


def _simple_form_view(
    request,
    session,
    form_class,
    handler,
    success,
    title,
    form_kwargs=None,
    template="supervision/records/form.html",
):
    """A one-form page about a session's record. The caller has already checked access."""
    record = _record_of(session, request)
    drafting = Drafting(request, subject=session.supervisee)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form_kwargs = dict(form_kwargs or {})
    if issubclass(form_class, ProvesIdentity):
        form_kwargs.update(signer=request.user, request=request)
    form = drafting.form(form_class, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            handler(record, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, success)
            return redirect("record", session.pk)
    return render(
        request,
        template,
        {
            "session": session,
            "record": record,
            "form": form,
            "title": title,
            "drafting": drafting,
        },
    )


@login_required
def decision_add(request, session_id):
    session = signing.get_session_to_edit(request, session_id)
    return _simple_form_view(
        request,
        session,
        DecisionForm,
        lambda record, data: services.decision_add(
            record=record, by=request.user, request=request, **data
        ),
        "Decision added",
        "Add a decision",
    )


@login_required
def action_add(request, session_id):
    session = signing.get_session_to_edit(request, session_id)
    return _simple_form_view(
        request,
        session,
        ActionForm,
        lambda record, data: services.action_add(
            record=record, by=request.user, request=request, **data
        ),
        "Action added",
        "Add an action",
    )


@require_POST
@login_required
def action_review(request, session_id, action_id):
    session = signing.get_session_to_edit(request, session_id)
    record = _record_of(session, request)
    action = get_object_or_404(Action, pk=action_id, supervisee=session.supervisee)
    form = ActionReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose done, still open or dropped")
        return redirect("record", session.pk)
    try:
        services.action_review(
            record=record, action=action, by=request.user, request=request, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Action updated")
    return redirect("record", session.pk)


def _finalised_as(record):
    """How the person who finalised the record came to, where they did not hold the session."""
    signature = next((s for s in record.signatures.all() if s.role == s.Role.SUPERVISOR), None)
    if signature is None or signature.signer_id == record.session.supervisor_id:
        return None
    return signing.signed_as(
        record.session, signature.signer, timezone.localtime(signature.signed_at).date()
    )


@login_required
def disagreement_add(request, session_id):
    session, _ = signing.get_session_to_sign(request, session_id)
    signing.refuse_unless_disagreeing(request, session)
    return _simple_form_view(
        request,
        session,
        DisagreementForm,
        lambda record, data: services.disagreement_add(
            record=record, by=request.user, request=request, **data
        ),
        "Disagreement recorded. Both of you now sign your views",
        "Record a disagreement",
    )


@login_required
def disagreement_sign(request, session_id, disagreement_id):
    session, _ = signing.get_session_to_sign(request, session_id)
    signing.refuse_unless_disagreeing(request, session)
    record = _record_of(session, request)
    disagreement = get_object_or_404(Disagreement, pk=disagreement_id, record=record)
    mine = "supervisee_view" if is_supervisee(request.user, session) else "supervisor_view"
    return _simple_form_view(
        request,
        session,
        DisagreementViewForm,
        lambda record, data: services.disagreement_sign_view(
            disagreement=disagreement, by=request.user, request=request, **data
        ),
        "Your view is signed",
        f"Sign your view: {disagreement.subject}",
        form_kwargs={"initial": {"view": getattr(disagreement, mine)}},
    )


@require_POST
@login_required
def record_share(request, session_id):
    session = signing.get_session_to_edit(request, session_id)
    try:
        services.record_share(record=_record_of(session, request), by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Record shared with {session.supervisee.full_name}")
    return redirect("record", session.pk)


def _who_finalises(session) -> str:
    signatory = signing.record_signatory(session)
    if signatory is None:
        return (
            "You signed the record. Nobody can finalise it until you have a line supervisor: "
            "ask your manager to record one"
        )
    return f"You signed the record. {signatory.name} will now finalise it"


@login_required
def record_sign(request, session_id):
    session, _ = get_session_for_user(request, session_id)
    refuse_unless_supervisee(request, session, "sign as a correct record")
    return _simple_form_view(
        request,
        session,
        PasswordForm,
        lambda record, data: services.record_sign(
            record=record, by=request.user, request=request, **data
        ),
        _who_finalises(session),
        "Sign as a correct record",
        form_kwargs={"submit": "Sign as a correct record"},
        template="supervision/records/sign.html",
    )


def _who_amends(session) -> str:
    editor = signing.record_editor(session)
    if editor is None:
        return "Changes asked. Ask your manager to record your line supervisor, who will amend it"
    return f"Changes asked. {editor.full_name} has been told"


@login_required
def record_amend(request, session_id):
    session, _ = get_session_for_user(request, session_id)
    refuse_unless_supervisee(request, session, "ask for changes")
    record = _record_of(session, request)
    sections = [s.template_section for s in record.sections.select_related("template_section")]

    def handler(record, data):
        section = next((s for s in sections if s.key == data["section"]), None)
        services.record_request_amendment(
            record=record,
            comments=[(section, data["comment"])],
            by=request.user,
            request=request,
        )

    return _simple_form_view(
        request,
        session,
        AmendmentForm,
        handler,
        _who_amends(session),
        "Ask for changes to the record",
        form_kwargs={"sections": sections},
    )


@login_required
def record_finalise(request, session_id):
    session, _ = signing.get_session_to_sign(request, session_id)
    signing.refuse_unless_finalising(request, session)
    return _simple_form_view(
        request,
        session,
        PasswordForm,
        lambda record, data: services.record_finalise(
            record=record, by=request.user, request=request, **data
        ),
        "Record signed and finalised. Both of you will get the signed PDF",
        "Sign and finalise the record",
        form_kwargs={"submit": "Sign and finalise"},
        template="supervision/records/sign.html",
    )


@login_required
def addendum_add(request, session_id):
    session, _ = get_session_for_user(request, session_id)
    signing.refuse_unless_taking_part(request, session)
    return _simple_form_view(
        request,
        session,
        AddendumForm,
        lambda record, data: services.addendum_add(
            record=record, by=request.user, request=request, **data
        ),
        "Addendum signed and added to the record",
        "Add a signed addendum",
    )
