"""A rate limit per token (API_TOKEN_RATE), counted in the cache: Redis where REDIS_URL is set,
so every web process shares one count; this process's memory otherwise."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.framework.authentication import ApiClient


class PerTokenThrottle(SimpleRateThrottle):
    scope = "api_token"
    cache_format = "api-throttle-%(scope)s-%(ident)s"

    def get_rate(self):
        # Read on each call rather than once at import, so a setting changed in a test or an
        # override counts.
        return settings.API_TOKEN_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if not isinstance(request.user, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.token.pk}
