import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    """Each test starts with no calls counted against its tokens' rate limits."""
    cache.clear()
    yield
    cache.clear()
