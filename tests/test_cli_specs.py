"""The CLI reads the model specs: a plugin model everywhere, option errors worded as flags, sizes like --cell."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.core.formats import load_score
from app.core.midi import write_midi
from app.core.score import Note, Score, Track

ROOT = Path(__file__).parents[1]


def run_cli(*args):
    """The real process (with the environment the fixtures set; help unwrapped): exit code, stdout, stderr."""
    proc = subprocess.run([sys.executable, "-m", "app", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**os.environ, "COLUMNS": "1000"})
    return proc.returncode, proc.stdout, proc.stderr


def write_pieces(folder: Path, count: int, length: int = 32) -> list[Score]:
    """``count`` arpeggios in different keys (eighths, a held note every bar) as MIDI files."""
    folder.mkdir(parents=True)
    scores = []
    for i in range(count):
        notes = [Note(j * 240, 48 + i % 12 + (0, 4, 7, 12)[j % 4], 240 if j % 8 != 7 else 480) for j in range(length)]
        scores.append(Score(tracks=(Track("p", 0, False, tuple(notes)),)))
        write_midi(scores[-1], folder / f"p{i}.mid")
    return scores


@pytest.fixture
def user_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return tmp_path / "models"


def test_a_plugin_model_is_listed_and_offered_by_generate_and_train(toy_plugin, user_dirs):
    rc, out, err = run_cli("models")
    assert rc == 0, err
    block = out[out.index("toy-arpeggio — Toy arpeggiator"):]
    assert "good for:     showing how a model package plugs into Cadenza" in block
    assert "options:      --temperature\n" in block and "can:          generate, train\n" in block
    assert "toy-arpeggio             bundled" in block
    rc, out, err = run_cli("models", "--json")
    assert rc == 0, err
    (toy,) = [m for m in json.loads(out)["models"] if m["name"] == "toy-arpeggio"]
    assert toy["options"] == {"temperature": "--temperature"} and toy["capabilities"] == ["train"]
    assert toy["checkpoints"] == ["toy-arpeggio"] and toy["roles"] == ["arpeggio"]
    rc, out, _ = run_cli("generate", "--help")
    assert rc == 0 and "the model: abc-lstm, " in out and ", vae-nn, toy-arpeggio, or a user" in out  # plugin last
    temperature = next(line for line in out.splitlines() if line.lstrip().startswith("--temperature X"))
    assert "models: abc-lstm, " in temperature and ", vae-nn, toy-arpeggio)" in temperature
    rc, out, _ = run_cli("train", "--help")
    assert rc == 0 and "toy-arpeggio" in out


def test_a_plugin_model_generates_what_its_generator_makes(toy_plugin, user_dirs, tmp_path):
    from models.common.generator import GenerationRequest, run_generation
    from models.registry import load_generator

    out = tmp_path / "toy.mid"
    rc, stdout, err = run_cli("generate", "--model", "toy-arpeggio", "--bars", "2", "--random-seed", "5", "--out", out)
    assert rc == 0 and stdout.strip() == f"wrote {out}", err
    (expected,) = run_generation(load_generator("toy-arpeggio").generate(GenerationRequest(bars=2, random_seed=5)))
    notes = [(n.start, n.pitch, n.duration) for n in load_score(out).all_notes()]
    assert len(notes) == 16  # eight eighths a bar
    assert notes == [(n.start, n.pitch, n.duration) for n in expected.all_notes()]


def test_a_plugin_model_trains_into_a_checkpoint_that_generates(toy_plugin, user_dirs, tmp_path):
    scores = write_pieces(tmp_path / "two", 2)
    out = user_dirs / "my-toy"
    rc, stdout, err = run_cli("train", "--model", "toy-arpeggio", "--data", tmp_path / "two", "--out", out)
    assert rc == 0, err
    assert stdout.startswith(f"wrote {out} (pitch_classes 64)") and f"loading {tmp_path / 'two'}" in err
    card = json.loads((out / "config.json").read_text())
    assert card["arch"] == "toy-arpeggio" and card["metrics"] == {"pitch_classes": sum(s.note_count for s in scores)}
    assert card["training"]["command"].startswith("cadenza train --model toy-arpeggio --data ")
    rc, _, err = run_cli("generate", "--model", "my-toy", "--bars", "1", "--out", tmp_path / "mine.mid")
    assert rc == 0, err
    pitch_classes = {n.pitch % 12 for s in scores for n in s.all_notes()}
    assert {n.pitch % 12 for n in load_score(tmp_path / "mine.mid").all_notes()} <= pitch_classes  # only learnt ones
    rc, _, err = run_cli("train", "--model", "toy-arpeggio", "--epochs", "2", "--out", tmp_path / "x")
    assert rc == 1 and err == "error: The toy-arpeggio model counts pitch classes in one pass: it takes no --epochs.\n"


@pytest.mark.parametrize("args, sentence", [
    (["--model", "vae-nn", "--noise-sd", "6"], "--noise-sd must be between 0 and 5."),
    (["--model", "markov", "--noise-sd", "0.5"],
     "The markov model has no --noise-sd option (it takes: --temperature, --top-k, --top-p, --key-lock, --lowest-pitch, --highest-pitch)."),
    (["--model", "note-lstm", "--style", "seed:none", "--style-alpha", "0.2"],
     "The note-lstm model has no --style option (it takes: --temperature, --top-k, --top-p, --key-lock, --lowest-pitch, --highest-pitch)."),
    (["--model", "vae-nn", "--track-style-alpha", "bass=2"], "--track-style-alpha of track 'bass' must be between 0 and 1."),
    (["--model", "vae-nn", "--track-noise-sd", "bass"], "--track-noise-sd takes TRACK=VALUE, e.g. bass=0.5, not 'bass'."),
    (["--model", "markov", "--bars", "0"], "--bars must be between 1 and 256."),
    (["--model", "markov", "--variations", "65"], "--variations must be between 1 and 64."),
    (["--model", "abc-lstm", "--bars", "2"], "An ABC tune needs at least 3 bars to be read back; ask for 3 or more bars."),
])
def test_option_errors_name_the_flag_in_one_line(args, sentence, tmp_path, capsys):
    capsys.readouterr()
    assert main(["generate", *args, "--out", str(tmp_path / "x.mid")]) == 1
    assert capsys.readouterr().err == f"error: {sentence}\n"
    assert not (tmp_path / "x.mid").exists()


def test_the_gru_variant_trains_and_generates(user_dirs, tmp_path, capsys):
    from models.common.generator import GenerationRequest, run_generation
    from models.registry import load_generator

    write_pieces(tmp_path / "tiny", 24, length=64)
    out = user_dirs / "tiny-gru"
    assert main(["train", "--model", "note-lstm", "--data", str(tmp_path / "tiny"), "--out", str(out), "--cell", "gru",
                 "--hidden", "8", "--layers", "1", "--epochs", "1", "--max-steps", "2", "--batch-size", "4",
                 "--device", "cpu"]) == 0
    card = json.loads((out / "config.json").read_text())
    assert card["config"]["cell"] == "gru" and card["config"]["hidden"] == 8 and card["config"]["layers"] == 1
    assert card["training"]["steps"] == 2 and "--cell gru" in card["training"]["command"]
    gen = load_generator(checkpoint=out, device="cpu")
    assert gen.model.rnn.__class__.__name__ == "GRU"
    (score,) = run_generation(gen.generate(GenerationRequest(bars=1, random_seed=1, device="cpu")))
    assert score.note_count > 0


@pytest.mark.parametrize("args, sentence", [
    (["--model", "vae-nn", "--cell", "gru"], "The vae-nn model has no --cell option."),
    (["--model", "vae-nn", "--layers", "2"], "The vae-nn model has no --layers option."),
    (["--model", "note-lstm", "--roles", "chorales"], "The note-lstm model has no --roles option."),
    (["--model", "note-lstm", "--hidden", "2"], "--hidden must be between 4 and 8,192."),
    (["--model", "abc-lstm", "--epochs", "0"], "--epochs must be positive."),
])
def test_train_refuses_what_the_spec_lacks_before_loading_data(args, sentence, tmp_path, capsys):
    capsys.readouterr()
    assert main(["train", *args, "--data", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == f"error: {sentence}\n"
    assert not (tmp_path / "out").exists()


def test_every_model_that_trains_has_the_one_trainer_interface(toy_plugin):
    import inspect

    from models.registry import model_specs

    trainers = {s.name: s.training.entry.load() for s in model_specs() if s.can_train}
    assert {"markov", "note-lstm", "abc-lstm", "vae-nn", "toy-arpeggio"} <= set(trainers)
    for name, trainer in trainers.items():
        assert inspect.isgeneratorfunction(trainer), name
        assert list(inspect.signature(trainer).parameters) == ["request"], name


def test_a_one_pass_trainer_reports_messages_and_returns_its_metrics(user_dirs, tmp_path):
    from models.common.train_request import TrainRequest
    from models.registry import get_spec

    write_pieces(tmp_path / "data", 40)
    run = get_spec("markov").training.entry.load()(TrainRequest(data=(str(tmp_path / "data"),), out=user_dirs / "m"))
    reports = []
    while True:
        try:
            reports.append(next(run))
        except StopIteration as done:
            metrics = done.value
            break
    assert [r.message for r in reports] == [f"loading {tmp_path / 'data'}", f"{tmp_path / 'data'}: 40 scores (0 skipped)",
                                            "counting"]
    assert all(r.total_steps == 0 for r in reports)
    card = json.loads((user_dirs / "m" / "config.json").read_text())
    assert metrics == card["metrics"] and metrics["test_accuracy"] > 0.5


def test_the_subcommands_are_those_the_families_register():
    import argparse

    from app.cli import FAMILIES, SUBCOMMANDS, build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert tuple(sub.choices) == SUBCOMMANDS
    assert {"render", "convert", "info", "spectrogram", "seeds", "generate", "train", "models", "eval",
            "bench", "listening-test", "augment"} == set(SUBCOMMANDS)
    for family in FAMILIES:  # each family's parser alone holds its own subcommands, each with its handler
        (own,) = [a for a in build_parser((family,))._actions if isinstance(a, argparse._SubParsersAction)]
        assert tuple(own.choices) == family.COMMANDS
        assert all(callable(p.get_default("func")) for p in own.choices.values())


def test_a_model_without_a_checkpoint_says_how_to_train_one(toy_plugin):
    from app.cli.models import format_models
    from models.registry import get_spec

    text = format_models([get_spec("toy-arpeggio")], [])
    assert "  checkpoints:  none yet: train one with cadenza train --model toy-arpeggio --data FOLDER" in text
