"""GOV.UK error pages: never a bare "Server Error (500)"."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from tests.world import build_world

pytestmark = pytest.mark.django_db


def test_a_fault_shows_the_services_problem_page_not_a_bare_error(settings):
    settings.ROOT_URLCONF = "tests.urls_with_a_fault"
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/fault/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "<title>Sorry, there is a problem with the service – Supervision records</title>" in page
    assert 'class="govuk-header"' in page and "dist/app.css" in page
    assert "Anything you had saved is kept" in page
    assert "a fault in a view" not in page  # nothing of the fault itself


def test_a_form_sent_from_an_expired_page_says_so_and_changes_nothing():
    build_world()
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"login": "supervisee@example.org", "password": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your page had expired" in page and "Nothing was changed" in page


def test_an_unknown_address_shows_page_not_found(client, settings):
    settings.DEBUG = False
    build_world()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "check it is correct" in page
    assert 'class="govuk-header"' in page


def test_a_page_the_role_does_not_allow_says_so_and_whom_to_ask(client, settings):
    settings.DEBUG = False
    world = build_world()
    client.force_login(world.supervisor)
    response = client.get(reverse("change-supervisor", args=[world.supervisee.pk]))
    page = response.content.decode()
    assert response.status_code == 403
    assert "<title>You do not have permission to see this page – " in page
    assert '<h1 class="govuk-heading-l">You do not have permission to see this page</h1>' in page
    assert "ask your line manager" in page and "system administrator" in page
    assert 'class="govuk-header"' in page and "govuk-service-navigation" in page


def test_a_request_for_another_host_shows_the_bad_request_page(settings):
    """Refused by CommonMiddleware, before anyone is signed in or out: the page is drawn for a
    request that has no user yet, and must not turn into a fault."""
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/", HTTP_HOST="elsewhere.example")
    page = response.content.decode()
    assert response.status_code == 400
    title = "Sorry, that request could not be understood – Supervision records"
    assert f"<title>{title}</title>" in page
    assert 'class="govuk-header"' in page and "dist/app.css" in page


@pytest.mark.django_db(databases=[])
def test_the_problem_page_needs_no_database_and_no_context(settings):
    """A fault may be the database itself: the 500 page is drawn with no request context, and
    pytest-django refuses any query this test makes."""
    settings.DEBUG = False
    response = defaults.server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert 'class="govuk-header"' in page and "dist/app.css" in page
