"""Settings for measure_pages.py's server: the project's own, with the benchmark's URLconf
(the project's pages and a hello view that exists only here) and never in debug."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.pages_urls"
DEBUG = False
