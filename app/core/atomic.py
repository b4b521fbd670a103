"""Atomic file saves: temp file, fsync, ``os.replace``, previous version kept as ``.bak``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from app.core.errors import FileWriteError


def atomic_write_bytes(path: str | Path, data: bytes, keep_backup: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new file, never half.

    With ``keep_backup`` the file being replaced is kept as ``<path>.bak``.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise FileWriteError(target, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if keep_backup and target.exists():
            shutil.copy2(target, target.with_name(target.name + ".bak"))
        os.replace(tmp_name, target)
        _fsync_dir(folder)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise FileWriteError(target, exc.strerror or str(exc)) from None


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
