"""Pages for practice observations, development conversations, probation reviews and
wellbeing plans: thin views over development_services.

Everything about a person goes through get_file_for_user (VIEW to read, EDIT to write), so an
id typed into a URL is refused and audited the same way as everywhere else in the file. Team
wellbeing plans belong to a unit, not a person, and have their own reach (team_reach).
"""

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.development import (
    author_gone,
    conversation_part,
    get_file_for_author,
    observation_part,
)
from access.files import Action as Reach
from access.files import get_file_for_user, may_read_personal_sections
from access.refusals import refuse
from access.units import get_team_for_plan
from supervision.development import services
from supervision.models import (
    DevelopmentConversation,
    PracticeObservation,
    ProbationReview,
    TeamWellbeingPlan,
    WellbeingPlan,
)
from supervision.organisation import audit
from supervision.web.drafts import Drafting
from supervision.web.form_errors import add_service_errors
from supervision.web.forms_development import (
    ConversationForm,
    ObservationForm,
    PasswordForm,
    PractitionerResponseForm,
    ProbationReviewForm,
    TeamWellbeingPlanForm,
    WellbeingPlanForm,
)

FORM_TEMPLATE = "supervision/development/form.html"
FILE = "staff_file"


def _audit_read(request, object_type: str, object_id, subject):
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
    )


def _refuse(request, person, wanted: str):
    """Inside the file's reach but not this person's to do: 403, audited with the subject."""
    refuse(
        request,
        FILE,
        person.pk,
        answer=403,
        subject=person,
        wanted=wanted,
        message="This is not yours to do.",
    )


def _not_found(request, object_type: str, object_id, subject=None):
    refuse(request, object_type, object_id, subject=subject)


def _form_page(request, form, *, person, title, back_url, intro="", status=200, drafting=None):
    return render(
        request,
        FORM_TEMPLATE,
        {
            "form": form,
            "person": person,
            "title": title,
            "back_url": back_url,
            "intro": intro,
            "drafting": drafting,
        },
        status=status,
    )


# Practice observations (Q1)


def _observation(request, person, observation_id) -> PracticeObservation:
    observation = (
        PracticeObservation.objects.select_related("observer", "practitioner")
        .filter(pk=observation_id, practitioner=person)
        .first()
    )
    if observation is None:
        _not_found(request, "practice_observation", observation_id, person)
    return observation


@login_required
def person_observations(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    observations = list(
        PracticeObservation.objects.filter(practitioner=person).select_related(
            "observer", "practitioner"
        )
    )
    _audit_read(request, "practice_observations", person.pk, person)
    year_ago = timezone.localdate() - relativedelta(years=1)
    return render(
        request,
        "supervision/development/observations.html",
        {
            "person": person,
            "person_gone": author_gone(person),
            "may_edit": may_edit,
            "observations": observations,
            "in_last_year": sum(1 for o in observations if o.observed_on > year_ago),
        },
    )


@login_required
def observation_new(request, person_id):
    person, _ = get_file_for_user(request, person_id, Reach.EDIT)
    drafting = Drafting(request, subject=person)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(ObservationForm)
    if request.method == "POST" and form.is_valid():
        try:
            observation = services.observation_record(
                practitioner=person, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, "Observation saved. Sign your feedback when it is complete")
            return redirect("observation", person.pk, observation.pk)
    return _form_page(
        request,
        form,
        person=person,
        title=f"Record an observation of {person.full_name}'s practice",
        back_url=_url("person-observations", person),
        drafting=drafting,
    )


@login_required
def observation_page(request, person_id, observation_id):
    person, may_edit = get_file_for_author(request, person_id, observation_id=observation_id)
    observation = _observation(request, person, observation_id)
    _audit_read(request, "practice_observation", observation.pk, person)
    user = request.user
    return render(
        request,
        "supervision/development/observation.html",
        {
            "person": person,
            "person_gone": author_gone(person),
            "observation": observation,
            "signatures": list(observation.signatures.select_related("signer")),
            "is_observer": observation_part(user, observation) == "observer" and may_edit,
            "is_practitioner": observation_part(user, observation) == "practitioner",
            "signatures_hold": services.observation_signatures_hold(observation),
            "observer_gone": observation.status == PracticeObservation.Status.DRAFT
            and author_gone(observation.observer),
            "observer_left": _observer_left(observation),
        },
    )


@login_required
def observation_edit(request, person_id, observation_id):
    person, _ = get_file_for_author(request, person_id, Reach.EDIT, observation_id=observation_id)
    observation = _observation(request, person, observation_id)
    if observation_part(request.user, observation) != "observer":
        _refuse(request, person, "change someone else's observation")
    if observation.status != PracticeObservation.Status.DRAFT:
        messages.error(request, "You have signed this observation: it can no longer be changed")
        return redirect("observation", person.pk, observation.pk)
    initial = {name: getattr(observation, name) for name in services.OBSERVATION_INPUTS}
    drafting = Drafting(request, subject=person, saved=initial)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(ObservationForm, initial=initial)
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        try:
            services.observation_update(
                observation=observation, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, "Observation saved")
            return redirect("observation", person.pk, observation.pk)
    return _form_page(
        request,
        form,
        person=person,
        title=f"Change the observation of {observation.observed_on:%-d %B %Y}",
        back_url=_url("observation", person, observation.pk),
        drafting=drafting,
    )


@login_required
def observation_sign(request, person_id, observation_id):
    person, _ = get_file_for_author(request, person_id, Reach.EDIT, observation_id=observation_id)
    observation = _observation(request, person, observation_id)
    if observation_part(request.user, observation) != "observer":
        _refuse(request, person, "sign as observer")
    form = PasswordForm(
        request.POST or None, submit="Sign my feedback", signer=request.user, request=request
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.observation_sign_as_observer(
                observation=observation, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"You signed your feedback. {person.full_name} can now add comments and sign",
            )
            return redirect("observation", person.pk, observation.pk)
    return _form_page(
        request,
        form,
        person=person,
        title=f"Sign your feedback on {person.full_name}'s observation",
        back_url=_url("observation", person, observation.pk),
        intro="Once you sign, the observation can no longer be changed. "
        f"{person.full_name} then adds their comments and signs.",
    )


@login_required
def observation_respond(request, person_id, observation_id):
    person, _ = get_file_for_user(request, person_id)
    observation = _observation(request, person, observation_id)
    if observation_part(request.user, observation) != "practitioner":
        _refuse(request, person, "comment as practitioner")
    if observation.status == PracticeObservation.Status.SIGNED:
        messages.error(request, "You have already signed this observation")
        return redirect("observation", person.pk, observation.pk)
    drafting = Drafting(request, subject=person)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(PractitionerResponseForm, signer=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            services.observation_comment_and_sign(
                observation=observation, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, "Your comments are added and the observation is signed")
            return redirect("observation", person.pk, observation.pk)
    waiting = observation.status == PracticeObservation.Status.DRAFT
    return _form_page(
        request,
        None if waiting else form,
        person=person,
        title="Add your comments and sign the observation",
        back_url=_url("observation", person, observation.pk),
        intro=(
            _observer_left(observation)
            if waiting and author_gone(observation.observer)
            else f"{observation.observer.full_name} has not signed their feedback yet. You can "
            "add your comments and sign once they have."
            if waiting
            else "Once you sign, the observation is locked and nobody can change it."
        ),
        drafting=drafting,
    )


def _observer_left(observation) -> str:
    return (
        f"{observation.observer.full_name} left without signing their feedback, so this "
        "observation cannot be signed. It stays on the file unsigned; your supervisor records "
        "a new observation."
    )


def _agreer_left(conversation) -> str:
    return (
        f"{conversation.agreed_by.full_name} left without signing this "
        f"{conversation.get_kind_display().lower()}, so they cannot sign it. The supervisor now "
        "takes it over, reviews it with the person it is about and signs it."
    )


# Development conversations (Q2)


def _conversation(request, person, conversation_id) -> DevelopmentConversation:
    conversation = (
        DevelopmentConversation.objects.select_related("agreed_by", "person")
        .filter(pk=conversation_id, person=person)
        .first()
    )
    if conversation is None:
        _not_found(request, "development_conversation", conversation_id, person)
    return conversation


@login_required
def person_development(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    conversations = list(
        DevelopmentConversation.objects.filter(person=person).select_related("agreed_by", "person")
    )
    _audit_read(request, "development_conversations", person.pk, person)
    return render(
        request,
        "supervision/development/conversations.html",
        {
            "person": person,
            "person_gone": author_gone(person),
            "may_edit": may_edit,
            "conversations": conversations,
        },
    )


@login_required
def development_new(request, person_id):
    person, _ = get_file_for_user(request, person_id, Reach.EDIT)
    today = timezone.localdate()
    kind = request.GET.get("kind")
    initial = {
        "year": today.year,
        "kind": kind if kind in DevelopmentConversation.Kind.values else None,
    }
    drafting = Drafting(request, subject=person)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(ConversationForm, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_record(
                person=person, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(
                request, f"{conversation.get_kind_display()} for {conversation.year} saved"
            )
            return redirect("development-conversation", person.pk, conversation.pk)
    return _form_page(
        request,
        form,
        person=person,
        title=f"Record a development conversation with {person.full_name}",
        back_url=_url("person-development", person),
        drafting=drafting,
    )


@login_required
def development_conversation(request, person_id, conversation_id):
    person, may_edit = get_file_for_author(request, person_id, conversation_id=conversation_id)
    conversation = _conversation(request, person, conversation_id)
    _audit_read(request, "development_conversation", conversation.pk, person)
    user = request.user
    Status = DevelopmentConversation.Status
    return render(
        request,
        "supervision/development/conversation.html",
        {
            "person": person,
            "person_gone": author_gone(person),
            "conversation": conversation,
            "signatures": list(conversation.signatures.select_related("signer")),
            "may_change": conversation_part(user, conversation) == "agreed_by"
            and conversation.status == Status.DRAFT,
            "agreer_gone": conversation.status == Status.DRAFT
            and author_gone(conversation.agreed_by),
            "may_take_over": may_edit
            and conversation.status == Status.DRAFT
            and author_gone(conversation.agreed_by),
            "agreer_left": _agreer_left(conversation),
            "may_sign": (
                conversation_part(user, conversation) == "agreed_by"
                and conversation.status == Status.DRAFT
            )
            or (
                conversation_part(user, conversation) == "person"
                and conversation.status == Status.SUPERVISOR_SIGNED
            ),
        },
    )


@require_POST
@login_required
def development_take_over(request, person_id, conversation_id):
    person, _ = get_file_for_user(request, person_id, Reach.EDIT)
    conversation = _conversation(request, person, conversation_id)
    try:
        services.conversation_take_over(conversation=conversation, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"You now hold this {conversation.get_kind_display().lower()}: review it with "
            f"{person.full_name}, change it if you need to, and sign it",
        )
    return redirect("development-conversation", person.pk, conversation.pk)


@login_required
def development_edit(request, person_id, conversation_id):
    person, _ = get_file_for_author(request, person_id, Reach.EDIT, conversation_id=conversation_id)
    conversation = _conversation(request, person, conversation_id)
    if conversation_part(request.user, conversation) != "agreed_by":
        _refuse(request, person, "change someone else's development conversation")
    if conversation.status != DevelopmentConversation.Status.DRAFT:
        messages.error(request, "This has been signed and can no longer be changed")
        return redirect("development-conversation", person.pk, conversation.pk)
    saved = {name: getattr(conversation, name) for name in ("year", "held_on", "goals", "progress")}
    drafting = Drafting(request, subject=person, saved=saved)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(ConversationForm, with_kind=False, initial=saved)
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        try:
            services.conversation_update(
                conversation=conversation, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, f"{conversation.get_kind_display()} saved")
            return redirect("development-conversation", person.pk, conversation.pk)
    return _form_page(
        request,
        form,
        person=person,
        title=f"Change the {conversation.get_kind_display().lower()} for {conversation.year}",
        back_url=_url("development-conversation", person, conversation.pk),
        drafting=drafting,
    )


@login_required
def development_sign(request, person_id, conversation_id):
    person, _ = get_file_for_author(request, person_id, conversation_id=conversation_id)
    conversation = _conversation(request, person, conversation_id)
    user = request.user
    if conversation_part(user, conversation) is None:
        _refuse(request, person, "sign a development conversation")
    label = conversation.get_kind_display().lower()
    waiting = (
        conversation_part(user, conversation) == "person"
        and conversation.status == DevelopmentConversation.Status.DRAFT
    )
    form = PasswordForm(
        request.POST or None, submit=f"Sign the {label}", signer=request.user, request=request
    )
    if request.method == "POST" and form.is_valid() and not waiting:
        try:
            services.conversation_sign(
                conversation=conversation, by=user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"You signed the {label}"
                + (
                    f". {person.full_name} can now sign it"
                    if conversation_part(user, conversation) == "agreed_by"
                    else ". It is now locked"
                ),
            )
            return redirect("development-conversation", person.pk, conversation.pk)
    return _form_page(
        request,
        None if waiting else form,
        person=person,
        title=f"Sign the {label} for {conversation.year}",
        back_url=_url("development-conversation", person, conversation.pk),
        intro=(
            _agreer_left(conversation)
            if waiting and author_gone(conversation.agreed_by)
            else f"{conversation.agreed_by.full_name} signs first. You can sign once they have."
            if waiting
            else "Once you have both signed, nobody can change it."
        ),
    )


# Probation (Q3)


@login_required
def person_probation(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    today = timezone.localdate()
    schedule = services.probation_schedule(person, today)
    _audit_read(request, "probation_reviews", person.pk, person)
    return render(
        request,
        "supervision/development/probation.html",
        {"person": person, "may_edit": may_edit, "schedule": schedule, "today": today},
    )


@login_required
def probation_review(request, person_id, month):
    person, _ = get_file_for_user(request, person_id, Reach.EDIT)
    due = next(
        (d for d in services.probation_schedule(person, timezone.localdate()) if d.month == month),
        None,
    )
    if due is None:
        _not_found(request, "probation_review", f"{person.pk}/{month}", person)
    existing = due.review
    saved = (
        {"held_on": existing.held_on, "outcome": existing.outcome, "notes": existing.notes}
        if existing
        else {}
    )
    drafting = Drafting(request, subject=person, saved=saved)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(
        ProbationReviewForm, final=month == ProbationReview.Month.FIVE, initial=saved
    )
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        try:
            services.probation_review_record(
                person=person, month=month, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, f"Month {month} probation review saved")
            return redirect("person-probation", person.pk)
    return _form_page(
        request,
        form,
        person=person,
        title=f"{ProbationReview.Month(month).label} probation review",
        back_url=_url("person-probation", person),
        intro=f"Due {due.due_on:%-d %B %Y}.",
        drafting=drafting,
    )


# Wellbeing plans (Q5)


@login_required
def person_wellbeing(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    show_personal = may_read_personal_sections(request.user, person)
    plans = WellbeingPlan.objects.filter(person=person).select_related("written_by")
    if not show_personal:
        # Not even loaded: what is not shown cannot leak through a template change.
        plans = plans.defer(*WellbeingPlan.SECTIONS)
    plans = list(plans.order_by("-version"))
    if show_personal:
        _attach_sections(plans, WellbeingPlan)
    _audit_read(request, "wellbeing_plans", person.pk, person)
    return render(
        request,
        "supervision/development/wellbeing.html",
        {
            "person": person,
            "may_edit": may_edit,
            "not_shown": not show_personal,
            "current": plans[0] if plans else None,
            "earlier": plans[1:],
            "today": timezone.localdate(),
        },
    )


def _attach_sections(plans, model) -> None:
    headings = [(name, model._meta.get_field(name).verbose_name) for name in model.SECTIONS]
    for plan in plans:
        plan.sections = [(heading, getattr(plan, name)) for name, heading in headings]


@login_required
def wellbeing_review(request, person_id):
    person, _ = get_file_for_user(request, person_id, Reach.EDIT)
    current = services.current_wellbeing_plan(person)
    initial = {name: getattr(current, name) for name in WellbeingPlan.SECTIONS} if current else {}
    drafting = Drafting(request, subject=person, saved=initial)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(WellbeingPlanForm, initial=initial)
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        try:
            plan = services.wellbeing_plan_review(
                person=person, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(
                request,
                f"Wellbeing plan saved as version {plan.version}"
                + (". The earlier version is kept" if current else ""),
            )
            return redirect("person-wellbeing", person.pk)
    return _form_page(
        request,
        form,
        person=person,
        title=f"{'Review' if current else 'Write'} {person.full_name}'s wellbeing plan",
        back_url=_url("person-wellbeing", person),
        intro="Personal: seen by the person, their supervisors and the managers above them. "
        "Keep to what is relevant to the role.",
        drafting=drafting,
    )


@login_required
def team_wellbeing(request, unit_id):
    unit = get_team_for_plan(request, unit_id)
    plans = list(
        TeamWellbeingPlan.objects.filter(unit=unit)
        .select_related("written_by")
        .order_by("-version")
    )
    _attach_sections(plans, TeamWellbeingPlan)
    _audit_read(request, "team_wellbeing_plan", unit.pk, None)
    return render(
        request,
        "supervision/development/team_wellbeing.html",
        {
            "unit": unit,
            "may_edit": unit.may_edit,
            "current": plans[0] if plans else None,
            "earlier": plans[1:],
            "today": timezone.localdate(),
        },
    )


@login_required
def team_wellbeing_review(request, unit_id):
    unit = get_team_for_plan(request, unit_id, edit=True)
    current = TeamWellbeingPlan.objects.filter(unit=unit).order_by("-version").first()
    initial = (
        {name: getattr(current, name) for name in TeamWellbeingPlan.SECTIONS} if current else {}
    )
    drafting = Drafting(request, saved=initial)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(TeamWellbeingPlanForm, initial=initial)
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        try:
            plan = services.team_wellbeing_plan_review(
                unit=unit, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(
                request, f"{unit.name}'s wellbeing plan saved as version {plan.version}"
            )
            return redirect("team-wellbeing", unit.pk)
    return render(
        request,
        FORM_TEMPLATE,
        {
            "form": form,
            "unit": unit,
            "title": f"{'Review' if current else 'Write'} {unit.name}'s wellbeing plan",
            "back_url": _url("team-wellbeing", unit_id=unit.pk),
            "intro": "Made together as a team. Adapt the headings to what your team needs.",
            "drafting": drafting,
        },
    )


def _url(name, person=None, object_id=None, **kwargs):
    if person is not None:
        kwargs["person_id"] = person.pk
    if object_id is not None:
        kwargs[
            {
                "observation": "observation_id",
                "development-conversation": "conversation_id",
            }[name]
        ] = object_id
    return reverse(name, kwargs=kwargs)
