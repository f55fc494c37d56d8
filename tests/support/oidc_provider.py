"""A small, real OpenID Connect provider for tests: an HTTP server on 127.0.0.1 in a thread.

It speaks the authorization code flow with PKCE (S256) as a relying party such as allauth's
`openid_connect` provider uses it: discovery, an authorization endpoint that never shows a
page but answers at once for the person the test chose (`sign_in_as`), a token endpoint that
checks the client, the single-use code, the redirect URI and the PKCE verifier, a userinfo
endpoint and the JWKS. A test can spoil the next ID token (`tamper`) to prove the relying
party refuses it, and can read what the relying party sent (`requests`, `token_requests`).

    with OIDCProvider() as provider:           # or the `oidc_provider` fixture
        provider.sign_in_as("ann@example.org", name="Ann")
        ...point the app's server_url at provider.issuer...
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "test-signing-key"
TAMPERS = (None, "wrong_nonce", "wrong_audience", "expired", "bad_signature", "wrong_issuer")
TOKEN_LIFETIME = 300


@functools.cache
def _rsa_key(name: str) -> rsa.RSAPrivateKey:
    # A 2048-bit key takes tens of milliseconds to make; every test's server can share them,
    # since nothing outside this process ever trusts them.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge for a verifier (RFC 7636 4.2): unpadded base64url SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _with_params(url: str, **params) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class OIDCProvider:
    def __init__(
        self,
        *,
        client_id: str = "test-client",
        client_secret: str = "test-client-secret",
        redirect_uris: list[str] | None = None,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        # Prefixes, not exact URIs: the Django test client calls itself http://testserver and a
        # live server picks its own port, so a test rarely knows the exact callback up front.
        self.redirect_uris = redirect_uris or [
            "http://testserver/",
            "http://localhost:",
            "http://127.0.0.1:",
        ]
        self.key = _rsa_key("signing")
        self.other_key = _rsa_key("not-published")  # for "bad_signature"
        self.user: dict | None = None
        self._tamper: str | None = None
        self.requests: list[dict] = []  # every /authorize query, in order
        self.token_requests: list[dict] = []  # every /token form, secret removed
        self.id_tokens: list[str] = []  # every ID token issued, encoded
        self._codes: dict[str, dict] = {}
        self._access_tokens: dict[str, dict] = {}
        self._lock = threading.Lock()  # the server answers each request in its own thread
        # Bound now, so the port (and so the issuer) is known before start().
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> OIDCProvider:
        # A short poll, since stop() waits up to one poll interval (0.5 s by default, per test).
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        # shutdown() waits for serve_forever to notice, so it would hang if never started.
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # Test controls

    def sign_in_as(self, email, *, name="Test Person", email_verified=True, sub=None) -> None:
        """Who the next authorization is for. The default `sub` is stable for an address."""
        self.user = {
            "sub": sub or "user-" + hashlib.sha256(email.lower().encode()).hexdigest()[:16],
            "email": email,
            "email_verified": email_verified,
            "name": name,
        }

    def sign_out(self) -> None:
        self.user = None

    @property
    def tamper(self) -> str | None:
        """How to spoil the next ID token issued; cleared once that token is issued."""
        return self._tamper

    @tamper.setter
    def tamper(self, value: str | None) -> None:
        # Checked here, in the test's thread: raised in the server's, it would only drop a
        # connection.
        if value not in TAMPERS:
            raise ValueError(f"Unknown tamper {value!r}; one of {TAMPERS}")
        self._tamper = value

    @property
    def last_authorize(self) -> dict | None:
        return self.requests[-1] if self.requests else None

    @property
    def server_url(self) -> str:
        """What allauth's `server_url` setting wants (it appends the well-known path itself)."""
        return self.issuer

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "scopes_supported": ["openid", "profile", "email"],
            # Both, as most real providers do; allauth then picks client_secret_post.
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def jwks(self) -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    # Endpoints, as plain methods returning (status, body or redirect)

    def authorize(self, query: dict) -> tuple[int, str | dict]:
        self.requests.append(query)  # before any check, so a test can see a bad request too
        redirect_uri = query.get("redirect_uri", "")
        # An unknown client or redirect URI must not be redirected to (RFC 6749 4.1.2.1).
        if query.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client"}
        if not any(redirect_uri.startswith(prefix) for prefix in self.redirect_uris):
            return 400, {"error": "invalid_request", "error_description": "redirect_uri"}
        state = {"state": query["state"]} if "state" in query else {}
        if query.get("response_type") != "code":
            return 302, _with_params(redirect_uri, error="unsupported_response_type", **state)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            desc = "PKCE with S256 is required"
            return 302, _with_params(
                redirect_uri, error="invalid_request", error_description=desc, **state
            )
        if self.user is None:
            return 302, _with_params(redirect_uri, error="access_denied", **state)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "query": query,
                "user": dict(self.user),
                "auth_time": int(time.time()),
            }
        return 302, _with_params(redirect_uri, code=code, **state)

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        credentials, method = [(form.get("client_id"), form.get("client_secret"))], "post"
        if authorization.startswith("Basic "):
            raw_id, _, raw_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            # RFC 6749 2.3.1 form-encodes id and secret first; allauth (requests' HTTPBasicAuth)
            # does not. Either is taken, so a secret with "+" or "%" works both ways.
            credentials = [(raw_id, raw_secret), (unquote_plus(raw_id), unquote_plus(raw_secret))]
            method = "basic"
        self.token_requests.append(
            {**{k: v for k, v in form.items() if k != "client_secret"}, "auth_method": method}
        )
        if (self.client_id, self.client_secret) not in credentials:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            # Popped whatever follows: a code is spent by any attempt to redeem it.
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != grant["query"]["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        if s256(form.get("code_verifier", "")) != grant["query"]["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "code_verifier"}
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant["user"]
        id_token = self._id_token(grant)
        self.id_tokens.append(id_token)
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": id_token,
        }

    def userinfo(self, authorization: str) -> tuple[int, dict]:
        scheme, _, token = authorization.partition(" ")
        user = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            return 401, {"error": "invalid_token"}
        return 200, dict(user)

    def _id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {
            **grant["user"],
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "auth_time": grant["auth_time"],
        }
        if "nonce" in grant["query"]:  # only echoed when sent (OIDC Core 3.1.3.6)
            claims["nonce"] = grant["query"]["nonce"]
        tamper, self._tamper = self._tamper, None  # spoils one token, not every one after
        key = self.key
        if tamper == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-that-was-sent"
        elif tamper == "wrong_audience":
            claims["aud"] = "some-other-client"
        elif tamper == "wrong_issuer":
            claims["iss"] = "http://issuer.invalid"
        elif tamper == "expired":
            # Well beyond any leeway a relying party might allow for clock skew.
            claims.update(iat=now - 3600, exp=now - 1800, auth_time=now - 3600)
        elif tamper == "bad_signature":
            key = self.other_key  # same kid, so only the signature check can catch it
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def _handler_for(provider: OIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _reply(self, status: int, body: str | dict) -> None:
            if status == 302:
                self.send_response(302)
                self.send_header("Location", body)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            auth = self.headers.get("Authorization", "")
            routes = {
                "/.well-known/openid-configuration": lambda: (200, provider.discovery()),
                "/jwks": lambda: (200, provider.jwks()),
                "/authorize": lambda: provider.authorize(query),
                "/userinfo": lambda: provider.userinfo(auth),
            }
            route = routes.get(url.path)
            self._reply(*(route() if route else (404, {"error": "not_found"})))

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
            auth = self.headers.get("Authorization", "")
            if urlsplit(self.path).path == "/token":
                self._reply(*provider.token(form, auth))
            elif urlsplit(self.path).path == "/userinfo":
                self._reply(*provider.userinfo(auth))
            else:
                self._reply(404, {"error": "not_found"})

    return Handler


@pytest.fixture
def oidc_provider():
    """A fresh provider, serving, for one test; stopped afterwards. To use it elsewhere:

    from tests.support import oidc_provider as oidc
    oidc_provider = oidc.oidc_provider  # assigned, so ruff does not call the tests' F811
    """
    with OIDCProvider() as provider:
        yield provider
