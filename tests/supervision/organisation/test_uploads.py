"""An upload is checked before anything of it is stored: scanned by the real ClamAV daemon
(bin/clamd-up), refused when it is empty, too large, infected, or cannot be scanned."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from supervision.organisation import uploads, virus_scan
from tests.attachments import eicar, upload


def refusal(error: ValidationError) -> list[str]:
    return error.message_dict["file"]


def test_the_daemon_finds_the_eicar_test_file(clamd):
    verdict = virus_scan.scan([eicar()])
    assert not verdict.clean
    assert "Eicar" in verdict.signature
    assert verdict.scanner.startswith("ClamAV ")


def test_the_daemon_passes_a_clean_file_sent_in_many_chunks(clamd):
    data = b"A scanned record. " * 20_000  # over five of the client's chunks
    assert virus_scan.scan([data[:100], data[100:]]).clean


def test_a_clean_upload_is_described_for_keeping(clamd):
    data = b"%PDF-1.4 a scanned record"
    checked = uploads.checked_upload(upload(data, name="../../etc/Record 5 March.pdf"))
    assert checked.name == "Record 5 March.pdf"
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.content_type == "application/pdf"
    assert checked.scanner.startswith("ClamAV ")


def test_the_eicar_test_file_is_refused_as_a_virus(clamd):
    with pytest.raises(ValidationError) as refused:
        uploads.checked_upload(upload(eicar(), name="eicar.com"))
    assert refusal(refused.value) == ["The selected file contains a virus"]


def test_an_empty_file_is_refused(clamd):
    with pytest.raises(ValidationError) as refused:
        uploads.checked_upload(upload(b""))
    assert refusal(refused.value) == ["The selected file is empty"]


def test_a_file_over_the_limit_is_refused(clamd, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        uploads.checked_upload(upload(b"x" * 1025))
    assert refusal(refused.value) == ["The selected file must be smaller than 1KB"]


def test_no_file_is_refused():
    with pytest.raises(ValidationError) as refused:
        uploads.checked_upload(None)
    assert refusal(refused.value) == ["Select a file"]


def test_an_upload_that_cannot_be_scanned_is_refused(settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    with pytest.raises(ValidationError) as refused:
        uploads.checked_upload(upload())
    assert refusal(refused.value) == [
        "The selected file could not be checked for viruses. Try again later."
    ]


def test_a_scan_that_takes_too_long_is_not_a_verdict(settings, tmp_path):
    import socket

    # Something listens on the socket and never answers.
    path = str(tmp_path / "silent.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.bind(path)
        silent.listen(1)
        settings.CLAMD_SOCKET = path
        settings.CLAMD_TIMEOUT_SECONDS = 0.2
        with pytest.raises(virus_scan.ScannerUnavailable):
            virus_scan.scan([b"hello"])


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\sam\\Desktop\\form.docx", "form.docx"),
        ("<img src=x onerror=alert(1)>.pdf", "_img src_x onerror_alert(1)_.pdf"),
        ('<script>alert("x")</script>.pdf', "script_.pdf"),
        ("notes\r\n.txt", "notes.txt"),
        ("...", "attachment"),
        ("", "attachment"),
        ("Café plan – final.pdf", "Café plan _ final.pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_a_files_name_is_made_safe(given, kept):
    assert uploads.safe_name(given) == kept


def test_sizes_are_written_as_the_design_system_writes_them():
    assert uploads.max_bytes_text(10 * 1024 * 1024) == "10MB"
    assert uploads.max_bytes_text(512 * 1024) == "512KB"
