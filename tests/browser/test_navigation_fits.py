"""Every role's navigation fits one row at 1,280 pixels: measured in
Chromium on the demo organisation, one person of each kind."""

import pytest

from demo.organisation import DEMO_PASSWORD, email_of, load_demo
from supervision.accounts.policy import two_factor_required
from supervision.models import User
from tests.browser.conftest import NOW
from tests.browser.helpers import sign_in, sign_out
from tests.two_factor import give_second_factor

PEOPLE = {
    "a social worker": "Ellie Moss",
    "a team manager": "Rachel Turner",
    "a head of service": "Priya Raman",
    "a system administrator": "Sarah Newton",
    "an information governance officer": "Ian Gordon",
}

ROW = """() => {
  const items = [...document.querySelectorAll(
    '.govuk-service-navigation__service-name, .govuk-service-navigation__item')];
  return items.map(item => ({
    text: item.innerText.trim(),
    top: Math.round(item.getBoundingClientRect().top),
    width: Math.round(item.getBoundingClientRect().width),
    right: Math.round(item.getBoundingClientRect().right),
  }));
}"""


@pytest.fixture
def demo():
    load_demo(NOW.date(), history=False)
    # Those whose role asks for a second factor have set up their authenticator app.
    for person in User.objects.all():
        if two_factor_required(person):
            give_second_factor(person)


def test_every_roles_navigation_is_one_row_at_1280_pixels(page, demo):
    assert page.viewport_size["width"] == 1280
    wrapped = {}
    for kind, name in PEOPLE.items():
        sign_in(page, email_of(name), DEMO_PASSWORD)
        items = page.evaluate(ROW)
        assert len(items) >= 3, (kind, items)
        # The service name may sit on a row of its own above, as GOV.UK's pattern lets it.
        rows = {item["top"] for item in items[1:]}
        if len(rows) != 1:
            wrapped[kind] = [(item["text"], item["top"]) for item in items]
        sign_out(page)
    assert not wrapped, wrapped
