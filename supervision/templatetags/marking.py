"""The protective marking printed on every page and PDF (settings.PROTECTIVE_MARKING, by
default OFFICIAL-SENSITIVE, the Government Security Classifications' handling caveat for
personal data about staff and children). Empty: no marking."""

import re

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def protective_marking() -> str:
    # It goes inside CSS strings in the PDFs' page margins too: letters, digits, spaces and
    # hyphens only, so a setting can never break out of them.
    return re.sub(r"[^A-Za-z0-9 \-]", "", getattr(settings, "PROTECTIVE_MARKING", ""))[:60]
