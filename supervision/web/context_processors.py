from django.conf import settings

from supervision.web.navigation import navigation_for, places


def service(request):
    links = places()
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "service_name": settings.SERVICE_NAME,
        # The idle time a page is sure of: the limit was last renewed up to a minute before.
        "session_idle_seconds": settings.SESSION_COOKIE_AGE - settings.SESSION_REFRESH_SECONDS,
        # The header's and footer's links, reversed once (navigation.Places).
        "places": links,
        # A request refused before AuthenticationMiddleware ran (a wrong Host header) still
        # draws its 400 page through these processors, and has no user to build menus for.
        "navigation": navigation_for(request, links) if hasattr(request, "user") else [],
    }
