"""An uploaded attachment checked before anything of it is stored: there, not empty, not too
large, and scanned clean by ClamAV (virus_scan). Every refusal is a ValidationError on the
form's field, worded as the GOV.UK file upload component's error messages are.

The services that store attachments call `checked_upload` themselves, so no view can store a
file that has not been scanned.
"""

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError

from supervision.organisation import virus_scan

logger = logging.getLogger(__name__)

FIELD = "file"
NAME_MAX_CHARACTERS = 150
# A browser's word for the type, kept for the list only: a download is always sent as
# application/octet-stream, never as what the uploader said it was.
CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,60}/[a-z0-9][a-z0-9!#$&^_.+-]{0,60}$")
UNSAFE_IN_NAME = re.compile(r"[^\w .()+,'-]")

NOT_CHECKED = "The selected file could not be checked for viruses. Try again later."


@dataclass(frozen=True)
class CheckedUpload:
    upload: object  # Django's UploadedFile, read again to be stored
    name: str
    size: int
    sha256: str
    content_type: str
    scanner: str


def max_bytes_text(max_bytes: int | None = None) -> str:
    """10MB: as the GOV.UK pattern writes a size."""
    max_bytes = settings.ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    megabytes = max_bytes / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:g}MB"
    return f"{max_bytes / 1024:g}KB"


def safe_name(name: str) -> str:
    """The file's own name, as the list shows it and a download offers it: no folders, no
    control or shell characters, at most NAME_MAX_CHARACTERS, its extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = UNSAFE_IN_NAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "attachment"
    if len(name) > NAME_MAX_CHARACTERS:
        suffix = PurePosixPath(name).suffix[:20]
        name = name[: NAME_MAX_CHARACTERS - len(suffix)].rstrip(" .") + suffix
    return name


def _content_type(upload) -> str:
    given = (getattr(upload, "content_type", "") or "").strip().lower()
    return given if CONTENT_TYPE.match(given) else "application/octet-stream"


def _chunks_hashed(upload, digest):
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        yield chunk


def checked_upload(upload) -> CheckedUpload:
    """The upload, scanned clean, with what is recorded of it; else ValidationError on
    FIELD saying why, and nothing stored."""
    if upload is None:
        raise ValidationError({FIELD: "Select a file"})
    if upload.size == 0:
        raise ValidationError({FIELD: "The selected file is empty"})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({FIELD: f"The selected file must be smaller than {max_bytes_text()}"})
    digest = hashlib.sha256()
    try:
        verdict = virus_scan.scan(_chunks_hashed(upload, digest))
    except virus_scan.ScannerUnavailable:
        logger.exception("An upload was refused: it could not be scanned")
        raise ValidationError({FIELD: NOT_CHECKED}) from None
    if not verdict.clean:
        logger.warning("An upload was refused: ClamAV found %s", verdict.signature)
        raise ValidationError({FIELD: "The selected file contains a virus"})
    return CheckedUpload(
        upload=upload,
        name=safe_name(upload.name),
        size=upload.size,
        sha256=digest.hexdigest(),
        content_type=_content_type(upload),
        scanner=verdict.scanner[:200],
    )
