"""A child process that saves a project again and again, to be killed with SIGKILL by the test.

Usage: ``python save_kill_child.py PATH MOMENT FIRST_VERSION``. Version ``v``
of the project is :func:`version_score` ``(v)``. The child prints ``ready``
once imported; then it saves versions ``FIRST_VERSION, FIRST_VERSION + 1, ...``
until it is killed. With a MOMENT other than ``random`` it stops inside the
first save at that moment, prints ``paused`` and waits for the kill:

- ``temp``: the new version is written to its temp file, not yet synced;
- ``backup-link``: the backup is hard-linked under its temp name, not yet renamed to ``.bak``;
- ``backup-copy``: on a filesystem without hard links, half of the old file is copied to the backup's temp file;
- ``replace``: the backup is complete, the temp file not yet renamed over the project;
- ``replaced``: the new version was just renamed into place, the folder not yet synced.

Only the pause is arranged here (by wrapping the os/shutil calls the save
makes); the save and the kill are real.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from app.core.score import Note, Score, Track

NOTES = 2000  # about 70 KB of JSON: a save takes a few milliseconds


def version_score(version: int) -> Score:
    """Version ``version`` of the project: titled ``v<version>``, with NOTES + version notes."""
    notes = tuple(Note(start=i * 120, pitch=40 + (i + version) % 48, duration=110, velocity=80)
                  for i in range(NOTES + version))
    return Score(tracks=(Track("Piano", 0, False, notes),), title=f"v{version}")


def _pause() -> None:
    print("paused", flush=True)
    time.sleep(120)
    os._exit(3)  # never reached when the parent kills as it should


def _fd_name(fd: int) -> str:
    try:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return ""


def arm(path: Path, moment: str) -> None:
    """Wrap the calls the first save makes so that it pauses at ``moment``."""
    real_fsync, real_replace = os.fsync, os.replace
    project_temp = f".{path.name}."
    if moment == "temp":
        def fsync(fd):
            name = _fd_name(fd)
            if name.startswith(project_temp) and not name.startswith(project_temp + "bak"):
                _pause()
            return real_fsync(fd)
        os.fsync = fsync
    elif moment == "backup-link":
        def replace(src, dst, *a, **k):
            if str(dst).endswith(".bak"):
                _pause()
            return real_replace(src, dst, *a, **k)
        os.replace = replace
    elif moment == "backup-copy":
        def link(*a, **k):
            raise PermissionError(1, "Operation not permitted")  # as on FAT or some network shares
        def copyfileobj(src, dst, length=0):
            data = src.read()
            dst.write(data[: len(data) // 2])
            dst.flush()
            _pause()
        os.link, shutil.copyfileobj = link, copyfileobj
    elif moment in ("replace", "replaced"):
        def replace(src, dst, *a, **k):
            if str(dst) == str(path):
                if moment == "replace":
                    _pause()
                real_replace(src, dst, *a, **k)
                _pause()
            return real_replace(src, dst, *a, **k)
        os.replace = replace
    elif moment != "random":
        raise SystemExit(f"unknown moment {moment}")


def main(argv: list[str]) -> None:
    from app.core.project import save_project

    path, moment, version = Path(argv[0]), argv[1], int(argv[2])
    count = 12 if moment == "random" else 1
    scores = [version_score(v) for v in range(version, version + count)]  # built before the clock starts
    arm(path, moment)
    print("ready", flush=True)
    for score in scores:
        save_project(score, path)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1:])
