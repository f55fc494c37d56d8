"""A real OpenID Connect provider on 127.0.0.1 for the single sign-on tests: discovery, keys,
an authorization endpoint that answers at once for the person the test chose, and a token
endpoint that checks the client, the code and PKCE, and issues an RS256 ID token. A test can
spoil the next ID token (wrong nonce, audience, issuer, expired, bad signature) to prove the
product refuses it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "test-key"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _back(redirect_uri: str, **params) -> str:
    return f"{redirect_uri}?{urlencode(params)}"


class Provider:
    client_id = "supervision-client"
    client_secret = "supervision-secret"

    def __init__(self):
        self.key = _key()
        self.other_key = _key()
        self.person: dict | None = None
        self.tamper: str | None = None
        self.requests: list[dict] = []
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def sign_in_as(self, email, *, name="Test Person", email_verified=True, sub=None):
        self.person = {
            "sub": sub or hashlib.sha256(email.lower().encode()).hexdigest()[:20],
            "email": email,
            "email_verified": email_verified,
            "name": name,
        }

    @property
    def last_authorize(self) -> dict:
        return self.requests[-1]

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
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def authorize(self, query: dict) -> str:
        self.requests.append(query)
        redirect = query["redirect_uri"]
        if (
            query.get("client_id") != self.client_id
            or query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
        ):
            return _back(redirect, error="invalid_request", state=query.get("state", ""))
        if self.person is None:
            return _back(redirect, error="access_denied", state=query.get("state", ""))
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"query": query, "person": dict(self.person)}
        return _back(redirect, code=code, state=query.get("state", ""))

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, secret = base64.b64decode(authorization[6:]).decode().split(":", 1)
        if (client_id, secret) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("redirect_uri") != grant["query"]["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["query"]["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {
            **grant["person"],
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "auth_time": now,
            "exp": now + 300,
            "nonce": grant["query"].get("nonce"),
        }
        key, tamper, self.tamper = self.key, self.tamper, None
        if tamper == "wrong_nonce":
            claims["nonce"] = "not-the-one-sent"
        elif tamper == "wrong_audience":
            claims["aud"] = "someone-else"
        elif tamper == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1"
        elif tamper == "expired":
            claims.update(iat=now - 3600, exp=now - 1800)
        elif tamper == "bad_signature":
            key = self.other_key
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})
        access = secrets.token_urlsafe(16)
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif url.path == "/jwks":
                    self._json(200, provider.jwks())
                elif url.path == "/authorize":
                    self.send_response(302)
                    self.send_header("Location", provider.authorize(query))
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/token":
                    self._json(*provider.token(form, self.headers.get("Authorization", "")))
                else:
                    self._json(404, {"error": "not_found"})

        return Handler
