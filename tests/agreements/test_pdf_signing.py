"""A signed agreement's PDF carries the organisation's digital signature; a draft's does not."""

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from supervision.records.pdf_signing import organisation_certificate
from tests.agreements.test_services import DAY, sign_both, visit

pytestmark = pytest.mark.django_db

# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


def download(client, user, agreement) -> bytes:
    response = visit(client, user, "get", f"/agreements/{agreement.pk}/agreement.pdf")
    assert response.status_code == 200
    return response.content


def test_a_signed_agreements_pdf_is_signed_as_the_organisation(client, world, settings):
    agreement = sign_both(client, world, world.agreement)
    data = download(client, world.supervisee, agreement)
    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[organisation_certificate()])
    )
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == (
        f"Supervision agreement signed by both people, issued by {settings.ORGANISATION_NAME}"
    )


def test_a_draft_agreements_pdf_is_not_signed(client, world):
    assert world.agreement.status == "draft"
    data = download(client, world.supervisor, world.agreement)
    assert PdfFileReader(io.BytesIO(data)).embedded_signatures == []
