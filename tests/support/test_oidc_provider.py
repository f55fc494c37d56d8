"""The test OpenID Connect provider, driven over HTTP as a relying party would drive it."""

from __future__ import annotations

import base64
import secrets
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from tests.support import oidc_provider as oidc

# Bound by assignment, not imported by name: the tests' parameter of the same name would
# otherwise read to ruff as shadowing an unused import (F811).
oidc_provider = oidc.oidc_provider

CALLBACK = "http://testserver/sign-in/sso/work-account/callback/"


def _authorize(provider, *, verifier="v" * 64, **overrides):
    params = {
        "client_id": provider.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid profile email",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": oidc.s256(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }
    params = {k: v for k, v in params.items() if v is not None}
    response = requests.get(f"{provider.issuer}/authorize", params=params, allow_redirects=False)
    return response, _redirect_query(response)


def _redirect_query(response) -> dict:
    if response.status_code != 302:
        return {}
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def _redeem(provider, code, *, verifier="v" * 64, secret=None, basic=False, **overrides):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    form.update(code_verifier=verifier, **overrides)
    secret = provider.client_secret if secret is None else secret
    auth = None
    if basic:
        auth = (provider.client_id, secret)
    else:
        form.update(client_id=provider.client_id, client_secret=secret)
    return requests.post(f"{provider.issuer}/token", data=form, auth=auth)


def _code(provider, **overrides) -> str:
    provider.sign_in_as("ann.example@council.test", name="Ann Example")
    response, query = _authorize(provider, **overrides)
    assert response.status_code == 302, response.text
    return query["code"]


def _verify(provider, id_token) -> dict:
    key = jwt.PyJWKClient(f"{provider.issuer}/jwks").get_signing_key_from_jwt(id_token)
    return jwt.decode(
        id_token,
        key.key,
        algorithms=["RS256"],
        audience=provider.client_id,
        issuer=provider.issuer,
    )


def test_discovery_names_the_endpoints_on_this_server(oidc_provider):
    config = requests.get(f"{oidc_provider.issuer}/.well-known/openid-configuration").json()

    assert config["issuer"] == oidc_provider.issuer
    assert oidc_provider.issuer.startswith("http://127.0.0.1:")
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ]:
        assert config[name] == oidc_provider.issuer + path
    assert config["response_types_supported"] == ["code"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert "public" in config["subject_types_supported"]
    assert set(config["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post",
        "client_secret_basic",
    }
    assert requests.get(config["jwks_uri"]).json()["keys"][0]["kid"] == oidc.KID


def test_the_code_flow_with_pkce_yields_an_id_token_that_verifies(oidc_provider):
    verifier = secrets.token_urlsafe(64)
    oidc_provider.sign_in_as("Ann.Example@council.test", name="Ann Example", sub="ann-1")

    response, query = _authorize(
        oidc_provider, verifier=verifier, prompt="login", max_age="0", state="s-1", nonce="n-1"
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith(CALLBACK + "?")
    assert query["state"] == "s-1"
    sent = oidc_provider.last_authorize
    assert sent is oidc_provider.requests[-1]
    assert (sent["state"], sent["nonce"], sent["prompt"], sent["max_age"]) == (
        "s-1",
        "n-1",
        "login",
        "0",
    )
    assert sent["code_challenge"] == oidc.s256(verifier)

    token = _redeem(oidc_provider, query["code"], verifier=verifier)

    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert jwt.get_unverified_header(body["id_token"])["kid"] == oidc.KID
    claims = _verify(oidc_provider, body["id_token"])
    assert claims["nonce"] == "n-1"
    assert claims["aud"] == oidc_provider.client_id
    assert claims["iss"] == oidc_provider.issuer
    assert claims["sub"] == "ann-1"
    assert claims["email"] == "Ann.Example@council.test"
    assert claims["email_verified"] is True
    assert claims["name"] == "Ann Example"
    assert claims["iat"] <= claims["auth_time"] + 5 and claims["exp"] > claims["iat"]
    assert oidc_provider.token_requests[-1]["auth_method"] == "post"
    assert "client_secret" not in oidc_provider.token_requests[-1]

    userinfo = requests.get(
        f"{oidc_provider.issuer}/userinfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert userinfo.json() == {
        "sub": "ann-1",
        "email": "Ann.Example@council.test",
        "email_verified": True,
        "name": "Ann Example",
    }


def test_client_secret_basic_is_accepted_too(oidc_provider):
    token = _redeem(oidc_provider, _code(oidc_provider), basic=True)

    assert token.status_code == 200, token.text
    assert oidc_provider.token_requests[-1]["auth_method"] == "basic"


def test_the_nonce_is_left_out_when_none_was_sent(oidc_provider):
    token = _redeem(oidc_provider, _code(oidc_provider, nonce=None))

    assert "nonce" not in _verify(oidc_provider, token.json()["id_token"])


def test_a_wrong_code_verifier_is_refused_and_spends_the_code(oidc_provider):
    code = _code(oidc_provider)

    wrong = _redeem(oidc_provider, code, verifier="w" * 64)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert _redeem(oidc_provider, code).status_code == 400  # the right verifier, too late
    missing = _redeem(oidc_provider, _code(oidc_provider), verifier="")
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_grant")


def test_a_code_is_single_use(oidc_provider):
    code = _code(oidc_provider)

    assert _redeem(oidc_provider, code).status_code == 200
    again = _redeem(oidc_provider, code)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_a_different_redirect_uri_at_the_token_endpoint_is_refused(oidc_provider):
    response = _redeem(oidc_provider, _code(oidc_provider), redirect_uri=CALLBACK + "x/")

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize("basic", [False, True])
def test_a_wrong_client_secret_is_refused_and_leaves_the_code(oidc_provider, basic):
    code = _code(oidc_provider)

    wrong = _redeem(oidc_provider, code, secret="not-the-secret", basic=basic)

    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert _redeem(oidc_provider, code, basic=basic).status_code == 200


def test_with_nobody_signed_in_the_answer_is_access_denied(oidc_provider):
    response, query = _authorize(oidc_provider)

    assert query == {"error": "access_denied", "state": "state-123"}
    oidc_provider.sign_in_as("ann@council.test")
    oidc_provider.sign_out()
    assert _authorize(oidc_provider)[1]["error"] == "access_denied"


def test_pkce_is_required(oidc_provider):
    oidc_provider.sign_in_as("ann@council.test")

    for overrides in [{"code_challenge": None}, {"code_challenge_method": "plain"}]:
        _, query = _authorize(oidc_provider, **overrides)
        assert (query["error"], query["state"]) == ("invalid_request", "state-123")
    _, query = _authorize(oidc_provider, response_type="token")
    assert query["error"] == "unsupported_response_type"


def test_an_unknown_client_or_redirect_uri_gets_no_redirect(oidc_provider):
    oidc_provider.sign_in_as("ann@council.test")

    assert _authorize(oidc_provider, client_id="intruder")[0].status_code == 400
    evil, _ = _authorize(oidc_provider, redirect_uri="https://evil.example/callback")
    assert evil.status_code == 400
    assert len(oidc_provider.requests) == 2  # recorded all the same

    oidc_provider.redirect_uris = ["https://evil.example/"]
    assert _authorize(oidc_provider, redirect_uri="https://evil.example/cb")[0].status_code == 302
    assert _authorize(oidc_provider)[0].status_code == 400


def test_userinfo_needs_a_bearer_token_it_issued(oidc_provider):
    url = f"{oidc_provider.issuer}/userinfo"

    assert requests.get(url).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer made-up"}).status_code == 401


def _tampered(provider, tamper) -> str:
    code = _code(provider)
    provider.tamper = tamper
    token = _redeem(provider, code)
    assert token.status_code == 200, token.text
    return token.json()["id_token"]


@pytest.mark.parametrize(
    "tamper, error",
    [
        ("bad_signature", jwt.InvalidSignatureError),
        ("expired", jwt.ExpiredSignatureError),
        ("wrong_audience", jwt.InvalidAudienceError),
        ("wrong_issuer", jwt.InvalidIssuerError),
    ],
)
def test_each_tamper_fails_its_check(oidc_provider, tamper, error):
    id_token = _tampered(oidc_provider, tamper)

    with pytest.raises(error):
        _verify(oidc_provider, id_token)
    # Only the one token is spoiled.
    assert oidc_provider.tamper is None
    _verify(oidc_provider, _tampered(oidc_provider, None))


def test_a_wrong_nonce_verifies_but_is_not_the_nonce_sent(oidc_provider):
    claims = _verify(oidc_provider, _tampered(oidc_provider, "wrong_nonce"))

    assert claims["nonce"] != oidc_provider.last_authorize["nonce"]


def test_a_bad_signature_keeps_the_published_kid(oidc_provider):
    id_token = _tampered(oidc_provider, "bad_signature")

    assert jwt.get_unverified_header(id_token)["kid"] == oidc.KID
    # So the claims are right and only the signature gives it away.
    claims = jwt.decode(id_token, options={"verify_signature": False})
    assert claims["iss"] == oidc_provider.issuer


def test_an_unknown_tamper_is_refused_in_the_test(oidc_provider):
    with pytest.raises(ValueError):
        oidc_provider.tamper = "wrong_everything"


def test_allauths_own_pkce_and_key_lookup_fit(oidc_provider):
    # What allauth 65.21.1 makes and does, not a copy of it: a bytes challenge without padding
    # (OAuth2Provider.get_pkce_params) and the JWKS lookup by kid (jwtkit.lookup_kid_jwk).
    from allauth.socialaccount.internal.jwtkit import lookup_kid_jwk
    from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge

    pkce = generate_code_challenge()
    oidc_provider.sign_in_as("ann@council.test")
    _, query = _authorize(
        oidc_provider, verifier=pkce["code_verifier"], code_challenge=pkce["code_challenge"]
    )
    token = _redeem(oidc_provider, query["code"], verifier=pkce["code_verifier"])
    assert token.status_code == 200, token.text

    id_token = token.json()["id_token"]
    key = lookup_kid_jwk(requests.get(f"{oidc_provider.issuer}/jwks").json(), oidc.KID)
    claims = jwt.decode(id_token, key, algorithms=["RS256"], audience=oidc_provider.client_id)
    assert claims["email"] == "ann@council.test"


def test_the_server_stops_with_its_context():
    with oidc.OIDCProvider() as provider:
        assert requests.get(f"{provider.issuer}/jwks").status_code == 200

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{provider.issuer}/jwks", timeout=2)
    oidc.OIDCProvider().stop()  # never started: closes without hanging


def test_basic_credentials_are_taken_form_encoded_or_raw():
    # RFC 6749 2.3.1: a client id with a colon is sent form-encoded inside Basic.
    with oidc.OIDCProvider(client_id="urn:council:app", client_secret="s&cret") as provider:
        code = _code(provider)
        pair = "urn%3Acouncil%3Aapp:s%26cret"
        response = requests.post(
            f"{provider.issuer}/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
            | {"code_verifier": "v" * 64},
            headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()},
        )
        assert response.status_code == 200, response.text
    # And as allauth sends it (requests' HTTPBasicAuth, nothing encoded), which cannot carry a
    # colon in the id but can carry "+" and "%" in the secret.
    with oidc.OIDCProvider(client_secret="s+cret%20") as provider:
        assert _redeem(provider, _code(provider), basic=True).status_code == 200
