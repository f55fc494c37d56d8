from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from agreements.models import SupervisionAgreement
from supervision.records.pdf_signing import AGREEMENT_REASON, sign_pdf


def render_agreement_pdf(agreement: SupervisionAgreement) -> bytes:
    """The agreement as a PDF: a draft marked DRAFT and unsigned, any other signed digitally
    as the organisation, since both people have signed it."""
    preview = agreement.status == SupervisionAgreement.Status.DRAFT
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
            "preview": preview,
        },
    )

    # Self-contained: nothing in an agreement may make the server fetch anything.
    data = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    return data if preview else sign_pdf(data, reason=AGREEMENT_REASON)
