"""Atomic saves: permissions kept, read-only files refused, backups whole, stale temp files cleaned, full disks in words."""

from __future__ import annotations

import os
import pickle
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core import atomic
from app.core.atomic import atomic_write_bytes, clean_stale_temps, replace_all, staging_folder
from app.core.errors import DiskFullError, FileWriteError, ReadOnlyFileError
from app.core.formats import save_score
from app.core.project import load_project, save_project
from app.core.score import Note, Score, Track
from disk_helpers import tiny_disk

SCORE_EXTS = (".cadenza", ".mid", ".abc", ".musicxml", ".mxl")


def score(title: str = "Sketch", notes: int = 4) -> Score:
    melody = tuple(Note(start=i * 240, pitch=60 + i % 12, duration=240, velocity=90) for i in range(notes))
    return Score(tracks=(Track("Lead", 0, False, melody),), title=title)


def save(path: Path, title: str = "Sketch") -> None:
    """Save in the format the extension names, as the GUI's Save and Export do."""
    if path.suffix == ".cadenza":
        save_project(score(title), path)
    else:
        save_score(score(title), path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test (restored afterwards)."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


# -- permissions -------------------------------------------------------------------
@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("ext", SCORE_EXTS)
def test_a_new_file_gets_the_umask_mode_not_the_temp_files(tmp_path, umask, mask, expected, ext):
    umask(mask)
    path = tmp_path / f"new{ext}"
    save(path)
    assert mode(path) == expected


@pytest.mark.parametrize("ext", SCORE_EXTS)
def test_a_replaced_file_keeps_its_mode(tmp_path, umask, ext):
    umask(0o022)
    path = tmp_path / f"shared{ext}"
    save(path, "first")
    path.chmod(0o660)
    save(path, "second")
    assert mode(path) == 0o660
    if ext == ".cadenza":
        assert mode(tmp_path / "shared.cadenza.bak") == 0o660
        assert load_project(path)[0].title == "second"


@pytest.mark.parametrize("ext", SCORE_EXTS)
def test_a_write_protected_file_is_refused_in_one_sentence(tmp_path, ext):
    path = tmp_path / f"keep{ext}"
    save(path, "original")
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(ReadOnlyFileError) as info:
        save(path, "other")
    assert str(info.value) == f"keep{ext} is read-only; save it under another name."
    assert isinstance(info.value, FileWriteError)
    assert path.read_bytes() == before and mode(path) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"keep{ext}"]  # no temp file, no .bak


def test_is_read_only():
    assert not atomic.is_read_only("/nonexistent/x.cadenza")


# -- the backup --------------------------------------------------------------------
def test_the_backup_is_a_complete_earlier_version_by_link_or_by_copy(tmp_path, monkeypatch):
    path = tmp_path / "song.cadenza"
    save(path, "one")
    save(path, "two")
    assert load_project(path.with_name("song.cadenza.bak"))[0].title == "one"
    assert path.stat().st_ino != path.with_name("song.cadenza.bak").stat().st_ino

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")  # FAT, some network shares

    monkeypatch.setattr(os, "link", no_links)
    save(path, "three")
    assert load_project(path.with_name("song.cadenza.bak"))[0].title == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.cadenza", "song.cadenza.bak"]


def test_a_backup_that_is_already_the_file_leaves_no_link_behind(tmp_path):
    # a save killed between its backup (a hard link) and its rename leaves .bak and the file one inode
    path = tmp_path / "song.cadenza"
    save(path, "one")
    os.link(path, tmp_path / "song.cadenza.bak")
    save(path, "two")
    assert load_project(tmp_path / "song.cadenza.bak")[0].title == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.cadenza", "song.cadenza.bak"]


# -- stale temp files --------------------------------------------------------------
def age(path: Path, seconds: float = 3600) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_the_next_save_removes_only_our_stale_temp_files(tmp_path):
    stale = tmp_path / ".song.cadenza.k2x9_a0q.tmp"
    stale.write_bytes(b"half a project")
    age(stale)
    stale_part = tmp_path / ".take.wav.0123abcd.part"
    stale_part.write_bytes(b"RIFF")
    age(stale_part)
    stale_stage = tmp_path / ".gen.mid.ab12cd34.tmp"
    stale_stage.mkdir()
    (stale_stage / "gen-01.mid").write_bytes(b"MThd")
    age(stale_stage)
    theirs = [tmp_path / "notes.tmp", tmp_path / ".hidden.txt", tmp_path / ".short.abc.tmp", tmp_path / "x.1234abcd.tmp",
              tmp_path / ".bashrc.1234abcd.tmp", tmp_path / ".notes.txt.1234abcd.tmp"]  # not a kind we write
    for path in theirs:
        path.write_bytes(b"not ours")
        age(path)
    fresh = tmp_path / ".other.cadenza.zzzzzzzz.tmp"  # a save started after ours (its clock says so)
    fresh.write_bytes(b"")
    future = time.time() + 3600
    os.utime(fresh, (future, future))

    save(tmp_path / "song.cadenza")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["song.cadenza", fresh.name] + [p.name for p in theirs])


def test_a_temp_file_locked_by_a_live_process_is_kept_until_it_dies(tmp_path):
    temp = tmp_path / ".song.cadenza.live1234.tmp"
    temp.write_bytes(b"being written")
    age(temp)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\n"
         "f = open(sys.argv[1], 'rb'); fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
         str(temp)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert clean_stale_temps(tmp_path) == []
        save(tmp_path / "song.cadenza")
        assert temp.exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        holder.stdout.close()
    assert clean_stale_temps(tmp_path) == [temp]


# -- several files as one ----------------------------------------------------------
def test_replace_all_refuses_before_anything_moves(tmp_path):
    targets = [tmp_path / f"take-{i}.mid" for i in (1, 2, 3)]
    targets[2].write_bytes(b"theirs")
    targets[2].chmod(0o444)
    with staging_folder(tmp_path, "take.mid") as stage:
        staged = [stage / t.name for t in targets]
        for path in staged:
            save(path)
        with pytest.raises(ReadOnlyFileError, match="take-3.mid is read-only"):
            replace_all(list(zip(staged, targets)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take-3.mid"]


# -- full disk ---------------------------------------------------------------------
def test_a_full_disk_is_said_in_words_and_the_old_file_stays(tmp_path):
    with tiny_disk(tmp_path / "disk", "64k") as disk:
        path = disk / "big.cadenza"
        atomic_write_bytes(path, b"old version")
        with pytest.raises(DiskFullError) as info:
            atomic_write_bytes(path, b"x" * 300_000)
        assert str(info.value) == "The disk is full: big.cadenza was not written (it needs about 0.3 MB)."
        assert path.read_bytes() == b"old version"
        assert sorted(p.name for p in disk.iterdir()) == ["big.cadenza"]


def test_write_errors_cross_process_boundaries():
    for error in (DiskFullError("/a/x.wav", 3_400_000), DiskFullError("/a/x-01.wav", 9e6, "x-04.wav"),
                  ReadOnlyFileError("/a/song.cadenza")):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error)
    assert str(DiskFullError("/a/x-01.wav", 12_300_000, "x-04.wav")) == \
        "The disk is full: x-01.wav to x-04.wav were not written (they need about 12 MB)."
