"""Choosing the compute device, and turning GPU memory exhaustion into one sentence."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

from app.core.errors import DeviceError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def available_devices() -> list[str]:
    """Devices usable on this machine, best first (CPU is always last)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then MPS, then CPU; asking for a missing GPU is an error."""
    name = (name or "auto").lower()
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise DeviceError(f"Unknown device '{name}'; choose one of {', '.join(DEVICE_CHOICES)}.")
    if name == "auto":
        return torch.device(available_devices()[0])
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError("No CUDA GPU is available on this machine; choose the CPU or Auto as the device.")
    if name == "mps" and "mps" not in available_devices():
        raise DeviceError("Apple's MPS device is not available on this machine; choose the CPU or Auto as the device.")
    return torch.device(name)


@contextlib.contextmanager
def gpu_memory_guard(hint: str = "lower the batch size or the number of variations, or run on the CPU") -> Iterator[None]:
    """Re-raise CUDA out-of-memory as a DeviceError naming the fix, and free the cache."""
    try:
        yield
    except torch.OutOfMemoryError:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        raise DeviceError(f"The GPU ran out of memory; {hint}.") from None
