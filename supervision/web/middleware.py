from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after sign-in, however active it has been.

    The 30-minute inactivity limit is the session cookie's own age, renewed on every request.
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
