"""Bounded reading: size limits, time limit in a child process, error transport."""

import time
from pathlib import Path

import pytest

from app.core import limits
from app.core.errors import FileFormatError, LimitExceededError, UnsupportedFormatError
from app.core.formats import load_score
from app.core.score import Note, Score, Track


def _sleepy(seconds):
    time.sleep(seconds)
    return "late"


def _raises_ours(path):
    raise FileFormatError(path, "a planted problem")


def _crashes():
    raise ZeroDivisionError("boom")


def test_time_limit_kills_a_slow_reader(tmp_path):
    start = time.monotonic()
    with pytest.raises(LimitExceededError) as err:
        limits.call_with_time_limit(_sleepy, (30,), tmp_path / "x.abc", seconds=0.5, wall_seconds=0.5)
    assert time.monotonic() - start < 5
    assert "longer than 0.5 seconds" in str(err.value)


def test_child_errors_arrive_as_our_errors(tmp_path):
    with pytest.raises(FileFormatError, match="a planted problem"):
        limits.call_with_time_limit(_raises_ours, (str(tmp_path / "y.mid"),), tmp_path / "y.mid")
    with pytest.raises(FileFormatError, match="something Cadenza does not understand") as err:
        limits.call_with_time_limit(_crashes, (), tmp_path / "z.mid")
    assert "ZeroDivisionError" not in str(err.value)


def test_oversized_and_empty_files_are_refused_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.mid"
    big.write_bytes(b"MThd" + b"\0" * 2048)
    monkeypatch.setitem(limits.MAX_FILE_BYTES, ".mid", 1024)
    with pytest.raises(LimitExceededError, match="limit"):
        load_score(big)
    empty = tmp_path / "empty.abc"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty"):
        load_score(empty)
    with pytest.raises(FileFormatError, match="no such file"):
        load_score(tmp_path / "missing.mid")


def test_unknown_extension_is_named(tmp_path):
    (tmp_path / "a.doc").write_text("x")
    with pytest.raises(UnsupportedFormatError, match="'.doc'"):
        load_score(tmp_path / "a.doc")


def test_score_limits(tmp_path, monkeypatch):
    score = Score(tracks=(Track("a", 0, False, tuple(Note(i, 60, 1) for i in range(20))),))
    monkeypatch.setattr(limits, "MAX_NOTES", 10)
    with pytest.raises(LimitExceededError, match="20 notes"):
        limits.check_score(score, Path("a.mid"))
    long_score = Score(tracks=(Track("a", 0, False, (Note(0, 60, 480 * 2 * 3600 * 5),)),))
    monkeypatch.setattr(limits, "MAX_NOTES", 10**6)
    with pytest.raises(LimitExceededError, match="hours"):
        limits.check_score(long_score, Path("a.mid"))
