"""Signed checkpoints of the audit chain, kept outside the database (README, "The audit trail").

The chain proves that no entry was changed without recomputing every hash after it; it cannot
prove, on its own, that someone who can write to the database did not recompute them, or
delete the newest entries and move the head back. A checkpoint can: every so often the head's
sequence and hash are signed with an Ed25519 key the database never holds and appended to a
log file (and, where configured, emailed and sent to syslog). Whatever is done to the
database afterwards, the entry a checkpoint names must still be there with the same hash.
"""

import base64
import contextlib
import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils import timezone

from supervision.models.audit import AuditChainHead

logger = logging.getLogger(__name__)

# Signed with every checkpoint, so a signature made by the same key for anything else can never
# pass for one.
PURPOSE = b"supervision-audit-checkpoint:v1"
# Facility authpriv (10), severity informational (6): security messages, kept apart.
SYSLOG_PRIORITY = 10 * 8 + 6


class CheckpointKeyMissing(Exception):
    pass


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    head: str
    taken_at: str
    key: str
    signature: str
    line: int = 0

    def message(self) -> bytes:
        return b"\n".join(
            [PURPOSE, str(self.sequence).encode(), self.head.encode(), self.taken_at.encode()]
        )

    def as_line(self) -> str:
        content = {
            "sequence": self.sequence,
            "head": self.head,
            "taken_at": self.taken_at,
            "key": self.key,
            "signature": self.signature,
        }
        return json.dumps(content, sort_keys=True, separators=(",", ":"))

    @property
    def taken(self) -> datetime:
        return datetime.fromisoformat(self.taken_at)


# --- Keys -----------------------------------------------------------------------------------


def new_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def signing_key() -> Ed25519PrivateKey:
    """AUDIT_CHECKPOINT_KEY (the PEM itself, for a secret store), else AUDIT_CHECKPOINT_KEY_FILE."""
    pem = settings.AUDIT_CHECKPOINT_KEY
    if not pem:
        path = Path(settings.AUDIT_CHECKPOINT_KEY_FILE)
        try:
            pem = path.read_text()
        except OSError as error:
            raise CheckpointKeyMissing(
                f"No audit checkpoint key: set AUDIT_CHECKPOINT_KEY, or create {path} "
                "with `manage.py make_checkpoint_key`."
            ) from error
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyMissing("The audit checkpoint key must be an Ed25519 key.")
    return key


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """The public key as one line of base64, for AUDIT_CHECKPOINT_TRUSTED_KEYS."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """The keys whose checkpoints are believed: the current key's, and the earlier keys'
    listed in AUDIT_CHECKPOINT_TRUSTED_KEYS after a rotation."""
    keys = []
    for text in settings.AUDIT_CHECKPOINT_TRUSTED_KEYS:
        keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(text)))
    with contextlib.suppress(CheckpointKeyMissing):
        keys.append(signing_key().public_key())
    return {key_id(key): key for key in keys}


# --- Taking one -----------------------------------------------------------------------------


def take_checkpoint() -> Checkpoint:
    """Sign the chain's head as it stands and append it to the checkpoint log; then, where
    configured, send it to syslog (the email copy is written to the outbox by the caller,
    supervision.outbox.write_checkpoint_email). The log is written first and must succeed;
    the copies elsewhere are extra, and their failure is logged, not raised."""
    key = signing_key()
    head = AuditChainHead.objects.get(pk=1)
    unsigned = Checkpoint(
        sequence=head.sequence,
        head=head.last_hash,
        taken_at=timezone.now().isoformat(),
        key=key_id(key.public_key()),
        signature="",
    )
    signature = base64.b64encode(key.sign(unsigned.message())).decode()
    checkpoint = Checkpoint(**{**unsigned.__dict__, "signature": signature})
    _append_to_log(checkpoint)
    _send_to_syslog(checkpoint)
    return checkpoint


def _append_to_log(checkpoint: Checkpoint) -> None:
    path = Path(settings.AUDIT_CHECKPOINT_LOG)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: every write lands at the end, whoever else has the file open.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, (checkpoint.as_line() + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _send_to_syslog(checkpoint: Checkpoint) -> None:
    """One datagram in syslog's own format, to a local socket or a remote "host:port" (UDP):
    a log the application's host cannot rewrite, when it is kept on another machine."""
    target = settings.AUDIT_CHECKPOINT_SYSLOG
    if not target:
        return
    message = f"<{SYSLOG_PRIORITY}>supervision-audit-checkpoint {checkpoint.as_line()}".encode()
    try:
        if target.startswith("/"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
                sender.sendto(message, target)
        else:
            host, _, port = target.rpartition(":")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(message, (host, int(port)))
    except (OSError, ValueError):
        logger.exception("The audit checkpoint of #%s was not sent to syslog", checkpoint.sequence)


# --- Reading them back ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnreadableLine:
    line: int
    reason: str


def read_checkpoints(path: Path) -> tuple[list[Checkpoint], list[UnreadableLine]]:
    """Every checkpoint in a log, in the order written, and the lines that are not one."""
    checkpoints, unreadable = [], []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                fields = json.loads(text)
                checkpoint = Checkpoint(
                    sequence=int(fields["sequence"]),
                    head=str(fields["head"]),
                    taken_at=str(fields["taken_at"]),
                    key=str(fields["key"]),
                    signature=str(fields["signature"]),
                    line=number,
                )
                checkpoint.taken  # noqa: B018 - a date that does not parse is no checkpoint
            except (ValueError, KeyError, TypeError):
                unreadable.append(UnreadableLine(number, "it is not a checkpoint"))
                continue
            checkpoints.append(checkpoint)
    return checkpoints, unreadable


def signature_holds(checkpoint: Checkpoint, keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(checkpoint.key)
    if key is None:
        return False
    try:
        key.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True
