"""Asking ClamAV's daemon (clamd) whether some bytes carry malware, over its local socket.

Home-made rather than PyPI's `clamd`, whose last release was in 2014: the protocol is small.
INSTREAM sends the bytes in chunks, each after its length as four big-endian bytes, and a
zero length to end; clamd answers "stream: OK", "stream: <signature> FOUND" or "<why> ERROR".
Commands are sent with the "z" prefix, so each answer ends with a NUL byte.
"""

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

CHUNK_BYTES = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd could not be reached, did not answer in time, or could not scan: nothing may be
    stored, since nothing has been checked."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    # The signature clamd matched ("Win.Test.EICAR_HDB-1"), when not clean.
    signature: str
    # clamd's VERSION answer: the engine, and the signatures' version and date.
    scanner: str


def _ask(command: bytes, chunks: Iterable[bytes] = ()) -> str:
    timeout = settings.CLAMD_TIMEOUT_SECONDS
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(settings.CLAMD_SOCKET)
            sock.sendall(b"z" + command + b"\0")
            if command == b"INSTREAM":
                for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK_BYTES):
                        part = chunk[start : start + CHUNK_BYTES]
                        sock.sendall(struct.pack("!L", len(part)) + part)
                sock.sendall(struct.pack("!L", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                received = sock.recv(4096)
                if not received:
                    break
                answer += received
    except OSError as error:  # refused, no such socket, timed out, closed under us
        raise ScannerUnavailable(f"clamd at {settings.CLAMD_SOCKET}: {error}") from error
    if not answer.endswith(b"\0"):
        raise ScannerUnavailable("clamd closed the connection without an answer")
    return answer.rstrip(b"\0").decode("utf-8", "replace").strip()


def version() -> str:
    """clamd's VERSION answer, such as "ClamAV 1.4.6/27480/Sat Dec  5 09:27:02 2026"."""
    return _ask(b"VERSION")


def scan(chunks: Iterable[bytes]) -> Verdict:
    """Scan the bytes given in `chunks`. Raises ScannerUnavailable unless clamd says clean or
    infected: an ERROR (a stream over its StreamMaxLength, say) is not a verdict."""
    scanner = version()
    answer = _ask(b"INSTREAM", chunks)
    if answer.endswith(" OK"):
        return Verdict(clean=True, signature="", scanner=scanner)
    if answer.endswith(" FOUND"):
        signature = answer.removeprefix("stream:").removesuffix(" FOUND").strip()
        return Verdict(clean=False, signature=signature, scanner=scanner)
    raise ScannerUnavailable(f"clamd could not scan: {answer}")
