"""Signing PDFs as the organisation: a PAdES signature that any PDF reader can check.

The certificate and its private key come from a PKCS#12 file, RECORD_SIGNING_CERTIFICATE,
opened with RECORD_SIGNING_PASSPHRASE. A council uses one issued by its own PKI or a
document-signing certificate authority; `make_signing_certificate` makes a self-signed one
for trying the service out. With RECORD_SIGNING_TSA_URL set, a timestamp authority vouches
for the time of signing, so it does not rest on the server's clock.
"""

import functools
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper

SIGNATURE_FIELD = "OrganisationSignature"
RECORD_REASON = "Finalised supervision record, signed by {organisation}"
AGREEMENT_REASON = "Supervision agreement signed by both people, issued by {organisation}"
DEMO_SUFFIX = " (demo, self-signed)"
TSA_TIMEOUT_SECONDS = 10


class SigningCertificateUnavailableError(ImproperlyConfigured):
    """No certificate to sign with: a PDF that should be signed is never issued unsigned."""


def sign_pdf(data: bytes, *, reason: str) -> bytes:
    """`data`, a PDF, signed as the organisation for `reason` ("… signed by {organisation}")."""
    organisation = settings.ORGANISATION_NAME
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason.format(organisation=organisation),
        name=organisation,
    )
    tsa_url = settings.RECORD_SIGNING_TSA_URL
    timestamper = _timestamper(tsa_url) if tsa_url else None
    # Appended as an incremental update, so the rendered bytes, and the content hash printed
    # in them, stay exactly as they were.
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    signed = signers.sign_pdf(writer, metadata, signer=_signer(), timestamper=timestamper)
    return signed.getvalue()


# One per authority for the process: pyHanko sizes the signature from a first token it asks
# for and keeps, which would otherwise be asked for again with every PDF.
@functools.lru_cache(maxsize=4)
def _timestamper(url: str) -> HTTPTimeStamper:
    return HTTPTimeStamper(url, timeout=TSA_TIMEOUT_SECONDS)


def organisation_certificate():
    """The organisation's certificate (asn1crypto), for checking copies against."""
    return _signer().signing_cert


def certificate_problem() -> str | None:
    """What stops the organisation signing, in a sentence naming the setting, or None."""
    try:
        certificate = organisation_certificate()
    except SigningCertificateUnavailableError as error:
        return str(error)
    if certificate.not_valid_after < datetime.now(UTC):
        return (
            f"The signing certificate in RECORD_SIGNING_CERTIFICATE ({_path()}) expired on "
            f"{certificate.not_valid_after:%d %B %Y}."
        )
    return None


def _path() -> Path:
    return Path(settings.RECORD_SIGNING_CERTIFICATE)


def _signer() -> signers.SimpleSigner:
    path = _path()
    try:
        modified = path.stat().st_mtime_ns
    except OSError as error:
        raise SigningCertificateUnavailableError(
            f"No signing certificate at RECORD_SIGNING_CERTIFICATE ({path}): PDFs of "
            "finalised records and signed agreements cannot be signed. Set it to the "
            "organisation's PKCS#12 file, or run `python manage.py make_signing_certificate` "
            "for a self-signed one to try the service with."
        ) from error
    return _load_signer(str(path), modified, settings.RECORD_SIGNING_PASSPHRASE)


# Keyed on the file's modification time, so a replaced certificate is read afresh; opening a
# PKCS#12 file derives its key from the passphrase on purpose slowly, once is enough.
@functools.lru_cache(maxsize=4)
def _load_signer(path: str, modified: int, passphrase: str) -> signers.SimpleSigner:
    try:
        data = Path(path).read_bytes()
        return signers.SimpleSigner.load_pkcs12_data(
            data, other_certs=(), passphrase=passphrase.encode() or None
        )
    except (OSError, ValueError) as error:
        raise SigningCertificateUnavailableError(
            f"The signing certificate at RECORD_SIGNING_CERTIFICATE ({path}) cannot be read: "
            "it is not a PKCS#12 file, or RECORD_SIGNING_PASSPHRASE does not open it."
        ) from error


def make_signing_certificate(
    path: Path,
    organisation: str,
    passphrase: str = "",
    *,
    valid_from: datetime | None = None,
    years: int = 10,
) -> None:
    """Write a self-signed certificate and its new key for `organisation` to `path` (PKCS#12).

    Anyone can make a certificate with any name: a self-signed one shows a PDF has not changed
    since this server signed it, not who runs the server. A reader's software says so.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, organisation + DEMO_SUFFIX),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    start = valid_from or datetime.now(UTC) - timedelta(hours=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(_years_after(start, years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_signing_only(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    bundle = pkcs12.serialize_key_and_certificates(
        organisation.encode(), key, certificate, None, encryption
    )
    _write_private(Path(path), bundle)


def _years_after(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February, in a year that has none
        return moment.replace(year=moment.year + years, day=28)


def _signing_only() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # nonRepudiation, which PDF readers look for in a signer
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    """Readable by this account only, and whole or not at all: it holds the private key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)
