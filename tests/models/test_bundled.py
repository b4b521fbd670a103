"""The bundled checkpoints: complete cards, small files, better than markov, valid output."""

import json

import pytest

from app.core.formats import load_score
from models.abc_lstm.grammar import check_tune
from models.common.card import read_card
from models.common.file_unit import sha256_file
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions
from models.registry import BUNDLED_DIR, list_models, load_generator

NAMES = ("markov", "note-lstm", "abc-lstm", "music-transformer")


def card(name):
    return read_card(BUNDLED_DIR / name)


@pytest.mark.parametrize("name", NAMES)
def test_card_is_a_complete_model_card(name):
    c = card(name)
    assert c["arch"] == name
    command = c["training"]["command"]
    assert command.startswith(f"cadenza train --model {name} ") and " --data corpus:" in command
    if " --fine-tune " in command:  # the base's own command is in the card, back to a run from scratch
        base = c["training"]["fine_tuned_from"]
        while "fine_tuned_from" in base:
            base = base["fine_tuned_from"]
        assert base["command"].startswith(f"cadenza train --model {name} --data corpus:")
    assert c["training"]["data"] and "seed" in c["training"] or "config" in c["training"]
    assert sha256_file(BUNDLED_DIR / name / "model.safetensors") == c["weights_sha256"]
    assert (BUNDLED_DIR / name / "model.safetensors").stat().st_size < 25 * 2**20
    assert any(k.startswith("test_") for k in c["metrics"])
    assert {e.name for e in list_models() if e.bundled} >= set(NAMES)


def test_a_checkpoint_trained_on_piano_midi_credits_it_in_its_card_and_a_notice():
    for name in NAMES:
        c = card(name)
        if "corpus:piano-midi" not in c["training"]["data"]:
            continue
        credits = c["training"]["datasets"]["credits"]
        assert any("Bernd Krüger" in x["attribution"] and x["licence"] == "CC BY-SA 3.0 DE" for x in credits)
        notice = (BUNDLED_DIR / name / "NOTICE").read_text(encoding="utf-8")
        assert "Bernd Krüger, piano-midi.de" in notice and "CC BY-SA 3.0 DE" in notice


def test_note_lstm_beats_markov_on_the_same_held_out_split():
    lstm, markov = card("note-lstm"), card("markov")
    assert lstm["vocabulary"] == markov["vocabulary"]  # same tokens, same split: comparable
    assert lstm["metrics"]["test_cross_entropy"] < markov["metrics"]["test_cross_entropy"]
    assert lstm["metrics"]["test_accuracy"] > markov["metrics"]["test_accuracy"]


def test_abc_lstm_beats_the_character_markov_baseline():
    m = card("abc-lstm")["metrics"]
    assert m["test_bits_per_char"] < m["markov_test_bits_per_char"]


@pytest.mark.parametrize("temperature", [0.5, 1.0, 1.5])
def test_abc_lstm_tunes_are_all_valid(temperature):
    gen = load_generator("abc-lstm", device="cpu")
    scores = [s for seed in (2026, 2027) for s in run_generation(gen.generate(
        GenerationRequest(bars=8, variations=16, random_seed=seed, options=GenerationOptions(temperature=temperature))))]
    assert len(scores) == 32
    assert [r for r in (check_tune(s.provenance["abc"]) for s in scores) if not r[0]] == []
    assert all(s.note_count >= 8 for s in scores)


@pytest.mark.parametrize("name, seed", [("note-lstm", "seed:bach-jesu-meine-freude"), ("markov", "seed:mozart-sonata-k545-opening"),
                                        ("abc-lstm", "seed:swallowtail-jig"),
                                        ("music-transformer", "seed:bach-ach-gott-vom-himmel-sieh-darein")])
def test_bundled_models_continue_bundled_seeds(name, seed, tmp_path, capsys):
    from app.cli import main

    assert main(["generate", "--model", name, "--seed", seed, "--bars", "4", "--variations", "2",
                 "--random-seed", "3", "--out", str(tmp_path / "v.mid"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    scores = [load_score(p) for p in report["files"]]
    assert len(scores) == 2 and all(s.note_count > 4 for s in scores)
    assert report["variations"][0]["checkpoint_sha256"] == card(name)["weights_sha256"]


def abc_seed_names():
    from app.core.seeds import list_seeds

    return [s.name for s in list_seeds("folk") if s.file.endswith(".abc")]


def test_abc_lstm_continues_every_bundled_abc_seed(tmp_path):
    """A musician's ABC seed keeps its header and bars; the continuation is valid with full bars."""
    from app.core.generation_settings import abc_seed_text
    from models.abc_lstm.constraint import seed_fields

    gen = load_generator("abc-lstm", device="cpu")
    for name in abc_seed_names():
        seed_text = abc_seed_text(f"seed:{name}")
        fields, _ = seed_fields(seed_text)
        scores = run_generation(gen.generate(GenerationRequest(seed_text=seed_text, bars=4, random_seed=1)))
        text = scores[0].provenance["abc"]
        assert check_tune(text) == (True, "ok"), (name, text)
        assert f"M:{fields['M']}\n" in text and f"K:{fields['K']}\n" in text, name


def test_length_in_tokens_is_honoured_by_every_model():
    """``tokens`` instead of ``bars``: note models stop at the first wait after N tokens, abc-lstm after N body chars."""
    from models.common.note_tokens import encode_score

    for name in ("markov", "note-lstm"):
        gen = load_generator(name, device="cpu")
        scores = run_generation(gen.generate(GenerationRequest(tokens=60, variations=3, random_seed=5)))
        for s in scores:  # re-encoding gives the sampled P D W stream (a long wait may split in two)
            assert 57 <= len(encode_score(s)) <= 66, (name, len(encode_score(s)))
    gen = load_generator("abc-lstm", device="cpu")
    for s in run_generation(gen.generate(GenerationRequest(tokens=80, variations=4, random_seed=5))):
        text = s.provenance["abc"]
        body = text.split("\nK:", 1)[1].split("\n", 1)[1]
        assert check_tune(text)[0] and body.rstrip().endswith("|]")
        assert 30 <= len(body) <= 80 + 60, len(body)  # the model may end after 3 bars; the last bar is completed
    with pytest.raises(Exception, match="between 1 and 20,000"):
        run_generation(gen.generate(GenerationRequest(tokens=0)))
