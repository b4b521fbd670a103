"""``cadenza eval`` end to end on tiny models: a markov model and an abc-lstm trained on a few pieces here."""

import json

import numpy as np
import pytest

from app.cli import main
from app.core.midi import write_midi
from app.core.score import Note, Score, Track

SUMMARY_KEYS = {"model", "samples", "validity", "overlap_mean", "metrics"}
METRIC_KEYS = {"overlap", "features", "empty_bar_rate", "used_pitch_classes", "qualified_note_rate", "polyphonicity",
               "tonal_distance", "tracks", "tonal_distance_pairs", "in_key", "longest_copied_run"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CADENZA_CACHE_DIR", str(root / "cache"))
        mp.setenv("CADENZA_MODELS_DIR", str(root / "models"))
        mp.setenv("OMP_NUM_THREADS", "1")
        yield root


TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def melody(rng: np.random.Generator, bars: int = 8) -> Score:
    """A random walk in a major key, eighths and quarters, with a bass note at the start of each bar."""
    tonic, pitch, t, notes = int(rng.integers(55, 67)), 0, 0, []
    scale = (0, 2, 4, 5, 7, 9, 11, 12)
    while t < bars * 1920:
        pitch = int(np.clip(pitch + rng.integers(-2, 3), 0, 7))
        length = int(rng.choice((240, 240, 480)))
        notes.append(Note(t, tonic + scale[pitch], length))
        if t % 1920 == 0:
            notes.append(Note(t, tonic - 12, 960))
        t += length
    return Score(tracks=(Track("Piano", 0, False, tuple(notes)),), key=f"{TONICS[tonic % 12]} major")


@pytest.fixture(scope="module")
def markov_checkpoint(env):
    data = env / "data"
    data.mkdir()
    rng = np.random.default_rng(7)
    for i in range(60):
        write_midi(melody(rng), data / f"p{i:02d}.mid")
    out = env / "models" / "tiny-markov"
    assert main(["train", "--model", "markov", "--data", str(data), "--out", str(out)]) == 0
    return out


def run_eval(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["eval", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_markov_eval_report(markov_checkpoint, capsys):
    args = ("--model", "markov", "--checkpoint", str(markov_checkpoint), "--samples", "6", "--bars", "4",
            "--random-seed", "3")
    report = run_eval(capsys, *args)
    assert report["model"] == "markov" and report["checkpoint"] == str(markov_checkpoint)
    assert report["samples"] == 6 and report["validity"] == 1.0
    assert set(report["baselines"]) == {"markov", "train_vs_heldout"}
    for summary in (report, *report["baselines"].values()):
        assert SUMMARY_KEYS <= set(summary) and set(summary["metrics"]) == METRIC_KEYS
        assert 0.0 <= summary["overlap_mean"] <= 1.0
        assert len(summary["metrics"]["overlap"]) == 9
        assert summary["metrics"]["empty_bar_rate"] == 0.0  # every piece fills its four bars
        assert summary["metrics"]["longest_copied_run"]["max"] >= 1
    # the model is a markov chain trained on the same split: the baseline makes the very same pieces
    same = {k: v for k, v in report["baselines"]["markov"].items() if k != "model"}
    assert same == {k: report[k] for k in same}
    assert report["baselines"]["train_vs_heldout"]["metrics"]["in_key"] == 1.0  # the pieces never leave their scale
    assert report["reference"]["pieces"] >= 2 and report["reference"]["splits"]["train"] > 40
    dists = report["distributions"]  # per-piece scalar features, for the plots of docs/EVALUATION.md
    assert set(dists) == {"model", "markov", "training split", "held-out"}
    assert len(dists["model"]["note_count"]) == 6 and dists["model"] == dists["markov"]
    assert len(dists["held-out"]["pitch_range"]) == report["reference"]["pieces"]
    again = run_eval(capsys, *args)
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in report.items() if k != "seconds"}


def test_eval_prints_a_table(markov_checkpoint, capsys):
    capsys.readouterr()
    assert main(["eval", "--model", "markov", "--checkpoint", str(markov_checkpoint), "--samples", "3", "--bars", "2"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "training split" in line)
    assert header.split() == ["markov", "markov", "training", "split", "held-out"]
    validity = next(line for line in out.splitlines() if line.startswith("validity"))
    assert validity.split()[1:] == ["1.000", "1.000", "1.000", "-"]
    assert any(line.startswith("overlap with held-out (mean)") for line in out.splitlines())


@pytest.mark.parametrize("extra, phrase", [
    (["--bars", "60"], "ask for fewer bars"),
    (["--samples", "1"], "between 2 and 1,000 samples"),
])
def test_eval_refuses_in_one_sentence(markov_checkpoint, capsys, extra, phrase):
    rc = main(["eval", "--model", "markov", "--checkpoint", str(markov_checkpoint), *extra])
    err = capsys.readouterr().err
    assert rc == 1 and phrase in err and err.startswith("error: ") and err.count("\n") == 1


def abc_tune(number: int, rng: np.random.Generator) -> str:
    letters = "DEFGABcdef"
    pos, bars = 4, []
    for _ in range(8):
        notes = []
        for _ in range(8):
            pos = int(np.clip(pos + rng.integers(-2, 3), 0, len(letters) - 1))
            notes.append(letters[pos])
        bars.append("".join(notes[:4]) + " " + "".join(notes[4:]))
    body = " | ".join(bars[:4]) + " |\n" + " | ".join(bars[4:]) + " |]"
    return f"X:{number}\nT:Tune {number}\nM:4/4\nL:1/8\nK:D\n{body}\n"


@pytest.fixture(scope="module")
def abc_checkpoint(env):
    from models.abc_lstm.train import train_abc_lstm
    from models.common.train_loop import run_training
    from models.common.train_task import TrainConfig

    folder = env / "abc"
    folder.mkdir()
    rng = np.random.default_rng(1)
    (folder / "tunes.abc").write_text("\n".join(abc_tune(i, rng) for i in range(1, 61)))
    out = env / "models" / "tiny-abc"
    cfg = TrainConfig(epochs=1, batch_size=8, max_steps=3, device="cpu", checkpoint_every=0, patience=0)
    run_training(train_abc_lstm([str(folder)], out, cfg, seq_len=32, model={"embed": 16, "hidden": 32, "layers": 1}))
    return out


def test_abc_eval_checks_validity_and_uses_a_character_markov(abc_checkpoint, capsys):
    report = run_eval(capsys, "--model", "abc-lstm", "--checkpoint", str(abc_checkpoint), "--samples", "4",
                      "--bars", "4", "--device", "cpu")
    markov, train = report["baselines"]["markov"], report["baselines"]["train_vs_heldout"]
    assert report["samples"] == markov["samples"] == train["samples"] == 4
    assert report["validity"] == markov["validity"] == 1.0  # grammar-constrained decoding: every tune is full
    assert train["validity"] == 1.0  # the corpus tunes have full bars too
    assert markov["model"] == "markov" and report["data"] == [str(abc_checkpoint.parent.parent / "abc")]
    assert train["metrics"]["in_key"] == 1.0 and report["reference"]["metrics"]["in_key"] == 1.0
    assert all(0.0 <= s["overlap_mean"] <= 1.0 for s in (report, markov, train))
    assert report["metrics"]["empty_bar_rate"] == 0.0
