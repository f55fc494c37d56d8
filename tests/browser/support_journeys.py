"""Helpers shared by the casework, dashboard and administrator journeys: reading what a person
sees (breadcrumbs, tables, error summaries), not reaching into the database."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import Download, Locator, Page, expect

# What a link in an error summary may point at: the field a person fixes, so following the
# link puts the cursor in it (GOV.UK error summary: "link to the first field with an error").
FIELD_TAGS = {"input", "select", "textarea"}


def heading(page: Page) -> str:
    return page.locator("h1").inner_text().strip()


def breadcrumb(page: Page) -> list[str]:
    """The breadcrumb as read aloud, from the top; the current page last."""
    items = page.get_by_role("navigation", name="Breadcrumb").get_by_role("listitem")
    return [text.strip() for text in items.all_inner_texts()]


def banner(page: Page) -> str:
    """The text of the notification banner a successful action shows."""
    found = page.locator(".govuk-notification-banner--success .govuk-notification-banner__heading")
    expect(found).to_be_visible()
    return found.inner_text().strip()


def cells(row: Locator) -> list[str]:
    """One table row, cell by cell (a header cell of the row included)."""
    return [" ".join(cell.split()) for cell in row.locator("th, td").all_inner_texts()]


def rows(table: Locator) -> list[list[str]]:
    """The body rows of a table, cell by cell."""
    return [cells(row) for row in table.locator("tbody tr").all()]


def headers(table: Locator) -> list[str]:
    """The column headings as they are seen: words hidden for screen readers left out."""
    return table.locator("thead th").evaluate_all(
        """cells => cells.map(cell => {
          const copy = cell.cloneNode(true);
          copy.querySelectorAll(".govuk-visually-hidden").forEach(hidden => hidden.remove());
          return copy.textContent.trim().replace(/\\s+/g, " ");
        })"""
    )


def table_by_caption(page: Page, caption: str) -> Locator:
    return page.locator("table").filter(has=page.locator("caption", has_text=caption))


def error_summary(page: Page) -> list[str]:
    """The messages of the error summary, each checked to be a link to the field that has the
    problem: the field exists, is a form control, and following the link focuses it."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    # govuk-frontend moves focus to the summary, so a screen reader announces it at once.
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: "), page.title()
    links = summary.locator(".govuk-error-summary__list a")
    messages = []
    targets = []
    for link in links.all():
        href = link.get_attribute("href") or ""
        assert href.startswith("#"), f"{href!r} is not a link to a field on this page"
        target = page.locator(f"[id='{href[1:]}']")
        assert target.count() == 1, f"the error summary links to {href}, which is not on the page"
        tag = target.evaluate("element => element.tagName.toLowerCase()")
        assert tag in FIELD_TAGS, f"the error summary links to {href}, a <{tag}>, not a field"
        message = link.inner_text().strip()
        # The same message is beside the field, where the person fixes it.
        assert page.locator(".govuk-error-message", has_text=message).count() >= 1, message
        messages.append(message)
        targets.append(target)
    assert messages, "an error summary with no links"
    links.first.click()
    expect(targets[0]).to_be_focused()
    return messages


def read_csv(download: Download) -> list[list[str]]:
    """The rows of a downloaded CSV file, header first (the byte-order mark dropped)."""
    path = download.path()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(io.StringIO(handle.read())))


def figure(text: str) -> str:
    """A figure as a table cell shows it, without the share in brackets or hidden words."""
    match = re.match(r"\s*([\d,]+)", text)
    assert match, f"no figure in {text!r}"
    return match.group(1).replace(",", "")
