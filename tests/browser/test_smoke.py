"""The browser tests' own machinery: sign in through the real page and land on home, axe clean;
and axe really does fail a page with a violation."""

import pytest

from tests.browser.axe import VISITS, assert_focus_visible, check_a11y
from tests.browser.helpers import sign_in
from tests.world import build_world


def test_a_supervisee_signs_in_and_lands_on_their_home_page(page, live_server):
    world = build_world()
    sign_in(page, world.supervisee.email)
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Supervisee"
    # Still signed in on the next request: Chromium keeps the session cookie by its Max-Age,
    # although its Expires date is on the travelled clock, months before the real one.
    page.reload()
    check_a11y(page)
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Supervisee"
    assert VISITS[page].visited == [f"{live_server.url}/sign-in/", f"{live_server.url}/"]


def test_axe_fails_a_page_with_a_violation(page):
    page.goto("/sign-in/")
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = "/static/dist/govuk/assets/images/favicon.ico";
          document.querySelector("main").append(img);
        }"""
    )
    with pytest.raises(pytest.fail.Exception, match="image-alt") as failure:
        check_a11y(page)
    assert "<img src=" in str(failure.value)


def test_a_control_without_a_focus_style_fails_the_focus_check(page):
    page.goto("/sign-in/")
    check_a11y(page)
    page.get_by_label("Email address").focus()
    assert assert_focus_visible(page)["label"] == "Email address"
    page.evaluate(
        """() => {
          const style = document.activeElement.style;
          style.setProperty("outline", "none", "important");
          style.setProperty("box-shadow", "none", "important");
        }"""
    )
    with pytest.raises(AssertionError, match="Focus is not visible on input"):
        assert_focus_visible(page)
