"""markov end to end through the CLI: train on a folder, generate, list, refuse options."""

import json

import pytest

from app.cli import main
from app.core.formats import load_score
from app.core.midi import write_midi
from app.core.score import Note, Score, Track
from app.core.timing import bar_count


@pytest.fixture
def trained(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    data = tmp_path / "data"
    data.mkdir()
    for i in range(40):  # arpeggios in different keys, eighths with a held last note
        notes = [Note(j * 240, 48 + i % 12 + (0, 4, 7, 12)[j % 4], 240 if j % 8 != 7 else 480) for j in range(32)]
        write_midi(Score(tracks=(Track("p", 0, False, tuple(notes)),)), data / f"a{i:02d}.mid")
    out = tmp_path / "models" / "my-markov"
    assert main(["train", "--model", "markov", "--data", str(data), "--out", str(out)]) == 0
    return out


def test_card_has_command_data_and_metrics(trained):
    card = json.loads((trained / "config.json").read_text())
    assert card["arch"] == "markov" and card["training"]["command"].startswith("cadenza train --model markov --data ")
    assert 1 <= card["training"]["chosen_order"] <= 8
    assert card["metrics"]["test_accuracy"] > 0.5 and len(card["weights_sha256"]) == 64


def test_generate_variations_reproducibly(trained, tmp_path, capsys):
    capsys.readouterr()
    args = ["generate", "--model", "markov", "--checkpoint", str(trained), "--bars", "4", "--variations", "3",
            "--random-seed", "11", "--temperature", "0.9", "--out", str(tmp_path / "v.mid"), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert [p.rsplit("/", 1)[1] for p in report["files"]] == ["v-01.mid", "v-02.mid", "v-03.mid"]
    scores = [load_score(p) for p in report["files"]]
    assert all(s.note_count > 4 and 4 <= bar_count(s) <= 5 for s in scores)
    assert report["variations"][0]["random_seed"] == 11 and report["variations"][0]["sliders"] == {
        "temperature": 0.9, "top_k": 0, "top_p": 1.0, "key_lock": "off", "lowest_pitch": 0, "highest_pitch": 127}  # the options markov takes, resolved against the table
    assert main(args) == 0
    again = [load_score(p) for p in json.loads(capsys.readouterr().out)["files"]]
    assert [s.tracks for s in again] == [s.tracks for s in scores]
    assert scores[0].tracks != scores[1].tracks


def test_abc_output_holds_k_tunes(trained, tmp_path):
    out = tmp_path / "v.abc"
    assert main(["generate", "--model", "markov", "--checkpoint", str(trained), "--variations", "2", "--out", str(out)]) == 0
    text = out.read_text()
    assert "X:1\n" in text and "X:2\n" in text


def test_models_lists_user_model(trained, capsys):
    capsys.readouterr()
    assert main(["models", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = {m["name"]: m for m in listing["checkpoints"]}
    assert names["my-markov"]["arch"] == "markov" and not names["my-markov"]["bundled"]
    assert len(names["my-markov"]["sha256"]) == 64
    (markov,) = [m for m in listing["models"] if m["name"] == "markov"]
    assert "my-markov" in markov["checkpoints"] and markov["capabilities"] == ["train"]


@pytest.mark.parametrize("extra, phrase", [
    (["--noise-sd", "0.5"], "has no --noise-sd option"),
    (["--temperature", "9"], "between 0.05 and 5"),
])
def test_refused_options(trained, tmp_path, capsys, extra, phrase):
    rc = main(["generate", "--model", "markov", "--checkpoint", str(trained), "--out", str(tmp_path / "x.mid"), *extra])
    assert rc == 1 and phrase in capsys.readouterr().err


def test_bad_checkpoint_is_refused(trained, tmp_path, capsys):
    weights = trained / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    rc = main(["generate", "--model", "markov", "--checkpoint", str(trained), "--out", str(tmp_path / "x.mid")])
    assert rc == 1 and "truncated or was modified" in capsys.readouterr().err
