import pytest


@pytest.fixture(autouse=True)
def scheduler_running(monkeypatch):
    """The access tests ask who may open each page, /healthz/ among them, on days the clock is
    moved to; no beat runs in them. Whether /healthz/ names a silent scheduler is
    tests/supervision/web/test_health.py's question, so here the scheduler reports running."""
    monkeypatch.setattr(
        "supervision.web.health.scheduler", lambda: (True, "running (access tests)")
    )
