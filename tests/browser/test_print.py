"""Printing a page: the protective marking at the top and bottom,
no navigation, back link, buttons or web addresses after links."""

from agreements.models import SupervisionAgreement
from tests.browser.axe import check_a11y
from tests.browser.helpers import sign_in
from tests.browser.signing_setup import PASSWORD, build_team

SHOWN = """() => {
  const shown = el => el && getComputedStyle(el).display !== 'none';
  const link = document.querySelector('main a.govuk-link');
  return {
    marking: [...document.querySelectorAll('.app-protective-marking')].filter(shown)
      .map(el => el.innerText.trim()),
    navigation: shown(document.querySelector('.govuk-service-navigation')),
    back: shown(document.querySelector('.govuk-back-link')),
    after: link ? getComputedStyle(link, '::after').content : 'none',
  };
}"""


def test_a_printed_agreement_is_marked_and_carries_nothing_for_the_screen(page):
    team = build_team()
    agreement = SupervisionAgreement.objects.filter(relationship__supervisee=team.supervisee).get()
    sign_in(page, team.supervisee.email, PASSWORD)
    page.goto(f"/agreements/{agreement.pk}/")
    check_a11y(page)
    on_screen = page.evaluate(SHOWN)
    assert on_screen["marking"] == [] and on_screen["navigation"]
    page.emulate_media(media="print")
    printed = page.evaluate(SHOWN)
    assert printed["marking"] == ["OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"]
    assert not printed["navigation"] and not printed["back"]
    assert printed["after"] in ("none", "normal")
