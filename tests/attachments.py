"""Helpers for the tests of attachments, which are scanned by the real ClamAV daemon."""

import functools
import os
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def clamd_answering() -> str:
    """ClamAV's daemon, answering on CLAMD_SOCKET: started by bin/clamd-up if it is not
    running (the script takes a lock, so the processes of `pytest -n` start one between them).
    Returns the socket; raises if the daemon cannot be started, never skips."""
    done = subprocess.run(
        [ROOT / "bin" / "clamd-up"],
        env={**os.environ, "CLAMD_SOCKET": settings.CLAMD_SOCKET},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ClamAV's daemon could not be started: {done.stderr or done.stdout}")
    return settings.CLAMD_SOCKET


def eicar() -> bytes:
    """The EICAR anti-virus test file, 68 bytes every scanner reports as a virus; built here
    so that the repository holds no file a scanner would flag."""
    data = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    assert len(data) == 68
    return data.encode("ascii")


def upload(data: bytes = b"%PDF-1.4 a scanned record", name="scan.pdf", content_type=None):
    return SimpleUploadedFile(name, data, content_type=content_type or "application/pdf")
