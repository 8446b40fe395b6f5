import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Small latency-bound networks: one thread, as the race itself uses, and a fixed reduction order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
