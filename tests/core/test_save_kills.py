"""Saves killed with SIGKILL at chosen moments leave a complete project and a complete backup.

A child process (``save_kill_child.py``) saves version after version of a
project; it is killed at a named moment of a save (writing the temp file,
inside the backup's link or copy, before and after the rename) or at a random
time. Afterwards the project and its ``.bak`` must each parse as one complete
version, the backup no newer than the project, and the next save must remove
the temp files the killed one left. ``CADENZA_KILL_TRIALS`` sets the trials
per moment (default 2, and ``CADENZA_KILL_RANDOM_TRIALS`` random ones, default 12); the tally is printed (``-s``).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.core.errors import FileFormatError
from app.core.project import load_project, save_project

sys.path.insert(0, str(Path(__file__).parent))
from save_kill_child import NOTES, version_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("save_kill_child.py")
MOMENTS = ("temp", "backup-link", "backup-copy", "replace", "replaced")
TRIALS = int(os.environ.get("CADENZA_KILL_TRIALS", "2"))
RANDOM_TRIALS = int(os.environ.get("CADENZA_KILL_RANDOM_TRIALS", "12"))
TALLY: dict[str, Counter] = {}



def version_of(path: Path) -> int | None:
    """The complete version ``path`` holds, or None when it is missing, damaged or a mixture."""
    try:
        score, _ = load_project(path)
    except FileFormatError:
        return None
    version = int(score.title[1:])
    return version if score == version_score(version) and score.note_count == NOTES + version else None


def kill_during_save(folder: Path, moment: str, rng: random.Random) -> tuple[int | None, int | None]:
    """Start a child saving over ``folder/song.cadenza`` (versions 1 and 2 saved before), kill it; (project, backup) versions."""
    path = folder / "song.cadenza"
    save_project(version_score(1), path)
    save_project(version_score(2), path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(CHILD), str(path), moment, "3"], stdout=subprocess.PIPE,
                             text=True, env=env, cwd=folder)
    try:
        assert child.stdout.readline().strip() == "ready"
        if moment == "random":
            try:
                child.wait(timeout=rng.uniform(0.0, 0.25))
            except subprocess.TimeoutExpired:
                pass
        else:
            assert child.stdout.readline().strip() == "paused", f"the child never reached {moment}"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return version_of(path), version_of(path.with_name(path.name + ".bak"))


def check_next_save_cleans_up(folder: Path, project: int) -> None:
    """The next save writes the next version, backs up the killed one's, and leaves no temp file."""
    path = folder / "song.cadenza"
    save_project(version_score(project + 100), path)
    assert version_of(path) == project + 100
    assert version_of(path.with_name(path.name + ".bak")) == project
    assert sorted(p.name for p in folder.iterdir()) == ["song.cadenza", "song.cadenza.bak"]


@pytest.mark.parametrize("moment", MOMENTS + ("random",))
def test_a_killed_save_leaves_complete_versions(tmp_path, moment):
    rng = random.Random(f"kill-{moment}")
    tally = TALLY.setdefault(moment, Counter())
    for trial in range(RANDOM_TRIALS if moment == "random" else TRIALS):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        project, backup = kill_during_save(folder, moment, rng)
        tally["left a temp file"] += any(p.name.endswith(".tmp") for p in folder.iterdir())
        complete = project is not None and backup is not None and 1 <= backup <= project
        tally["trials"] += 1
        tally["complete"] += complete
        assert complete, f"{moment}: the project is version {project}, the backup {backup}"
        if moment in ("temp", "backup-link", "backup-copy", "replace"):
            assert project == 2  # the new version had not been renamed into place yet
        if moment == "replaced":
            assert project == 3 and backup == 2
        check_next_save_cleans_up(folder, project)
    print(f"\nkill trials, {moment}: {tally['complete']} of {tally['trials']} left a complete project and backup "
          f"({tally['left a temp file']} killed inside a save's file work)")
