"""Accessibility and focus checks for the browser tests.

`check_a11y(page)` runs axe-core (node_modules/axe-core, pinned in package.json) on the page as
it is now and fails the test on any WCAG 2.0, 2.1 or 2.2 A or AA violation. The page fixture in
conftest.py remembers which addresses were checked: a test that leaves a visited page
unchecked fails at teardown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# GOV.UK Frontend's focus colour: $govuk-focus-colour, #ffdd00.
FOCUS_YELLOW = "rgb(255, 221, 0)"

_axe_source: str | None = None


def axe_source() -> str:
    """The axe-core script; a missing install is a failure, never a skip (CI must run these)."""
    global _axe_source
    if _axe_source is None:
        if not AXE_PATH.exists():
            pytest.fail(
                f"axe-core is not installed ({AXE_PATH.relative_to(ROOT)} is missing): "
                "run `make install` (npm ci) first.",
                pytrace=False,
            )
        _axe_source = AXE_PATH.read_text(encoding="utf-8")
    return _axe_source


def page_key(url: str) -> str:
    """A visited page is its address without the fragment (#main-content is the same page)."""
    return urldefrag(url)[0]


@dataclass
class Visits:
    """The pages one test's browser tab showed, and which of them axe checked."""

    visited: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def saw(self, url: str) -> None:
        if url.startswith(("http://", "https://")):
            key = page_key(url)
            if key not in self.visited:
                self.visited.append(key)

    def unchecked(self) -> list[str]:
        return [url for url in self.visited if url not in self.checked]


# Filled by the page fixture: which Visits belongs to which page.
VISITS: dict[object, Visits] = {}

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}"""

# Both the project's stylesheet and GOV.UK's must be in force, or colour-contrast and
# focus results would be about an unstyled page.
_STYLES_LOADED = """() => [...document.styleSheets].some(
  (sheet) => sheet.href && sheet.href.includes("/static/dist/app.css") && sheet.cssRules.length > 0
)"""


def format_violations(url: str, violations: list[dict], max_nodes: int = 3) -> str:
    lines = [f"axe found {len(violations)} WCAG A/AA violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"][:max_nodes]:
            lines.append(f"    at {node['target']}")
            lines.append(f"      {node['html'][:300]}")
            if node.get("summary"):
                summary = " ".join(node["summary"].split())
                lines.append(f"      {summary[:400]}")
        hidden = len(violation["nodes"]) - max_nodes
        if hidden > 0:
            lines.append(f"    ... and {hidden} more element(s)")
    return "\n".join(lines)


def check_a11y(page) -> None:
    """Run axe on the page as it is now; fail on any WCAG 2.x A/AA violation."""
    url = page.url
    source = axe_source()
    page.wait_for_load_state("load")
    if not page.evaluate(_STYLES_LOADED):
        pytest.fail(
            f"static/dist/app.css did not load on {url}: run `make install` (npm run build).",
            pytrace=False,
        )
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, which the page's CSP (script-src 'self')
        # does not govern: an injected <script> tag would be refused, as it should be.
        page.evaluate(f"() => {{ {source}\n}}")
    violations = page.evaluate(_RUN_AXE, AXE_TAGS)
    visits = VISITS.get(page)
    if visits is not None:
        visits.checked.add(page_key(url))
    if violations:
        pytest.fail(format_violations(url, violations), pytrace=False)


def focused_element(page) -> dict:
    """What has the keyboard focus, and how it is drawn."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return null;
          const style = getComputedStyle(el);
          // What a screen reader would call it, near enough: a form control's label, else
          // its aria-label or text (visually hidden text included).
          const labelled = el.labels && el.labels.length ? el.labels[0].innerText : "";
          const label = (labelled || el.getAttribute("aria-label") || el.innerText || el.id || "")
            .trim().replace(/\\s+/g, " ").slice(0, 120);
          return {
            tag: el.tagName.toLowerCase(),
            type: el.getAttribute("type"),
            id: el.id,
            name: el.getAttribute("name"),
            label,
            outlineStyle: style.outlineStyle,
            outlineWidth: parseFloat(style.outlineWidth) || 0,
            outlineColor: style.outlineColor,
            boxShadow: style.boxShadow,
            backgroundColor: style.backgroundColor,
            // GOV.UK hides a radio's or checkbox's own input and draws its focus as a yellow
            // ring (box-shadow) on the ::before of the label that follows it.
            labelRing: el.matches(".govuk-radios__input, .govuk-checkboxes__input")
              && el.labels && el.labels.length
              ? getComputedStyle(el.labels[0], "::before").boxShadow : "none",
          };
        }"""
    )


def focus_is_visible(info: dict | None) -> bool:
    if not info:
        return False
    outlined = (
        info["outlineStyle"] != "none"
        and info["outlineWidth"] >= 2
        and info["outlineColor"] not in ("transparent", "rgba(0, 0, 0, 0)")
    )
    if info["labelRing"] != "none":
        return True
    if info["tag"] == "input" and info["type"] in ("radio", "checkbox"):
        return False  # the input itself is invisible: only the ring shows where focus is
    return outlined or info["boxShadow"] != "none" or info["backgroundColor"] == FOCUS_YELLOW


def describe(info: dict | None) -> str:
    if not info:
        return "nothing (focus is on the page body)"
    what = info["tag"] + (f"[type={info['type']}]" if info["type"] else "")
    if info["id"]:
        what += f"#{info['id']}"
    return f"{what} “{info['label']}”"


def assert_focus_visible(page) -> dict:
    """The focused control shows GOV.UK's focus state (yellow, with a black bar or outline)."""
    info = focused_element(page)
    assert focus_is_visible(info), (
        f"Focus is not visible on {describe(info)} at {page.url}: "
        f"outline {info and info['outlineStyle']} {info and info['outlineWidth']}px "
        f"{info and info['outlineColor']}, box-shadow {info and info['boxShadow']}, "
        f"background {info and info['backgroundColor']}"
    )
    return info
