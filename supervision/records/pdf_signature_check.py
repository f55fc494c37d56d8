"""Checking the digital signature of a PDF someone hands back (see pdf_signing).

Everything read here comes from a file anyone could have made: it is reported, never trusted,
but for what the organisation's own certificate proves.
"""

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from supervision.records.pdf_signing import (
    SigningCertificateUnavailableError,
    organisation_certificate,
)

logger = logging.getLogger(__name__)

# A document-signing certificate may carry either; the demo's carries both.
SIGNER_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's first digital signature shows, in the terms the check page uses."""

    signed: bool = False
    # False when the file defeated the reader, so whether it is signed cannot be said.
    readable: bool = True
    # Whether this service's certificate could be had to check against at all.
    organisation_known: bool = True
    by_organisation: bool = False
    intact: bool = False
    whole_file: bool = False
    signed_at: datetime | None = None
    timestamped: bool = False
    timestamp_intact: bool = False
    timestamp_trusted: bool = False
    timestamp_authority: str = ""
    subject: str = ""


def check_signature(data: bytes) -> SignatureCheck:
    """The organisation's signature in `data`, a PDF: whether there is one, whether this
    service's certificate made it, and whether the file is still what was signed."""
    try:
        trusted = [organisation_certificate()]
    except SigningCertificateUnavailableError:
        trusted = []
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        if not signatures:
            return SignatureCheck(organisation_known=bool(trusted))
        # The organisation signs once; any signature after it leaves the first not covering
        # the whole file, which is what the page must say.
        status = validate_pdf_signature(
            signatures[0],
            signer_validation_context=ValidationContext(trust_roots=trusted),
            ts_validation_context=ValidationContext(trust_roots=_timestamp_roots()),
            key_usage_settings=SIGNER_KEY_USAGE,
        )
    except Exception:
        # The file is anyone's: whatever in it stops the parser, its signature cannot be read.
        logger.warning("A PDF's digital signature could not be read", exc_info=True)
        return SignatureCheck(readable=False, organisation_known=bool(trusted))
    return _summary(status, organisation_known=bool(trusted))


def _summary(status, *, organisation_known: bool) -> SignatureCheck:
    timestamp = status.timestamp_validity
    # Who signed and whether the file changed since are told apart: a changed copy of a
    # genuine signed record still says, truly, that the organisation signed what it was.
    chains_to_organisation = (
        status.validation_path is not None and status.trust_problem_indic is None
    )
    return SignatureCheck(
        signed=True,
        organisation_known=organisation_known,
        by_organisation=status.valid and chains_to_organisation,
        intact=status.intact and status.valid,
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signed_at=timestamp.timestamp if timestamp else status.signer_reported_dt,
        timestamped=timestamp is not None,
        timestamp_intact=bool(timestamp and timestamp.intact and timestamp.valid),
        timestamp_trusted=bool(timestamp and timestamp.trusted),
        timestamp_authority=timestamp.signing_cert.subject.human_friendly if timestamp else "",
        subject=status.signing_cert.subject.human_friendly,
    )


def _timestamp_roots() -> list:
    """The timestamp authority's certificate the council names, if it names one: nothing
    else is trusted, rather than whatever authorities the server's system happens to list."""
    path = settings.RECORD_SIGNING_TSA_CERTIFICATE
    if not path:
        return []
    try:
        return list(load_certs_from_pemder_data(Path(path).read_bytes()))
    except (OSError, ValueError):
        logger.exception("RECORD_SIGNING_TSA_CERTIFICATE (%s) cannot be read", path)
        return []
