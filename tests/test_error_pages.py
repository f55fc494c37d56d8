"""GOV.UK error pages (wave 2 · 2 of 9, point 3): never a bare "Server Error (500)"."""

import pytest
from django.test import Client

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
    response = client.post("/sign-in/", {"username": "supervisee@example.org", "password": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your page had expired" in page and "Nothing was changed" in page


def test_an_unknown_address_shows_page_not_found(client):
    build_world()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "check it is correct" in page
    assert 'class="govuk-header"' in page
