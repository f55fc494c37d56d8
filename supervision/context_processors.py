from django.conf import settings

from .navigation import navigation_for


def service(request):
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "service_name": settings.SERVICE_NAME,
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "navigation": navigation_for(request),
    }
