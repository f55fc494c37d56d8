"""Practice observations and development conversations (rules Q1, Q2): reach follows the
person's file (`access.files`); within it, each record has two parts, and only the person in
a part writes or signs as that part. An observation has its observer and its practitioner; a
development conversation the manager who agrees it and the person it is about."""

from datetime import date

from access.files import Action, get_file_for_user, restrict_files
from access.people import may_act, may_read_content
from supervision.models import DevelopmentConversation, PracticeObservation, User


def observation_part(user, observation: PracticeObservation) -> str | None:
    """ "observer", "practitioner" or None."""
    if user.pk == observation.observer_id:
        return "observer"
    if user.pk == observation.practitioner_id:
        return "practitioner"
    return None


def conversation_part(user, conversation: DevelopmentConversation) -> str | None:
    """ "agreed_by" (the manager who holds it), "person" (whom it is about) or None."""
    if user.pk == conversation.agreed_by_id:
        return "agreed_by"
    if user.pk == conversation.person_id:
        return "person"
    return None


def _own_draft(user, person_id, *, observation_id=None, conversation_id=None):
    """The unsigned observation (or development conversation) about `person_id` whose observer
    (or agreeing manager) is `user`, or None."""
    if observation_id is not None and str(observation_id).isdigit():
        return PracticeObservation.objects.filter(
            pk=observation_id,
            practitioner_id=person_id,
            observer_id=user.pk,
            status=PracticeObservation.Status.DRAFT,
        ).first()
    if conversation_id is not None and str(conversation_id).isdigit():
        return DevelopmentConversation.objects.filter(
            pk=conversation_id,
            person_id=person_id,
            agreed_by_id=user.pk,
            status=DevelopmentConversation.Status.DRAFT,
        ).first()
    return None


def get_file_for_author(
    request,
    person_id,
    action: Action = Action.VIEW,
    *,
    observation_id=None,
    conversation_id=None,
    day: date | None = None,
):
    """The person's file for an observation's or development conversation's own page, change
    and sign pages: as `get_file_for_user`, and also for its observer (or the manager who
    agreed it) while it is unsigned and they may still act, where their reach over the file
    has ended (a change of supervisor). They vouch for what they saw or agreed, so nobody can
    sign it for them, and without this it could never be signed. Nothing else of the file
    opens to them. (person, may_edit)."""
    user = request.user
    if str(person_id).isdigit() and may_read_content(user, day):
        in_reach = restrict_files(user, Action.EDIT, day).filter(pk=person_id).exists()
        own = (
            None
            if in_reach
            else _own_draft(
                user, person_id, observation_id=observation_id, conversation_id=conversation_id
            )
        )
        if own is not None:
            person = User.objects.select_related("profile__job_role", "profile__unit").get(
                pk=person_id
            )
            person.author_only = True  # pages link back home, not to the file they cannot open
            return person, True
    return get_file_for_user(request, person_id, action, day)


def author_gone(author, day: date | None = None) -> bool:
    """The observer or agreeing manager can no longer sign: they have left or their account
    is closed. What they did not sign stays unsigned; a new one is recorded instead."""
    return not may_act(author, day)
