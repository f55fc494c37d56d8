import pytest


@pytest.fixture(autouse=True)
def scheduler_and_workers_running(monkeypatch):
    """The access tests ask who may open each page, /healthz/ among them, on days the clock is
    moved to; no beat and no worker run in them, so the organisation's queued exports look
    long abandoned by the next morning. Whether /healthz/ names a silent scheduler or idle
    workers is tests/supervision/web/test_health.py's question, so here both report running."""
    monkeypatch.setattr(
        "supervision.web.health.scheduler", lambda: (True, "running (access tests)")
    )
    monkeypatch.setattr("supervision.web.health.workers", lambda: (True, "running (access tests)"))
