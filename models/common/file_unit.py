"""Several files of a folder replaced as one unit, so a kill leaves the old set or the new set.

A training run keeps four files that must agree: the best model
(``model.safetensors`` + ``config.json``) and the resume state
(``resume.safetensors`` + ``resume.json``). Renaming files one by one can
never be atomic, so :func:`commit` works like a small journal:

1. every new file is written into a fresh hidden folder ``.staging-<random>``
   inside the run folder, with ``manifest.json`` last (the step it belongs
   to, the sha256 of every file of the run), each fsynced, then the folder;
2. the staging folder is renamed to ``.commit``: **the commit point**. Before
   it the old files are untouched (a leftover staging folder is deleted by
   the next commit); after it the new set is complete on disk;
3. the files are moved into place one by one (manifest last), then
   ``.commit`` is removed.

A reader never writes: :func:`resolve` finds each file in ``.commit`` while
a commit is being applied (a file already moved out is the new one), so a
kill at any moment reads as the whole old set or the whole new set. The next
:func:`commit` (or :func:`recover`) finishes an interrupted one.

``CADENZA_TEST_PAUSE_AT`` (tests only) makes the process sleep at a named
point so a test can SIGKILL it there deterministically; see :func:`pause_point`.
Pure: stdlib only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping

from app.core.atomic import fsync_dir, new_file_mode
from app.core.errors import CheckpointError, FileWriteError

MANIFEST = "manifest.json"
COMMIT = ".commit"
STAGING = ".staging-"
PAUSE_ENV = "CADENZA_TEST_PAUSE_AT"

Writer = Callable[[Path], None]  # writes one file at the path it is given


def pause_point(name: str, step: int | None = None) -> None:
    """Test hook: with ``CADENZA_TEST_PAUSE_AT=NAME`` (or ``NAME@STEP``: at that step or later) set, say
    ``cadenza-test: paused at NAME step N`` on stderr and sleep, so a test can kill the process right here.

    Points: ``staged:<file>`` (that file is written into the staging folder, the next not yet),
    ``committed`` (the staging folder became ``.commit``, nothing moved yet), ``applied:<file>`` (that
    file moved into place, the next not yet) and ``step`` (a training step ended).
    """
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    point, _, at = wanted.partition("@")
    if point != name or (at and (step is None or step < int(at))):
        return
    sys.stderr.write(f"cadenza-test: paused at {name} step {step}\n")
    sys.stderr.flush()
    while True:
        time.sleep(3600)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_mode() -> int:
    """The mode a new file gets from the umask (safetensors writes 0600; a user's models are shared as
    their other files are). Read once: a run closed while the interpreter exits still saves."""
    return _FILE_MODE


_FILE_MODE = new_file_mode()


def _pending(folder: Path) -> dict[str, Any] | None:
    """The manifest of a commit being applied, or None."""
    try:
        return json.loads((folder / COMMIT / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def resolve(folder: str | Path, name: str) -> Path:
    """Where file ``name`` of ``folder`` is: in ``.commit`` while a commit is applied, else in place."""
    folder = Path(folder)
    pending = folder / COMMIT / name
    if (name == MANIFEST or name in (_pending(folder) or {}).get("files", {})) and pending.is_file():
        return pending
    return folder / name


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of the set of files in ``folder`` (None when it has none); CheckpointError if damaged."""
    path = resolve(folder, MANIFEST)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError):
        raise CheckpointError(f"The training state manifest {path} is damaged; start a new run.") from None
    if not (isinstance(manifest, dict) and isinstance(manifest.get("files"), dict)
            and isinstance(manifest.get("step"), int) and not isinstance(manifest.get("step"), bool)):
        raise CheckpointError(f"The training state manifest {path} is damaged; start a new run.")
    return manifest


def recover(folder: str | Path) -> None:
    """Finish a commit a kill interrupted, and delete staging folders that never committed."""
    folder = Path(folder)
    for stale in folder.glob(STAGING + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    commit_dir = folder / COMMIT
    if not commit_dir.is_dir():
        return
    manifest = _pending(folder)
    if manifest is not None:
        _apply(folder, list(manifest.get("files", {})))
    shutil.rmtree(commit_dir, ignore_errors=True)
    fsync_dir(folder)


def _apply(folder: Path, names: list[str], step: int | None = None) -> None:
    commit_dir = folder / COMMIT
    for name in [*names, MANIFEST]:
        if (commit_dir / name).is_file():
            os.replace(commit_dir / name, folder / name)
            pause_point(f"applied:{name}", step)
    fsync_dir(folder)
    commit_dir.rmdir()
    fsync_dir(folder)


def commit(folder: str | Path, writers: Mapping[str, Writer], manifest: dict[str, Any],
           keep: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Replace the files ``writers`` name in ``folder`` as one unit; returns the manifest written.

    ``manifest`` holds at least ``step``; its ``files`` become the sha256 of every new file plus ``keep``
    (files of the previous set that stay as they are: name -> sha256).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        recover(folder)
        staging = folder / f"{STAGING}{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        files, mode = dict(keep or {}), file_mode()
        for name, write in writers.items():
            write(staging / name)
            os.chmod(staging / name, mode)
            fsync_file(staging / name)
            files[name] = sha256_file(staging / name)
            pause_point(f"staged:{name}", manifest.get("step"))
        manifest = dict(manifest, files=files, written=time.strftime("%Y-%m-%dT%H:%M:%S"))
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.chmod(staging / MANIFEST, mode)
        fsync_file(staging / MANIFEST)
        fsync_dir(staging)
        os.rename(staging, folder / COMMIT)  # the commit point
        fsync_dir(folder)
        pause_point("committed", manifest.get("step"))
        _apply(folder, list(writers), manifest.get("step"))
    except OSError as exc:
        raise FileWriteError(folder, f"the training state could not be saved ({exc.strerror or exc})") from None
    return manifest
