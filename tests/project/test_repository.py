"""What a clean clone holds: no secrets, nothing built or local."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def tracked_files():
    result = git("ls-files", "-z")
    if result.returncode != 0:
        pytest.fail("the repository's files are listed with git")
    return [ROOT / name for name in result.stdout.split("\0") if name]


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "node_modules/govuk-frontend/package.json",
        "static/dist/app.css",
        "staticfiles/app.css",
        "media/records/1.pdf",
        "db.sqlite3",
        ".secret_key",
        # The demo's signing certificate, private key and all.
        "var/signing/organisation.p12",
        ".broker/queue/message.msg",
        # The project's ClamAV daemon: its socket, log and linked signatures (bin/clamd-up).
        ".clamav/clamd.sock",
        "supervision/__pycache__/models.cpython-311.pyc",
    ],
)
def test_it_ignores_local_and_built_files(path):
    assert git("check-ignore", "--no-index", "-q", path).returncode == 0, f"{path} not ignored"


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"django-insecure-"),
    re.compile(r"""SECRET_KEY\s*=\s*["'][^"']{20,}["']"""),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"postgres(ql)?://[^:/\s]+:[^@${\s]+@"),
]


def test_it_commits_no_secret():
    offenders = []
    for path in tracked_files():
        if path.suffix in {".png", ".ico", ".svg", ".woff2"} or not path.is_file():
            continue
        if path.name == "test_repository.py":
            continue
        text = path.read_text(errors="ignore")
        offenders += [
            f"{path.relative_to(ROOT)}: {p.pattern}" for p in SECRET_PATTERNS if p.search(text)
        ]
    assert offenders == []


def test_it_commits_no_local_state():
    names = {path.relative_to(ROOT).as_posix() for path in tracked_files()}
    assert ".secret_key" not in names
    assert "db.sqlite3" not in names
    assert not any(name.startswith(("static/dist/", "node_modules/", ".venv/")) for name in names)
