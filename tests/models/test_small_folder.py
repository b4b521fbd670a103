"""A small folder still measures: validation and test each get a piece from 3 pieces on, and fewer say why not.

The folder of 8 files is named so that its hash split holds out one test piece and no validation piece (what
used to leave markov a test set of one piece and note-lstm no validation metrics at all)."""

import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.core.midi import write_midi
from app.core.score import Note, Score, Track
from models.common.corpus import measurable_splits, split_of
from models.common.train_request import TrainRequest

ROOT = Path(__file__).resolve().parents[2]
NAMES = [f"tune{i}.mid" for i in range(1, 9)]


def write_folder(folder: Path, names) -> Path:
    folder.mkdir(parents=True)
    for i, name in enumerate(names):
        notes = [Note(start=j * 240, pitch=50 + i % 7 + (0, 4, 7, 12)[j % 4], duration=240 if j % 8 else 480,
                      velocity=80) for j in range(48)]
        write_midi(Score(tracks=(Track("p", 0, False, tuple(notes)),)), folder / name)
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))


def drain(run):
    """Every progress message of a trainer, and what it returns."""
    messages = []
    while True:
        try:
            messages.append(next(run).message)
        except StopIteration as done:
            return messages, done.value


def test_from_three_pieces_validation_and_test_are_never_empty():
    rng = random.Random(3)
    for n in range(3, 40):
        keys = [f"{rng.choice(['song ', 'take', 'x/'])}{i}.mid" for i in range(n)]
        splits, sentence = measurable_splits(keys, [split_of(k) for k in keys])
        counts = Counter(splits)
        assert counts["valid"] >= 1 and counts["test"] >= 1 and counts["train"] >= n - 2 - (n // 5)
        shuffled = list(zip(keys, splits))
        rng.shuffle(shuffled)  # the listing order changes nothing
        again, _ = measurable_splits([k for k, _ in shuffled], [split_of(k) for k, _ in shuffled])
        assert dict(zip([k for k, _ in shuffled], again)) == dict(zip(keys, splits))
        assert (sentence != "") == ([split_of(k) for k in keys] != splits)
    big = [f"corpus/{i}.xml" for i in range(400)]  # a corpus keeps its hash split, untouched
    assert measurable_splits(big, [split_of(k) for k in big]) == ([split_of(k) for k in big], "")
    assert measurable_splits(["a.mid", "b.mid"], ["test", "valid"]) == (["train", "train"], (
        "With only 2 pieces there is none to spare for measuring, so the model learns from both and reports "
        "no validation or test figures; add at least 1 more to measure it."))


def test_markov_on_eight_files_reports_validation_and_test_metrics(tmp_path, cache):
    from models.markov.train import train_run

    assert Counter(split_of(n) for n in NAMES) == {"train": 7, "test": 1}  # the hash split alone: no validation
    folder = write_folder(tmp_path / "eight", NAMES)
    messages, metrics = drain(train_run(TrainRequest(data=(str(folder),), out=tmp_path / "m")))
    assert ("Your 8 pieces are few, so 1 of them is set aside for validation and 1 for the test, to measure what "
            "the model learns.") in messages
    assert metrics["valid_tokens"] >= 40 and metrics["test_tokens"] >= 40  # a whole piece each, not one token
    assert 0 < metrics["valid_cross_entropy"] < 10 and 0 <= metrics["valid_accuracy"] <= 1


@pytest.mark.usefixtures("one_torch_thread")
def test_note_lstm_on_eight_files_reports_validation_metrics(tmp_path, cache):
    from models.common.card import read_card
    from models.note_lstm.train import train_run

    folder = write_folder(tmp_path / "eight", NAMES)
    request = TrainRequest(data=(str(folder),), out=tmp_path / "n", epochs=2, batch_size=4, device="cpu",
                           sizes={"hidden": 8, "layers": 1, "embed": 8, "dense": 8})
    messages, metrics = drain(train_run(request))
    assert any(m.startswith("Your 8 pieces are few") for m in messages)
    card = read_card(tmp_path / "n")
    assert card["training"]["pieces"] == {"train": 6, "valid": 1, "test": 1}
    assert metrics["best_valid_loss"] > 0 and card["metrics"]["valid_cross_entropy"] == metrics["best_valid_loss"]
    assert metrics["test_tokens"] > 0 and card["training"]["held_out"].startswith("Your 8 pieces")


def test_two_files_train_and_the_cli_says_nothing_can_be_measured(tmp_path):
    folder = write_folder(tmp_path / "two", ["a.mid", "b.mid"])
    env = dict(os.environ, CADENZA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "app", "train", "--model", "markov", "--data", str(folder),
                           "--out", str(tmp_path / "m")], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert ("With only 2 pieces there is none to spare for measuring, so the model learns from both and reports "
            "no validation or test figures; add at least 1 more to measure it.") in done.stderr
    assert "test_tokens" not in done.stdout and "valid_" not in done.stdout
