"""Group supervision and the case progression board: thin views over group_services.

A team's pages are for those who lead its case work (access.children.get_team_for_user); a
group session is also readable by those who took part. A tile moves only for someone who may
write oversight on that child (CaseAction.MANAGE). Outside reach is a 404, audited.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from access.children import (
    CaseAction,
    get_child_for_user,
    get_group_for_user,
    get_team_for_user,
    restrict_children,
    team_case_reach,
)
from access.refusals import refuse
from casework import group_services
from casework.models import GroupSession, ProgressionStage
from casework.web.forms_groups import AddChildForm, GroupSessionForm
from supervision.organisation import audit
from supervision.web.drafts import Drafting
from supervision.web.form_errors import add_service_errors

SESSIONS_PER_PAGE = 50
GROUP = "group_session"


def _audit_read(request, object_type: str, object_id):
    audit.record(
        audit.AuditAction.READ, request=request, object_type=object_type, object_id=object_id
    )


def _url_or_none(name: str, **kwargs) -> str | None:
    # Pages written alongside this one: until they exist, the link is simply not offered.
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


# Group supervision (C6)


@login_required
@require_safe
def group_sessions(request, unit_id):
    unit = get_team_for_user(request, unit_id)
    page = Paginator(group_services.group_sessions_for_team(unit), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    _audit_read(request, "group_sessions", unit.pk)
    return render(request, "casework/groups/sessions.html", {"unit": unit, "page": page})


@login_required
def group_session_new(request, unit_id):
    unit = get_team_for_user(request, unit_id)
    staff = group_services.active_team_staff(unit)
    initial = {"participants": [request.user.pk]}
    if request.GET.get("format") in GroupSession.Format.values:
        initial["format"] = request.GET["format"]
    drafting = Drafting(request)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(GroupSessionForm, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = group_services.group_session_create(
                unit=unit,
                format=data["format"],
                held_at=data["held_at"],
                duration_minutes=data["duration_minutes"],
                participants=list(data["participants"]),
                summary=data["summary"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error, {"held_at": "held_on"})
        else:
            drafting.done()
            messages.success(
                request,
                f"{group.get_format_display()} of {timezone.localtime(group.held_at):%-d %B %Y} "
                "saved"
                + (
                    ". Add each child discussed: each gets their own case note"
                    if group.format in group_services.NOTE_KIND_BY_FORMAT
                    else ""
                ),
            )
            return redirect("group-session", group.pk)
    return render(
        request,
        "casework/groups/new.html",
        {
            "unit": unit,
            "form": form,
            "title": f"Record a group supervision in {unit.name}",
            "drafting": drafting,
        },
    )


@login_required
def group_session(request, group_id):
    group, leads = get_group_for_user(request, group_id)
    discusses_children = group.format in group_services.NOTE_KIND_BY_FORMAT
    form = AddChildForm(request.POST if request.method == "POST" else None) if leads else None
    if request.method == "POST":
        if not leads:
            refuse(
                request,
                GROUP,
                group.pk,
                answer=403,
                wanted="add a child",
                message="You took part in this session but do not lead the team.",
            )
        if form.is_valid():
            try:
                note = group_services.group_child_add(
                    group=group,
                    reference=form.cleaned_data["reference"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"{note.child.reference} added. A draft case note is on their record, "
                    "tied to this session: write it up to the child",
                )
                return redirect("group-session", group.pk)
    notes = list(group.case_notes.select_related("child", "author").order_by("pk"))
    for note in notes:
        note.url = _url_or_none("case-note", child_id=note.child_id, note_id=note.pk)
    _audit_read(request, GROUP, group.pk)
    return render(
        request,
        "casework/groups/session.html",
        {
            "group": group,
            "leads": leads,
            "form": form,
            "participants": list(group.participants.order_by("full_name")),
            "notes": notes,
            "guidance": group_services.FORMAT_GUIDANCE[group.format],
            "discusses_children": discusses_children,
            "is_formulation": group.format == GroupSession.Format.CASE_FORMULATION,
            "is_progression": group.format == GroupSession.Format.CASE_PROGRESSION,
        },
    )


# The case progression board (Kent's group supervision)


def _days_in_stage(since, today) -> int:
    return max((today - timezone.localtime(since).date()).days, 0) if since else 0


@login_required
@require_safe
def progression_board(request, unit_id):
    unit = get_team_for_user(request, unit_id)
    today = timezone.localdate()
    group = group_services.progression_group(request.GET.get("group"), unit.pk)
    movable = set(
        restrict_children(request.user, CaseAction.MANAGE)
        .filter(unit=unit, closed_on__isnull=True)
        .values_list("pk", flat=True)
    )
    columns = {stage: [] for stage in ProgressionStage}
    for child in group_services.board_children(unit):
        child.days_in_stage = _days_in_stage(child.stage_since, today)
        child.movable = child.pk in movable
        child.url = _url_or_none("child", child_id=child.pk)
        columns[ProgressionStage(child.progression_stage)].append(child)
    stages = [
        {"number": stage.value, "label": stage.label, "tiles": tiles}
        for stage, tiles in columns.items()
    ]
    _audit_read(request, "progression_board", unit.pk)
    return render(
        request,
        "casework/board/board.html",
        {
            "unit": unit,
            "group": group,
            # Three columns a row on a wide screen; GOV.UK columns stack when zoomed in.
            "rows": [stages[:3], stages[3:]],
            "stage_choices": ProgressionStage.choices,
            "total": sum(len(tiles) for tiles in columns.values()),
            "moves": group_services.recent_moves(unit),
        },
    )


@login_required
@require_POST
def progression_move(request, child_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    group_id = request.POST.get("group") or ""
    group = group_services.progression_group(group_id, child.unit_id) if group_id else None
    back = reverse("progression-board", kwargs={"unit_id": child.unit_id})
    if group is not None:
        back += f"?group={group.pk}"
    try:
        if group_id and group is None:
            raise ValidationError({"group": "Choose a case progression session of this team"})
        move = group_services.progression_move(
            child,
            request.POST.get("to_stage"),
            request.user,
            note=request.POST.get("note", ""),
            group_session=group,
            request=request,
        )
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, f"{child.reference} was not moved. {problem}")
    else:
        messages.success(
            request, f"{child.reference} moved to {move.get_to_stage_display().lower()}"
        )
    if not team_case_reach(request.user, child.unit):
        # A supervisor outside the team writes oversight on their supervisee's child but has
        # no board of that team to go back to.
        return redirect(_url_or_none("child", child_id=child.pk) or reverse("home"))
    return redirect(f"{back}#tile-{child.pk}")
