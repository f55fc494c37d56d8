"""What a person does in the browser, for the journeys: sign in, take a screenshot, check the
error summary. Accessibility and focus checks are in axe.py."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from supervision.models import User
from tests.browser.axe import VISITS, check_a11y, page_key
from tests.factories import SUPERVISEE_PASSWORD
from tests.two_factor import AUTHENTICATE, code_now

ROOT = Path(__file__).resolve().parents[2]
# Every screenshot also lands here (git-ignored), as does the page of a failed test.
ARTIFACTS = ROOT / "test-artifacts" / "browser"


# Per page, the paths whose refusal (a 4xx answer) the test expects: the browser's console
# error for it is not a failure.
REFUSALS_EXPECTED: dict = {}


def expect_refusal(page, path: str) -> None:
    REFUSALS_EXPECTED.setdefault(page, set()).add(path)


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:120]


def shot(page, name: str) -> Path:
    """A full-page screenshot: always into test-artifacts/browser/, and also into the folder
    named by SCREENSHOTS (`make screenshots` sets docs/screenshots) when that is set."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{safe_name(name)}.png"
    # Caret blinking and animations would make each regeneration differ for nothing.
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        target = Path(folder)
        if not target.is_absolute():
            target = ROOT / target
        target.mkdir(parents=True, exist_ok=True)
        (target / path.name).write_bytes(path.read_bytes())
    return path


def sign_in(page, email: str, password: str = SUPERVISEE_PASSWORD, *, check: bool = True):
    """Through the real sign-in page, as a person would: checks the sign-in page and the page
    landed on with axe (check=False leaves the landing page to the caller)."""
    if urlsplit(page.url).path != "/sign-in/":
        page.goto("/sign-in/")
    visits = VISITS.get(page)
    if visits is None or page_key(page.url) not in visits.checked:
        check_a11y(page)  # not when signing out has just shown (and checked) this page
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/sign-in/" not in page.url, f"Still on the sign-in page after signing in as {email}"
    if urlsplit(page.url).path == AUTHENTICATE:
        # The account has an authenticator app: its code, as the person's phone shows it.
        check_a11y(page)
        field = page.get_by_label("Code from your authenticator app")
        field.fill(code_now(User.objects.get(email__iexact=email)))
        with page.expect_navigation():
            field.press("Enter")
        assert urlsplit(page.url).path != AUTHENTICATE, f"The code was refused for {email}"
    if check:
        check_a11y(page)


def sign_out(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    check_a11y(page)


def assert_error_summary_links_work(page) -> list[str]:
    """Every link in the GOV.UK error summary points at an element on the page (its field),
    and the summary has focus, as GOV.UK Frontend's JavaScript gives it. Returns the messages."""
    summary = page.locator(".govuk-error-summary")
    assert summary.count() == 1, f"No error summary on {page.url}"
    links = summary.locator("a")
    messages = []
    broken = []
    for index in range(links.count()):
        link = links.nth(index)
        href = link.get_attribute("href") or ""
        messages.append(link.inner_text().strip())
        target = href.removeprefix("#")
        if not href.startswith("#") or not page.locator(f"[id='{target}']").count():
            broken.append(f"{link.inner_text().strip()!r} -> {href!r}")
    assert not broken, f"Error summary links with no target on {page.url}: {broken}"
    focused = page.evaluate(
        "() => document.activeElement && document.activeElement.closest('.govuk-error-summary')"
        " !== null"
    )
    assert focused, f"The error summary on {page.url} does not have focus"
    return messages
