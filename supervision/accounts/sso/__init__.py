"""Single sign-on with the council's directory over OpenID Connect (Microsoft Entra ID, or any
compliant provider): allauth's OpenID Connect provider, made strict where the standard asks
and allauth does not (a nonce, the ID token's signature always checked, a fresh sign-in on
demand)."""
