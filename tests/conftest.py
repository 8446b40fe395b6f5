"""Fixtures shared across the test folders."""
import pytest
import torch


@pytest.fixture
def one_thread():
    """One intra-op thread for the test, then the previous setting: small latency-bound networks, and
    reductions in a fixed order where results are compared at 1e-5."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
