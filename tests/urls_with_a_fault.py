"""The project's URLs and one that fails, to show the 500 page
(tests/supervision/web/test_error_pages.py)."""

from django.urls import path

from config.urls import urlpatterns as project


def fails(request):
    raise RuntimeError("a fault in a view")


urlpatterns = [*project, path("fault/", fails)]
