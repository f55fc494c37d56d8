from allauth.socialaccount.adapter import get_adapter
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
