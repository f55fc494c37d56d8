"""Links to this service's own pages, for emails and documents that leave it."""

from django.conf import settings


def site_link(path: str = "/") -> str:
    return settings.SITE_URL.rstrip("/") + path
