"""Shared fixtures of the model tests."""

import pytest


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models train faster on one thread (and do not fight other tests for cores)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
