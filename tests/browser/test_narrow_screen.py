"""At 390 pixels (a phone), the supervisee's pages never scroll sideways:
long check codes wrap, tables and navigation fit."""

from agreements.models import SupervisionAgreement
from tests.browser.axe import check_a11y
from tests.browser.helpers import sign_in
from tests.browser.signing_setup import PASSWORD, build_team

SIDEWAYS = """() => {
  const root = document.scrollingElement;
  const wide = [...document.querySelectorAll('main *')]
    .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))
    .slice(0, 5);
  return {scroll: root.scrollWidth, width: root.clientWidth, wide};
}"""


def test_the_supervisees_pages_fit_a_390_pixel_screen(page):
    team = build_team()
    agreement = SupervisionAgreement.objects.filter(relationship__supervisee=team.supervisee).get()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, team.supervisee.email, PASSWORD)
    too_wide = {}
    for url in ("/", f"/people/{team.supervisee.pk}/", f"/agreements/{agreement.pk}/"):
        page.goto(url)
        check_a11y(page)
        found = page.evaluate(SIDEWAYS)
        if found["scroll"] > found["width"]:
            too_wide[url] = found
    assert not too_wide, too_wide
