"""The project's pages and, for measure_pages.py only, a hello view: what a request costs
before any page's own work (the middleware: with a session cookie, reading the session and
the user)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("bench-hello/", hello), *project]
