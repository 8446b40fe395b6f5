import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here on one thread: the race itself uses one thread (tests/conftest.py)."""
    yield
