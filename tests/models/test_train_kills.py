"""Training runs written as units, tested by killing a real ``cadenza train`` (SIGKILL) at named moments.

A tiny note-lstm (8 units) trains on 24 short MIDI pieces the test writes: 9 steps an epoch, 3 epochs,
a resume state every 5 steps (``--checkpoint-every 5``) and with every new best model (end of each epoch).
``CADENZA_TEST_PAUSE_AT`` (see ``models/common/file_unit.py``) makes the child sleep at a moment so the
kill lands exactly there: between the weights and the card, between ``resume.safetensors`` and
``resume.json`` (in the staging folder, and in place while a commit is applied), right after the commit,
and mid-interval. After each kill the folder must hold a complete state of one step, the best model must
load, and ``--resume`` (given no other option: the run's own are kept) must end with exactly the weights
of an uninterrupted run, so counters and weights were of the same step. ``CADENZA_KILL_TRIALS`` sets the
trials per moment (default 1); the tally is printed.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).parents[2]
TRIALS = int(os.environ.get("CADENZA_KILL_TRIALS", "1"))
RUN = ["--model", "note-lstm", "--hidden", "8", "--layers", "1", "--batch-size", "2", "--epochs", "3",
       "--device", "cpu", "--checkpoint-every", "5"]
EVERY = 5
# moment -> how the resumed step relates to the step the child paused at
MOMENTS = {
    "staged:model.safetensors@10": "before",  # best model at step 18: weights staged, card not yet
    "applied:model.safetensors@10": "at",  # step 18 committed: weights in place, card still in .commit
    "staged:resume.safetensors@11": "before",  # step 15: resume tensors staged, resume.json not yet
    "applied:resume.safetensors@11": "at",  # step 15 committed: tensors in place, resume.json in .commit
    "committed@11": "at",  # step 15: the commit point passed, nothing moved yet
    "step@12": "interval",  # step 12 done, last save at step 10
}
TALLY: dict[str, list[bool]] = {}


def write_pieces(folder: Path, count: int = 24, length: int = 64) -> None:
    from app.core.midi import write_midi
    from app.core.score import Note, Score, Track

    folder.mkdir(parents=True)
    for i in range(count):
        notes = [Note(j * 240, 48 + i % 12 + (0, 4, 7, 12)[j % 4], 240 if j % 8 != 7 else 480) for j in range(length)]
        write_midi(Score(tracks=(Track("p", 0, False, tuple(notes)),)), folder / f"p{i}.mid")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("kills")
    write_pieces(root / "data")
    return {**os.environ, "CADENZA_CACHE_DIR": str(root / "cache"), "CADENZA_MODELS_DIR": str(root / "models"),
            "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}, root


def train(env, *args, pause_at: str | None = None, timeout: float = 240):
    """Run ``cadenza train ARGS``; with ``pause_at``, SIGKILL it where it pauses. Returns (rc, the paused
    step or None, stderr, stdout)."""
    environ = dict(env, **({"CADENZA_TEST_PAUSE_AT": pause_at} if pause_at else {}))
    proc = subprocess.Popen([sys.executable, "-m", "app", "train", *map(str, args)], cwd=ROOT, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    paused, err = None, []
    try:
        if pause_at:
            for line in proc.stderr:
                err.append(line)
                if line.startswith("cadenza-test: paused at"):
                    paused = int(line.split()[-1])
                    os.kill(proc.pid, signal.SIGKILL)
                    break
        out, rest = proc.communicate()
    finally:
        watchdog.cancel()
    return proc.returncode, paused, "".join(err) + rest, out


def final_tensors(folder: Path) -> tuple[dict, dict]:
    """(last weights from the resume state, best model's weights)."""
    from models.common.checkpoint import load_checkpoint
    from models.common.run_folder import final_weights

    return final_weights(folder), load_checkpoint(folder)[0]


@pytest.fixture(scope="module")
def reference(env):
    environ, root = env
    out = root / "reference"
    rc, _, err, _ = train(environ, *RUN, "--data", root / "data", "--out", out)
    assert rc == 0, err
    return final_tensors(out)


def state_step(folder: Path) -> int:
    """The step of the complete state in ``folder`` (its manifest and counters must agree)."""
    from models.common import file_unit

    manifest = file_unit.read_manifest(folder)
    info = json.loads(file_unit.resolve(folder, "resume.json").read_text())["info"]
    assert info["step"] == manifest["step"]
    for name, sha in manifest["files"].items():
        assert file_unit.sha256_file(file_unit.resolve(folder, name)) == sha, name
    return manifest["step"]


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_kill_at_each_moment_leaves_a_complete_state_that_resumes_exactly(env, reference, moment):
    from models.registry import load_generator

    environ, root = env
    for trial in range(TRIALS):
        out = root / f"{moment.replace(':', '-').replace('@', '-')}-{trial}"
        rc, paused, err, _ = train(environ, *RUN, "--data", root / "data", "--out", out, pause_at=moment)
        assert paused is not None, f"never reached {moment}: {err[-2000:]}"
        assert rc == -signal.SIGKILL
        step = state_step(out)
        kind = MOMENTS[moment]
        if kind == "at":
            assert step == paused
        elif kind == "before":
            assert paused - EVERY <= step < paused
        else:
            assert step == paused // EVERY * EVERY == 10  # a kill loses at most one interval
        gen = load_generator(checkpoint=out, device="cpu")  # the last good best model is always there
        assert gen.card["training"]["best_step"] <= step
        rc, _, err, stdout = train(environ, "--model", "note-lstm", "--resume", out, "--json-progress")
        assert rc == 0, err
        first = next(p for p in map(json.loads, stdout.splitlines()) if p.get("total_steps"))
        assert first["step"] == step and f"resumed at step {step} " in first["message"], first
        last, best = final_tensors(out)
        ok = all(torch.equal(last[k], reference[0][k]) for k in reference[0]) and \
            all(torch.equal(best[k], reference[1][k]) for k in reference[1])
        TALLY.setdefault(moment, []).append(ok)
        assert ok, f"{moment}: the resumed run ended with other weights than an uninterrupted one"
        load_generator(checkpoint=out, device="cpu")
        shutil.rmtree(out)
    print(f"\n{moment}: {sum(TALLY[moment])} of {len(TALLY[moment])} kills left a complete state that resumed exactly")


def test_resume_refuses_other_options_before_loading_the_data(env, reference):
    environ, root = env
    out = root / "reference"
    moved = root / "data-moved"
    (root / "data").rename(moved)  # had the data been loaded first, this would fail on the missing folder
    try:
        for extra, named in ((["--batch-size", "4"], "--batch-size was 2 (now 4)"),
                             (["--lr", "0.01"], "--lr was 0.002 (now 0.01)"),
                             (["--hidden", "16"], "--hidden was 8 (now 16)"),
                             (["--seed", "3"], "--seed was 0 (now 3)"),
                             (["--data", "corpus:chorales"], "--data was")):
            started = time.perf_counter()
            rc, _, err, _ = train(environ, "--model", "note-lstm", "--resume", out, *extra)
            assert rc == 1 and err.count("\n") == 1 and named in err, err
            assert err.startswith(f"error: The run in {out} cannot continue with other settings: ")
            assert time.perf_counter() - started < 60
        rc, _, err, _ = train(environ, "--model", "note-lstm", "--resume", root / "nothing-here")
        assert rc == 1 and "there is no training run to resume" in err
        empty = root / "empty-run"
        empty.mkdir()
        rc, _, err, _ = train(environ, "--model", "note-lstm", "--resume", empty, "--data", moved / "nope")
        assert rc == 1 and err == f"error: {empty} has no training state to resume from.\n"
    finally:
        moved.rename(root / "data")


def test_checkpoint_every_is_refused_by_a_one_pass_model_and_checked(env):
    environ, root = env
    rc, _, err, _ = train(environ, "--model", "markov", "--checkpoint-every", "5", "--out", root / "m")
    assert rc == 1 and err.count("\n") == 1 and err.endswith("it takes no --checkpoint-every.\n"), err
    rc, _, err, _ = train(environ, *RUN[:-2], "--checkpoint-every", "soon", "--out", root / "x")
    assert rc == 1 and "--checkpoint-every takes a number of steps (200) or of minutes (10m), not 'soon'." in err
