import time
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from supervision.accounts import policy
from supervision.accounts.sessions import SAVED_AT


class SessionRefreshMiddleware:
    """Renews a session's idle limit at most once every SESSION_REFRESH_SECONDS.

    Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) cost a database write and a
    cache write per page. Instead the session is saved, and its cookie sent again with a fresh
    age, when a request comes at least a minute after it was last saved: the idle limit then
    runs from at most a minute before the last request, so a session left alone ends between
    29 and 30 minutes after it (never later than 30). A session that is changed is saved
    anyway. Placed just inside SessionMiddleware, which does the saving on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.modified or session.is_empty():
            return response
        saved_at = session.get(SAVED_AT)
        if saved_at is None or time.time() - saved_at >= settings.SESSION_REFRESH_SECONDS:
            session.modified = True
        return response


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after sign-in, however active it has been.

    The 30-minute inactivity limit is the session cookie's own age, renewed by
    SessionRefreshMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            signed_in_at = request.session.get("signed_in_at")
            if signed_in_at is None:
                request.session["signed_in_at"] = timezone.now().isoformat()
            elif timezone.now() - datetime.fromisoformat(signed_in_at) > (
                settings.SESSION_ABSOLUTE_LIFETIME
            ):
                logout(request)
                messages.info(request, "You have been signed out after 12 hours. Sign in again.")
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in person hold sensitive data: no browser or proxy keeps them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class TwoFactorRequiredMiddleware:
    """Someone who must have a second factor (supervision.accounts.policy) and had none when
    they signed in is taken to set one up before anything else. Decided once, at sign-in
    (supervision.signals), so no page pays for it."""

    OPEN_PATHS = (
        "/account/two-factor/",
        "/account/confirm/",
        "/sign-out/",
        "/static/",
        "/healthz/",
        "/keep-alive/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and request.session.get(policy.SETUP_NEEDED)
            and not request.path.startswith(self.OPEN_PATHS)
        ):
            # Set up since (in another tab, or just now): on they go.
            if policy.second_factors(request.user):
                del request.session[policy.SETUP_NEEDED]
                return self.get_response(request)
            messages.info(
                request,
                "Your organisation asks you to set up two-factor authentication before you go on.",
            )
            setup = reverse("mfa_index")
            return redirect(f"{setup}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
