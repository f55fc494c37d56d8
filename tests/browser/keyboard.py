"""Moving through pages with the keyboard alone, checking that focus can be seen at each step.

Nothing here clicks: focus moves with Tab and Shift+Tab, links and buttons are used with Enter
or Space, and text is typed into whatever has focus.
"""

from __future__ import annotations

from tests.browser.axe import assert_focus_visible, check_a11y, describe, focused_element

MAX_PRESSES = 120


def tab_to(page, name: str, *, back: bool = False, exact: bool = True) -> dict:
    """Press Tab (Shift+Tab with back=True) until the control called `name` has focus,
    checking that every control passed on the way shows its focus."""
    key = "Shift+Tab" if back else "Tab"
    passed = []
    for _ in range(MAX_PRESSES):
        page.keyboard.press(key)
        if focused_element(page) is None:
            # Past the last control (or before the first): in a browser, focus is in the
            # toolbar now; the next Tab comes back to the other end of the page.
            passed.append("(the browser's toolbar)")
            continue
        info = assert_focus_visible(page)
        label = info["label"]
        if label == name or (not exact and name in label):
            return info
        passed.append(describe(info))
    raise AssertionError(
        f"{key} never reached “{name}” on {page.url}; focus went to:\n  " + "\n  ".join(passed)
    )


def skip_to_main(page) -> None:
    """The first Tab on a page reaches GOV.UK's skip link; Enter moves focus to the content."""
    page.keyboard.press("Tab")
    info = assert_focus_visible(page)
    assert info["label"] == "Skip to main content", f"First Tab reached {describe(info)}"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def type_into(page, label: str, text: str, *, back: bool = False, replace: bool = False) -> None:
    tab_to(page, label, back=back)
    if replace:
        page.keyboard.press("Control+A")
    page.keyboard.type(text)


def activate(page, name: str, *, key: str = "Enter", back: bool = False, exact: bool = True):
    """Tab to a link or button and use it (Enter, or Space for a button); the next page is
    checked with axe."""
    tab_to(page, name, back=back, exact=exact)
    with page.expect_navigation():
        page.keyboard.press(key)
    check_a11y(page)


def press_space_on(page, name: str) -> None:
    """Tab to a radio or checkbox and tick it with Space."""
    tab_to(page, name)
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked"), f"Space did not select “{name}”"


def focused_label(page) -> str:
    info = focused_element(page)
    return info["label"] if info else ""
