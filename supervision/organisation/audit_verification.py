"""Checking the audit trail: the chain against itself, and against the signed checkpoints kept
outside the database (checkpoints.py). Every break is named for what it is: an edited entry,
a deleted one, a truncated table, a rewound head, or a checkpoint whose signature fails."""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import dateformat, timezone

from supervision.models.audit import GENESIS_HASH, AuditChainHead, AuditEvent
from supervision.organisation import checkpoints as checkpointing


class Kind:
    EDITED = "edited"
    DELETED = "deleted"
    TRUNCATED = "truncated"
    REWOUND = "rewound"
    BAD_SIGNATURE = "bad signature"


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str


@dataclass
class AuditReport:
    checked: int = 0
    last_sequence: int = 0
    last_hash: str = GENESIS_HASH
    findings: list[Finding] = field(default_factory=list)
    checkpoints_held: int = 0
    latest_checkpoint: checkpointing.Checkpoint | None = None
    checkpoint_log_found: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, kind: str, message: str) -> None:
        self.findings.append(Finding(kind, message))


def verify_audit_trail(checkpoint_log: Path | None = None, batch_size: int = 2000) -> AuditReport:
    report = AuditReport()
    held = _held_checkpoints(Path(checkpoint_log or settings.AUDIT_CHECKPOINT_LOG), report)
    walk = _ChainWalk(report, held)
    last_seen = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(sequence__gt=last_seen).order_by("sequence")[:batch_size]
        )
        if not batch:
            break
        for event in batch:
            walk.step(event)
        last_seen = batch[-1].sequence
    _check_the_end(report)
    return report


def _held_checkpoints(path: Path, report: AuditReport) -> dict[int, list[checkpointing.Checkpoint]]:
    """The checkpoints whose signatures hold, by sequence; the others become findings."""
    if not path.exists():
        return {}
    report.checkpoint_log_found = True
    found, unreadable = checkpointing.read_checkpoints(path)
    for line in unreadable:
        report.add(Kind.BAD_SIGNATURE, f"Line {line.line} of the checkpoint log: {line.reason}.")
    keys = checkpointing.trusted_keys()
    held = {}
    for checkpoint in found:
        if not checkpointing.signature_holds(checkpoint, keys):
            report.add(
                Kind.BAD_SIGNATURE,
                f"The checkpoint on line {checkpoint.line} of the checkpoint log (entry "
                f"#{checkpoint.sequence}, {_when(checkpoint)}) has a signature that fails: it "
                "was not signed by a trusted checkpoint key, or was changed after signing.",
            )
            continue
        held.setdefault(checkpoint.sequence, []).append(checkpoint)
        report.checkpoints_held += 1
        if report.latest_checkpoint is None or checkpoint.sequence >= (
            report.latest_checkpoint.sequence
        ):
            report.latest_checkpoint = checkpoint
    return held


class _ChainWalk:
    """Entries in order of sequence, each checked against its own hash, the one before it,
    and any checkpoint that names it."""

    def __init__(self, report: AuditReport, held: dict[int, list[checkpointing.Checkpoint]]):
        self.report = report
        self.held = held
        self.expected = 1
        self.previous_hash = GENESIS_HASH
        self.last_matching_checkpoint = 0
        self.rewritten_reported = False

    def step(self, event: AuditEvent) -> None:
        report = self.report
        if event.sequence != self.expected:
            report.add(
                Kind.DELETED,
                f"Entry #{self.expected} is missing: it was deleted."
                if event.sequence == self.expected + 1
                else f"Entries #{self.expected} to #{event.sequence - 1} are missing: "
                "they were deleted.",
            )
        elif event.previous_hash != self.previous_hash:
            report.add(
                Kind.EDITED,
                f"Entry #{event.sequence} does not follow the entry before it: the entry "
                "before it was edited and its hash recomputed.",
            )
        if event.compute_hash() != event.content_hash:
            report.add(
                Kind.EDITED,
                f"Entry #{event.sequence} was edited: its content no longer matches its hash.",
            )
        self._against_checkpoint(event)
        self.previous_hash = event.content_hash
        self.expected = event.sequence + 1
        report.checked += 1
        report.last_sequence = event.sequence
        report.last_hash = event.content_hash

    def _against_checkpoint(self, event: AuditEvent) -> None:
        signed = self.held.get(event.sequence, [])
        checkpoint = next((c for c in signed if c.head != event.content_hash), None)
        if checkpoint is None:
            if signed:
                self.last_matching_checkpoint = event.sequence
            return
        if self.rewritten_reported:
            return
        self.rewritten_reported = True
        self.report.add(
            Kind.EDITED,
            f"Entry #{event.sequence} is not the entry signed in the checkpoint of "
            f"{_when(checkpoint)}: entries between #{self.last_matching_checkpoint + 1} and "
            f"#{event.sequence} were edited and the chain's hashes recomputed.",
        )


def _check_the_end(report: AuditReport) -> None:
    """What a walk from the first entry cannot see: entries gone from the end."""
    latest = report.latest_checkpoint
    head = AuditChainHead.objects.filter(pk=1).first()
    if latest is not None and latest.sequence > report.last_sequence:
        if report.checked == 0:
            report.add(
                Kind.TRUNCATED,
                f"The audit log is empty, but the checkpoint of {_when(latest)} signed "
                f"{latest.sequence} entries: the table was truncated.",
            )
        else:
            report.add(
                Kind.REWOUND,
                f"The audit log ends at entry #{report.last_sequence}, but the checkpoint of "
                f"{_when(latest)} signed entry #{latest.sequence}: the head was rewound and "
                f"entries #{report.last_sequence + 1} to #{latest.sequence} deleted.",
            )
    if head is None:
        report.add(Kind.TRUNCATED, "The audit chain's head is gone: its table was emptied.")
    elif head.sequence > report.last_sequence:
        report.add(
            Kind.DELETED,
            f"The chain's head is at entry #{head.sequence}, but the log ends at "
            f"#{report.last_sequence}: the newest entries were deleted.",
        )
    elif head.sequence < report.last_sequence or head.last_hash != report.last_hash:
        report.add(
            Kind.REWOUND,
            f"The chain's head says entry #{head.sequence}, but the log goes on to "
            f"#{report.last_sequence}: the head was rewound.",
        )


def _when(checkpoint: checkpointing.Checkpoint) -> str:
    return dateformat.format(timezone.localtime(checkpoint.taken), "j F Y, H:i")
