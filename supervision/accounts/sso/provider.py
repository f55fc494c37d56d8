"""The council's OpenID Connect provider, as allauth's registry finds it (`provider_classes`).

allauth's own OpenID Connect provider sends no nonce and, when it fetched the token itself,
skips the ID token's signature (the specification allows it over TLS). A record of who
signed in to a child-protection system should not rest on that, so here the authorization
request always carries a nonce, kept in the login's state and compared on return
(`adapters.SocialAccountAdapter`), and the signature, issuer, audience and expiry are always
checked."""

from __future__ import annotations

import secrets

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.base.constants import AuthAction
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.urls import reverse

PROVIDER_ID = "council_sso"


class CouncilSSOAdapter(OpenIDConnectOAuth2Adapter):
    def get_callback_url(self, request, app):
        callback = reverse("council_sso_callback", kwargs={"provider_id": self.provider_id})
        return build_absolute_uri(request, callback, self.redirect_uri_protocol)

    def _decode_id_token(self, app, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


class CouncilSSOProvider(OpenIDConnectProvider):
    id = PROVIDER_ID
    name = "Single sign-on"
    oauth2_adapter_class = CouncilSSOAdapter

    def get_auth_params_from_request(self, request, action):
        params = super().get_auth_params_from_request(request, action)
        if action == AuthAction.REAUTHENTICATE:
            # The person must prove who they are now, not ride on a session at the provider.
            params.update({"prompt": "login", "max_age": "0"})
        return params

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params["nonce"] = nonce
        # Kept in the login's state: a sign-in the provider was told to make afresh can
        # confirm who someone is, to sign (supervision.accounts.identity).
        fresh = auth_params.get("prompt") == "login"
        return super().redirect(
            request,
            process,
            next_url,
            data,
            auth_params=auth_params,
            nonce=nonce,
            fresh=fresh,
            **kwargs,
        )


provider_classes = [CouncilSSOProvider]
