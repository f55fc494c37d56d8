"""Bearer tokens, and nothing else: a person's own session never reaches the API (the
session cookie is not even read on /api/ paths: api.middleware)."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from api import tokens
from api.models import ApiToken


class ApiClient:
    """Who is calling: a service account, through one of its tokens. Stands where a person
    would in `request.user`, and is never a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False

    def __init__(self, token: ApiToken):
        self.token = token
        self.account = token.account
        self.pk = None  # never mistaken for a person's id

    def __str__(self):
        return f"service account {self.account.name}"


class TokenRefused(exceptions.AuthenticationFailed):
    pass


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        keyword, _, presented = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not presented.strip():
            raise TokenRefused("Send the token as: Authorization: Bearer <token>.")
        token = tokens.token_for(presented.strip())
        if token is None:
            raise TokenRefused("This token is not recognised.")
        # Known, so the refusal below is audited against its account (api.framework.calls).
        request._request.api_token = token
        if token.revoked_at is not None:
            raise TokenRefused("This token has been revoked.")
        if token.expires_at <= timezone.now():
            raise TokenRefused("This token has expired.")
        if not token.account.is_active:
            raise TokenRefused("This token's service account has been switched off.")
        tokens.token_used(token)
        return ApiClient(token), token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A service account's token, issued by an administrator (Administration → API "
                "access) and shown once: `Authorization: Bearer sr_…`. Each token carries its "
                "account's scopes (read_figures, read_people, write_imports) and sees only "
                "the account's units and the units below them."
            ),
        }
