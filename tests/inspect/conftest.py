import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here on one thread: traces are compared at 1e-5 (tests/conftest.py)."""
    yield
