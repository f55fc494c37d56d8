from django.conf import settings


class ApiWithoutSessionMiddleware:
    """A person's own session never reaches the API: on /api/ paths the session cookie is
    dropped before the session is read, so the call is anonymous until its token says
    otherwise, and nothing the API answers touches the person's session. Before
    SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)
        return self.get_response(request)
