"""The PAdES digital signature on a finalised record's PDF: made as the organisation, checked
by pyHanko's validator and by poppler's pdfsig as any PDF reader would, and reported on the
page that checks a copy."""

import hashlib
import io
import subprocess
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from supervision.models import RecordPdf
from supervision.records.pdf import hashes_printed_in_pdf, record_pdf_store, render_record_pdf
from supervision.records.pdf_signing import (
    SIGNATURE_FIELD,
    SigningCertificateUnavailableError,
    make_signing_certificate,
    organisation_certificate,
    sign_pdf,
)
from tests.supervision.records.test_pdf import post_as, verify_url, write_record
from tests.support.timestamp_authority import NAME as TSA_NAME
from tests.support.timestamp_authority import TimestampAuthority
from tests.world import TODAY

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# The afternoon the record was finalised; 16:00 in London is 16:00 UTC in March.
ISSUED_AT = datetime(2026, 3, 5, 16, 0, tzinfo=LONDON)
ORGANISATION = "Northshire Children's Services"
SHOWN = escape(ORGANISATION)

# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = TODAY


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ORGANISATION_NAME = ORGANISATION


@pytest.fixture
def record(world):
    return write_record(world)


def issue(record) -> bytes:
    with time_machine.travel(ISSUED_AT, tick=False):
        pdf = record_pdf_store(record)
    with pdf.file.open("rb") as handle:
        return handle.read()


def validate(data: bytes, *, tsa_certificate=None):
    signatures = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert len(signatures) == 1
    return signatures[0], validate_pdf_signature(
        signatures[0],
        signer_validation_context=ValidationContext(trust_roots=[organisation_certificate()]),
        ts_validation_context=ValidationContext(
            trust_roots=[tsa_certificate] if tsa_certificate else []
        ),
    )


def pdfsig(data: bytes, tmp_path) -> str:
    path = tmp_path / "copy.pdf"
    path.write_bytes(data)
    result = subprocess.run(["/usr/bin/pdfsig", str(path)], capture_output=True, text=True)
    return result.stdout + result.stderr


def one_byte_changed(data: bytes) -> bytes:
    """The PDF with one byte inside the first signed range changed: a letter of the producer's
    name, so the file still opens and its text still reads."""
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    first_range_ends = signature.byte_range[1]
    at = data.index(b"WeasyPrint")
    assert at < first_range_ends
    return data[:at] + b"w" + data[at + 1 :]


def check(client, world, record, data: bytes) -> str:
    upload = SimpleUploadedFile("copy.pdf", data, content_type="application/pdf")
    response = post_as(client, world.supervisee, verify_url(record), {"pdf_file": upload})
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_stored_pdf_is_signed_as_the_organisation_and_validates(record, tmp_path):
    data = issue(record)
    embedded, status = validate(data)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    assert status.signer_reported_dt == ISSUED_AT
    assert embedded.field_name == SIGNATURE_FIELD
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == (
        f"Finalised supervision record, signed by {ORGANISATION}"
    )
    assert embedded.sig_object["/Name"] == ORGANISATION
    assert status.signing_cert.subject.native["common_name"] == (
        f"{ORGANISATION} (demo, self-signed)"
    )
    # The stored hash is of the signed file, and the printed content hash is still there.
    assert RecordPdf.objects.get(record=record).sha256 == hashlib.sha256(data).hexdigest()
    assert hashes_printed_in_pdf(data) == [record.content_hash]

    report = pdfsig(data, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report


def test_one_byte_changed_breaks_the_signature(record, tmp_path):
    changed = one_byte_changed(issue(record))
    _, status = validate(changed)
    assert not status.intact
    assert not status.bottom_line
    report = pdfsig(changed, tmp_path)
    assert "Signature Validation: Digest Mismatch." in report
    assert "Signature is Valid" not in report


def test_the_check_page_says_the_issued_copy_is_signed_and_intact(client, world, record):
    html = check(client, world, record, issue(record))
    assert "This is the exact file issued on 5 March 2026 at 16:00" in html
    assert "Its digital signature" in html
    assert (
        f'Signed by {SHOWN}</dt> <dd class="govuk-summary-list__value"> '
        '<strong class="govuk-tag govuk-tag--green">Yes</strong>'
    ) in html
    assert "It was signed with this service's certificate." in html
    assert "The signature is intact: nothing it covers has changed." in html
    assert "Nothing has been added to the file since it was signed." in html
    assert "16:00 on 5 March 2026 (UK time)" in html
    assert "By the signing server's own clock: no timestamp authority vouches for it." in html
    assert f"Common Name: {SHOWN} (demo, self-signed)" in html
    assert "govuk-tag--red" not in html


def test_the_check_page_says_a_copy_with_one_byte_changed_is_not_intact(client, world, record):
    html = check(client, world, record, one_byte_changed(issue(record)))
    assert "This is not the file issued on 5 March 2026" in html
    assert "The signature is broken: the file has been changed since it was signed." in html
    assert "nothing it covers has changed" not in html
    # Who signed is told apart from what changed: the organisation did sign what it was.
    assert "It was signed with this service's certificate." in html


def test_the_check_page_says_when_something_was_added_after_signing(client, world, record):
    writer = IncrementalPdfFileWriter(io.BytesIO(issue(record)))
    writer.root["/Lang"] = writer.root.get("/Lang", "en-GB")
    writer.update_root()
    added = io.BytesIO()
    writer.write(added)
    html = check(client, world, record, added.getvalue())
    assert "The signature is intact: nothing it covers has changed." in html
    assert "Something was added to the file after it was signed" in html


def test_the_check_page_says_a_copy_signed_by_anyone_else_is_not_the_organisations(
    client, world, record, tmp_path, settings
):
    # A forger can put the organisation's name in a certificate of their own making.
    issue(record)
    forged = render_record_pdf(record, preview=False)
    settings.RECORD_SIGNING_CERTIFICATE = tmp_path / "forger.p12"
    make_signing_certificate(
        settings.RECORD_SIGNING_CERTIFICATE,
        ORGANISATION,
        settings.RECORD_SIGNING_PASSPHRASE,
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    forged = sign_pdf(forged, reason="Finalised supervision record, signed by {organisation}")
    settings.RECORD_SIGNING_CERTIFICATE = tmp_path / "the-real-one-is-elsewhere.p12"
    make_signing_certificate(
        settings.RECORD_SIGNING_CERTIFICATE,
        ORGANISATION,
        settings.RECORD_SIGNING_PASSPHRASE,
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    html = check(client, world, record, forged)
    assert "It was signed with a certificate that is not this service's." in html
    assert "The signature is intact" in html


def test_the_check_page_says_an_unsigned_copy_has_no_signature(client, world, record):
    issue(record)
    html = check(client, world, record, render_record_pdf(record, preview=False))
    assert "The copy has no digital signature." in html
    assert "Signed by" not in html


def test_a_trusted_timestamp_authority_vouches_for_the_time(
    client, world, record, settings, tmp_path
):
    with TimestampAuthority(at=ISSUED_AT) as tsa:
        settings.RECORD_SIGNING_TSA_URL = tsa.url
        settings.RECORD_SIGNING_TSA_CERTIFICATE = tsa.write_certificate(tmp_path)
        data = issue(record)
        assert tsa.requests

    _, status = validate(
        data, tsa_certificate=load_cert_from_pemder(settings.RECORD_SIGNING_TSA_CERTIFICATE)
    )
    timestamp = status.timestamp_validity
    assert timestamp is not None
    assert timestamp.intact and timestamp.valid and timestamp.trusted
    assert timestamp.timestamp == ISSUED_AT
    assert timestamp.signing_cert.subject.native["common_name"] == TSA_NAME
    assert status.intact and status.trusted and status.bottom_line

    html = check(client, world, record, data)
    assert f"Vouched for by the timestamp authority Common Name: {TSA_NAME}." in html
    assert "16:00 on 5 March 2026 (UK time)" in html


def test_a_timestamp_from_an_authority_not_named_is_shown_as_such(
    client, world, record, settings, tmp_path
):
    with TimestampAuthority(at=ISSUED_AT) as tsa:
        settings.RECORD_SIGNING_TSA_URL = tsa.url
        data = issue(record)
    html = check(client, world, record, data)
    assert f"From the timestamp authority Common Name: {TSA_NAME}, which this service" in html
    assert "The signature is intact: nothing it covers has changed." in html


def test_no_pdf_is_stored_while_the_timestamp_authority_cannot_be_reached(record, settings):
    with TimestampAuthority() as tsa:
        url = tsa.url
    settings.RECORD_SIGNING_TSA_URL = url
    # An OSError: the task that makes the PDF tries again later (record_pdf_generate).
    with pytest.raises(OSError):
        issue(record)
    assert not RecordPdf.objects.filter(record=record).exists()


def test_without_a_certificate_nothing_is_signed_and_the_error_names_the_setting(
    record, settings, tmp_path
):
    settings.RECORD_SIGNING_CERTIFICATE = tmp_path / "absent.p12"
    with pytest.raises(SigningCertificateUnavailableError, match="RECORD_SIGNING_CERTIFICATE"):
        issue(record)
    assert not RecordPdf.objects.filter(record=record).exists()


def test_a_wrong_passphrase_is_named(record, settings):
    settings.RECORD_SIGNING_PASSPHRASE = "not the passphrase"
    with pytest.raises(SigningCertificateUnavailableError, match="RECORD_SIGNING_PASSPHRASE"):
        issue(record)


def test_what_a_copys_certificate_says_is_shown_as_text(client, world, record, tmp_path, settings):
    issue(record)
    own = settings.RECORD_SIGNING_CERTIFICATE
    hostile = '<script>alert("signed")</script>'
    settings.RECORD_SIGNING_CERTIFICATE = tmp_path / "hostile.p12"
    make_signing_certificate(
        settings.RECORD_SIGNING_CERTIFICATE,
        hostile,
        settings.RECORD_SIGNING_PASSPHRASE,
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    signed = sign_pdf(render_record_pdf(record, preview=False), reason="{organisation}")
    settings.RECORD_SIGNING_CERTIFICATE = own
    html = check(client, world, record, signed)
    assert escape(hostile) in html
    assert hostile not in html
