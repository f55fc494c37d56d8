"""Practice observations and development conversations (DOMAIN Q1, Q2): reach follows the
person's file (`access.files`); within it, each record has two parts, and only the person in
a part writes or signs as that part. An observation has its observer and its practitioner; a
development conversation the manager who agrees it and the person it is about."""

from supervision.models import DevelopmentConversation, PracticeObservation


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
