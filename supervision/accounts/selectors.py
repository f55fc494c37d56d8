from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter
from django.conf import settings
from django.urls import reverse

from supervision.accounts.sso.provider import PROVIDER_ID


def sso_providers(request) -> list[dict]:
    """The organisation's single sign-on, if configured: its name and where to start."""

    return [
        {
            "name": provider.name,
            "url": reverse("council_sso_login", kwargs={"provider_id": provider.app.provider_id}),
        }
        for provider in get_adapter().list_providers(request)
        if provider.id == PROVIDER_ID
    ]


def sso_origins() -> list[str]:
    """Where the sign-in button's form may lead: the single sign-on provider's own address,
    which the Content-Security-Policy's form-action must name, since the browser checks the
    redirect after the form as well."""

    origins = []
    for app in settings.SOCIALACCOUNT_PROVIDERS[PROVIDER_ID]["APPS"]:
        parts = urlsplit(app["settings"]["server_url"])
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins
