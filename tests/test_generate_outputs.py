"""``cadenza generate`` with K outputs writes all of them or none: full disk, read-only file, SIGKILL half way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.generate import write_variations
from app.core.errors import DiskFullError, ReadOnlyFileError
from app.core.score import Note, Score, Track
from disk_helpers import tiny_disk

ROOT = Path(__file__).resolve().parents[1]
CADENZA = [sys.executable, "-m", "app"]

CHILD = """
import sys, time
from pathlib import Path
import app.cli.generate as generate
from test_generate_outputs import scores

real, calls = generate.save_score, []

def save_score(score, path):
    real(score, path)
    calls.append(path)
    if len(calls) == 3:  # three of four variations written: the kill lands here
        print("paused", flush=True)
        time.sleep(120)

generate.save_score = save_score
generate.write_variations(scores(), Path(sys.argv[1]))
"""


def scores(k: int = 4) -> list[Score]:
    return [Score(tracks=(Track("Lead", 0, False, tuple(Note(start=i * 480, pitch=60 + v + i % 5, duration=480,
                                                              velocity=90) for i in range(16))),), title=f"v{v}")
            for v in range(k)]


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_a_full_disk_on_the_fourth_leaves_none_of_the_first_three(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tiny_disk(tmp_path / "disk", "10m") as disk:  # three of the four takes fit
        done = subprocess.run(CADENZA + ["generate", "--model", "markov", "--variations", "4", "--random-seed", "1",
                                         "--out", str(disk / "g.wav")], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=300)
        assert done.returncode == 1, done.stderr
        line = done.stderr.strip()
        assert line.startswith("error: The disk is full: g-01.wav to g-04.wav were not written (they need about ")
        assert line.endswith(" MB).") and "\n" not in line
        needed = float(line.split("about ")[1].split(" MB")[0])
        assert 10 <= needed <= 14  # four takes of about 2.9 MB
        assert list(disk.iterdir()) == []  # nothing behind, not even the hidden staging folder


def test_a_read_only_take_is_refused_before_any_is_moved(tmp_path):
    (tmp_path / "g-03.mid").write_bytes(b"keep me")
    (tmp_path / "g-03.mid").chmod(0o444)
    with pytest.raises(ReadOnlyFileError, match=r"^g-03\.mid is read-only"):
        write_variations(scores(), tmp_path / "g.mid")
    assert visible(tmp_path) == ["g-03.mid"] and (tmp_path / "g-03.mid").read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_kill_after_three_of_four_leaves_none_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(out / "g.mid")], stdout=subprocess.PIPE, text=True,
                             env=env, cwd=tmp_path)
    try:
        assert child.stdout.readline().strip() == "paused"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert visible(out) == []  # no -01 ... -03
    hidden = [p.name for p in out.iterdir()]
    assert len(hidden) == 1 and hidden[0].startswith(".g.mid.") and hidden[0].endswith(".tmp")

    written = write_variations(scores(), out / "g.mid")
    assert [Path(p).name for p in written] == ["g-01.mid", "g-02.mid", "g-03.mid", "g-04.mid"]
    assert sorted(p.name for p in out.iterdir()) == ["g-01.mid", "g-02.mid", "g-03.mid", "g-04.mid"]


def test_the_message_for_several_files_survives_a_process_boundary():
    import pickle

    error = DiskFullError("/x/g-01.wav", 11_800_000, "g-04.wav")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
