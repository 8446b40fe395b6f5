import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Traces are compared at 1e-5: one thread keeps the reductions in a fixed order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
