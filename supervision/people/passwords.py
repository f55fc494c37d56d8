"""Links by which a person sets their own password: nobody else ever sees or sets it.

An administrator never types or reads another person's password. A new account (made in the
Django admin or by an import) has none that anyone knows; the person is emailed a link to set
their own, and so is anyone an administrator sends one to, or who asks for one on the sign-in
page ("Forgotten your password?").

The link is Django's password-reset link (`PasswordResetTokenGenerator`): it works for
`PASSWORD_RESET_TIMEOUT` (24 hours) and once only, since setting the password changes what
the token was made from. The email is written to the outbox first (`oversight.notices.outbox`), like
every other email, so nothing is lost if the mail server is down. The stored body holds a
placeholder, not the link: the outbox makes the link at the moment it sends, so no working
link is kept in the database and the 24 hours start when the email leaves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from access.people import may_act
from oversight.models import Notification
from supervision.accounts.policy import sso_configured
from supervision.models import User
from supervision.organisation import audit
from supervision.organisation.site import site_link

LINK_PLACEHOLDER = "[[set-password-link]]"
INVITATION_PLACEHOLDER = "[[invitation-link]]"
OBJECT_TYPE = "set_password_link"
FORGOTTEN_QUIET = timedelta(minutes=5)


class Why:
    ADMIN = "sent by an administrator"
    NEW_ACCOUNT = "new account"
    IMPORT = "account created by an import"
    FORGOTTEN = "asked for on the sign-in page"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """The invitation a new account gets: like a set-password link, but it works for
    INVITATION_TIMEOUT (7 days), since a person added on Friday may first look on Monday
    week. Once only: setting the password, or signing in at all (single sign-on included),
    changes what the token was made from."""

    key_salt = "supervision.people.passwords.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token) or "-" not in token:
            return False
        timestamp_b36 = token.split("-", 1)[0]
        try:
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return age <= settings.INVITATION_TIMEOUT.total_seconds()


invitation_token_generator = InvitationTokenGenerator()
INVITED = {"new account", "account created by an import"}


def invitation_path(user) -> str:
    return reverse(
        "invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token_generator.make_token(user),
        },
    )


def set_password_path(user) -> str:
    """The path of a working link for `user`, made now."""
    return reverse(
        "password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def may_get_link(user) -> bool:
    """Only an open account, of someone who has not left, with an email address."""
    return bool(user.email) and may_act(user)


@transaction.atomic
def set_password_link_queue(
    user, *, why: str, by=None, request=None, now: datetime | None = None
) -> bool:
    """Write the email with a link for `user` to set their password to the outbox, audited.
    False (and nothing written) for an account that may not have one."""

    if not may_get_link(user):
        return False
    now = now or timezone.now()
    body = render_to_string(
        "email/set_password.txt",
        {
            "recipient": user,
            "link": INVITATION_PLACEHOLDER if why in INVITED else LINK_PLACEHOLDER,
            "invited": why in INVITED,
            "invitation_days": settings.INVITATION_TIMEOUT.days,
            "sso_name": settings.SSO_NAME if sso_configured() else "",
            "sign_in_link": site_link(reverse("sign-in")),
            "asked": why == Why.FORGOTTEN,
            "service_name": settings.SERVICE_NAME,
            "organisation_name": settings.ORGANISATION_NAME,
        },
    )
    try:
        # A savepoint: two clicks in the same second write one email.
        with transaction.atomic():
            Notification.objects.create(
                kind=Notification.Kind.SET_PASSWORD,
                recipient=user,
                period=f"{now:%Y%m%d%H%M%S}",
                subject=f"Set your password for {settings.SERVICE_NAME}"[:200],
                body=body,
                created_at=now,
            )
    except IntegrityError:
        return False
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=OBJECT_TYPE,
        object_id=user.pk,
        subject=user,
        detail={"event": "queued", "why": why},
    )
    return True


def body_to_send(notice) -> str:
    """The body of a set-password email with a link made now, at the moment of sending."""

    user = User.objects.get(pk=notice.recipient_id)
    return notice.body.replace(LINK_PLACEHOLDER, site_link(set_password_path(user))).replace(
        INVITATION_PLACEHOLDER, site_link(invitation_path(user))
    )


def forgotten_password(email: str, *, request=None, now: datetime | None = None) -> None:
    """Someone typed an address on "Forgotten your password?". If it is an open account's, it
    gets a link; either way the caller says the same thing, so nobody learns who has one. One
    such email per person in `FORGOTTEN_QUIET`, so the page cannot be used to flood an inbox."""

    now = now or timezone.now()
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        return
    recent = Notification.objects.filter(
        kind=Notification.Kind.SET_PASSWORD,
        recipient=user,
        created_at__gt=now - FORGOTTEN_QUIET,
    )
    if not recent.exists():
        set_password_link_queue(user, why=Why.FORGOTTEN, request=request, now=now)


@transaction.atomic
def password_set_by_link(*, form, request=None):
    """The person set their own password with a link: saved and audited (never the password)."""

    user = form.save()
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=user,
        object_type="password",
        object_id=user.pk,
        subject=user,
        detail={"event": "set by the person with an emailed link"},
    )
    return user
