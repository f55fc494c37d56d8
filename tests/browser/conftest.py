"""Real-browser journeys: Debian's Chromium driven by Playwright against a live server.

Fixtures:
- `page`: a fresh browser tab per test (1280x900, en-GB, Europe/London) on the live server
  (`page.goto("/")` works). At teardown the test fails if any page it showed was not checked
  with `check_a11y(page)`, or if a page raised a JavaScript error or logged a console error.
  A failed test leaves a screenshot: test-artifacts/browser/FAILED-<test>.png.
- `clock`: autouse; the whole test runs at NOW (5 March 2026, 09:00 in London), with time
  moving on (tick=True); `clock.move_to(datetime)` or `clock.shift(timedelta)` moves it.
- `live_server`: the app on 127.0.0.1 with committed data (transactional database, with the
  data migrations' rows put back after each test).

Helpers: axe.py (`check_a11y`, `assert_focus_visible`), helpers.py (`sign_in`, `sign_out`,
`shot`, `assert_error_summary_links_work`), keyboard.py (`tab_to`, `activate`, `type_into`).

Run: .venv/bin/pytest tests/browser -q
"""

import contextlib
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.browser.axe import VISITS, Visits
from tests.browser.helpers import ARTIFACTS, REFUSALS_EXPECTED, safe_name

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    # The live server runs in another thread on its own connection, so tests here need
    # committed data; the serialized rollback puts back the data migrations' rows (record
    # templates, policy packs, the audit chain's head) that the flush after each test removes.
    marker = pytest.mark.django_db(transaction=True, serialized_rollback=True)
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(marker)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"browser_report_{report.when}", report)


@pytest.fixture(scope="package")
def playwright(django_db_setup):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API marks its event loop as running in this thread between calls.
    # Django then (1) refuses ORM calls, unless DJANGO_ALLOW_ASYNC_UNSAFE is set, and (2) looks
    # its connections up in per-context storage instead of the thread's (asgiref's Local), where
    # it would open new ones: without the test database's serialized contents (so no
    # serialized rollback) and, with SQLite, not the in-memory connection the server shares.
    # So the thread's connections are put in that storage too. Only for this package: the
    # fixture ends (and the loop with it) after the last browser test.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    thread_connections = {alias: connections[alias] for alias in connections}
    manager = sync_playwright().start()
    for alias, connection in thread_connections.items():
        connections[alias] = connection
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright):
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make system-packages` installs Debian's chromium "
            "(Playwright's own browser download cannot work here).",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _through_the_middleware(app):
    return app


@pytest.fixture(scope="package")
def live_server(django_db_setup):
    """pytest-django's live server, on 127.0.0.1 (its default is localhost).

    Started after the test database exists, so that with SQLite the server's threads share
    the test's in-memory connection, as Django's LiveServerTestCase does, rather than each
    opening the shared-cache database, whose table locks do not wait.

    Static files are served by WhiteNoise, as in production, rather than by Django's test
    handler, so the browser can cache them instead of asking again on every page. Their
    max-age is long because the server's Date header is on the travelled clock, months before
    the browser's: a minute's max-age would already have run out."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    caching = override_settings(WHITENOISE_MAX_AGE=20 * 365 * 24 * 3600)
    caching.enable()
    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1"), start=False)
    server.thread.static_handler = _through_the_middleware
    server.start()
    yield server
    server.stop()
    caching.disable()


@pytest.fixture(autouse=True)
def clock():
    """The test's day: NOW, moving on as real time does, so the server sees it too (it runs
    in a thread of this process). Session cookies still work: Django sends Max-Age, which
    Chromium prefers to the (travelled) Expires date."""
    traveller = time_machine.travel(NOW, tick=True)
    shifted = traveller.start()
    yield shifted
    traveller.stop()


@pytest.fixture
def page(request, live_server, browser):
    # live_server first: set up before the browser, it is stopped after the browser has closed
    # its connections, so no request thread outlives the server's share of the connection.
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/London",
        accept_downloads=True,
    )
    # A missing button or link fails within 5 seconds; a page or a PDF gets longer on a
    # machine busy with the rest of the suite.
    context.set_default_timeout(5_000)
    context.set_default_navigation_timeout(20_000)
    failed_shot = ARTIFACTS / f"FAILED-{safe_name(request.node.name)}.png"
    failed_shot.unlink(missing_ok=True)  # from an earlier run
    tab = context.new_page()
    visits = VISITS[tab] = Visits()
    errors: list[str] = []

    def navigated(frame):
        if frame == tab.main_frame:
            visits.saw(frame.url)

    def console(message):
        refused = "the server responded with a status of 4" in message.text
        if refused and any(path in tab.url for path in REFUSALS_EXPECTED.get(tab, ())):
            return
        if message.type == "error":
            errors.append(f"console error on {tab.url}: {message.text}")

    tab.on("framenavigated", navigated)
    tab.on("pageerror", lambda error: errors.append(f"JavaScript error on {tab.url}: {error}"))
    tab.on("console", console)
    try:
        yield tab
    finally:
        call = getattr(request.node, "browser_report_call", None)
        passed = call is not None and call.passed
        if call is not None and not passed and not tab.is_closed():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            # A failed screenshot must not hide the failure itself.
            with contextlib.suppress(Exception):
                tab.screenshot(path=failed_shot, full_page=True)
        context.close()
        VISITS.pop(tab, None)
        REFUSALS_EXPECTED.pop(tab, None)
    if passed:
        unchecked = visits.unchecked()
        if unchecked:
            pytest.fail(
                "These pages were shown but never checked with check_a11y(page):\n  "
                + "\n  ".join(unchecked),
                pytrace=False,
            )
        if errors:
            pytest.fail("The browser reported errors:\n  " + "\n  ".join(errors), pytrace=False)
