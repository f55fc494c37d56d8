from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from agreements.models import SupervisionAgreement


def render_agreement_pdf(agreement: SupervisionAgreement) -> bytes:
    sections = [
        (SupervisionAgreement._meta.get_field(f).verbose_name.capitalize(), getattr(agreement, f))
        for f in SupervisionAgreement.TEXT_SECTIONS
    ]
    html = render_to_string(
        "pdf/agreement.html",
        {
            "agreement": agreement,
            "relationship": agreement.relationship,
            "sections": sections,
            "organisation_name": settings.ORGANISATION_NAME,
            "preview": agreement.status == SupervisionAgreement.Status.DRAFT,
        },
    )

    # Self-contained: nothing in an agreement may make the server fetch anything.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
