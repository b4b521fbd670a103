"""A tiny real filesystem for full-disk tests: a tmpfs of a given size (mounting needs root; else the test skips)."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


@contextmanager
def tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    """``folder`` as a fresh tmpfs of ``size`` (e.g. ``"64k"``, ``"7m"``) for the duration; fails without mount rights (make test runs as root)."""
    folder.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.fail("no mount command (util-linux)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
