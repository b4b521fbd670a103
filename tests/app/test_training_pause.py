"""Pausing a real ``cadenza train`` child: the worker reports ``paused`` within one step or 2 s, whichever
comes first, and Resume goes on counting from the saved step.

A step of this tiny model takes milliseconds, so ``paused`` must come well under a second after the request
(it used to wait for the child process to tear down: seconds, more with a large corpus in memory)."""

import time

import pytest

from app.core.midi import write_midi
from app.core.score import Note, Score, Track
from app.services.training import PAUSED, PAUSING, RUNNING, TrainArgs, TrainingProcess, resume_info

WAIT_MS = 60_000


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    folder = tmp_path / "midi"
    folder.mkdir()
    for i in range(12):
        notes = [Note(start=j * 240, pitch=50 + i % 7 + (0, 4, 7, 12)[j % 4], duration=240, velocity=80)
                 for j in range(64)]
        write_midi(Score(tracks=(Track("p", 0, False, tuple(notes)),)), folder / f"p{i}.mid")
    return folder


def test_pause_takes_effect_within_two_seconds_and_resume_continues_the_step_count(qtbot, env, tmp_path):
    args = TrainArgs("note-lstm", [str(env)], str(tmp_path / "models" / "run"), device="cpu", epochs=400,
                     max_steps=4000, batch_size=2, sizes={"hidden": 16, "layers": 1})
    process = TrainingProcess()
    reports, arrivals = [], []
    process.progress.connect(reports.append)
    process.progress.connect(lambda r: r.get("total_steps") and arrivals.append((r["step"], time.perf_counter())))
    process.start(args)
    qtbot.waitUntil(lambda: process.last_progress.get("step", 0) >= 6 or process.state != RUNNING, timeout=WAIT_MS)
    assert process.state == RUNNING, process.stderr
    (first, start), (last, end) = arrivals[1], arrivals[-1]
    step_s = (end - start) / max(1, last - first)  # seconds per step, as the worker sees them
    asked = time.perf_counter()
    process.pause()
    qtbot.waitUntil(lambda: process.state == PAUSED, timeout=WAIT_MS)
    latency = time.perf_counter() - asked
    assert latency < min(2.0, step_s + 0.5), f"pause took {latency:.2f} s (a step takes {step_s:.3f} s)"
    saved = resume_info(args.out)["step"]
    last_seen = max(r.get("step", 0) for r in reports)
    assert last_seen <= saved <= last_seen + 1  # the step under way when asked, at most
    qtbot.waitUntil(lambda: not process.is_running(), timeout=5000)  # the child is gone: Resume may start

    reports.clear()
    process.start(args, resume=True)
    qtbot.waitUntil(lambda: process.last_progress.get("step", 0) >= saved + 2 or process.state != RUNNING,
                    timeout=WAIT_MS)
    first = next(r for r in reports if r.get("total_steps"))
    assert first["step"] == saved and f"resumed at step {saved}" in first["message"]
    steps = [r["step"] for r in reports if r.get("total_steps")]
    assert steps[:3] == [saved, saved + 1, saved + 2]
    process.kill()
    qtbot.waitUntil(lambda: not process.is_running(), timeout=5000)


def test_a_long_step_is_cut_short_so_pause_still_takes_under_two_seconds(qtbot, env, tmp_path, monkeypatch):
    """The child stops for good inside a step (the test hook stands for a step of a big model); the first ask
    waits for the step's end, the second, a second later, cuts it and saves the last whole step."""
    args = TrainArgs("note-lstm", [str(env)], str(tmp_path / "models" / "slow"), device="cpu", epochs=400,
                     max_steps=4000, batch_size=2, sizes={"hidden": 16, "layers": 1})
    monkeypatch.setenv("CADENZA_TEST_PAUSE_AT", "step@3")
    process = TrainingProcess()
    process.start(args)
    qtbot.waitUntil(lambda: "paused at step step 3" in process.stderr or process.state != RUNNING, timeout=WAIT_MS)
    assert process.state == RUNNING, process.stderr
    asked = time.perf_counter()
    process.pause()
    qtbot.waitUntil(lambda: process.state != PAUSING, timeout=WAIT_MS)
    latency = time.perf_counter() - asked
    assert process.state == PAUSED and latency < 2.0, f"{process.state} after {latency:.2f} s: {process.stderr}"
    assert resume_info(args.out)["step"] == 3

    monkeypatch.delenv("CADENZA_TEST_PAUSE_AT")
    qtbot.waitUntil(lambda: not process.is_running(), timeout=5000)
    process.start(args, resume=True)
    qtbot.waitUntil(lambda: process.last_progress.get("step", 0) >= 5 or process.state != RUNNING, timeout=WAIT_MS)
    assert process.last_progress.get("step", 0) >= 5, process.stderr
    process.kill()
    qtbot.waitUntil(lambda: not process.is_running(), timeout=5000)
