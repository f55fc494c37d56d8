"""Helpers for the tests of attachments, which are scanned by the real ClamAV daemon."""

from django.core.files.uploadedfile import SimpleUploadedFile


def eicar() -> bytes:
    """The EICAR anti-virus test file, 68 bytes every scanner reports as a virus; built here
    so that the repository holds no file a scanner would flag."""
    data = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    assert len(data) == 68
    return data.encode("ascii")


def upload(data: bytes = b"%PDF-1.4 a scanned record", name="scan.pdf", content_type=None):
    return SimpleUploadedFile(name, data, content_type=content_type or "application/pdf")
