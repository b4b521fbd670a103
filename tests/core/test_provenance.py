"""The one Provenance type: round trips through project and MIDI files, projects of the old shape, damage."""

import json

import pytest

from app.core.errors import GenerationError
from app.core.midi import read_midi, write_midi
from app.core.project import load_project, save_project
from app.core.provenance import Phrase, Provenance
from app.core.score import Note, Score, Track
from app.core.variations import insert_at, phrases

BAR = 1920
SELECTION = {"kind": "selection", "score": {"title": "Selection", "ppq": 480, "tracks": [
    {"name": "Piano", "program": 0, "is_drum": False, "notes": [[0, 60, 480, 100]]}]}}

# A project saved before Provenance was a type: null fields, "sliders", no "tokens", a phrase record.
OLD_PROJECT = {
    "format": "cadenza-project", "version": 1,
    "score": {
        "title": "Old sketch", "key": None, "ppq": 480, "tempos": [[0, 120.0]], "time_signatures": [[0, 4, 4]],
        "provenance": {"phrases": [{
            "id": "phrase-1", "tracks": [0], "start": 1920, "end": 5760,
            "provenance": {
                "model": "markov", "checkpoint": "/opt/cadenza/resources/checkpoints/markov",
                "checkpoint_sha256": "ab" * 32, "seed": "Swing Ride in F", "seed_text": None,
                "sliders": {"temperature": 1.1}, "bars": 2, "random_seed": 7, "variation": 2, "variations": 3,
                "generation_seconds": 0.0123, "seed_source": {"kind": "seed", "spec": "seed:swing-ride-in-f"},
                "style_source": {"kind": "none"}, "device": "auto"}}]},
        "tracks": [{"name": "Piano", "program": 0, "is_drum": False, "volume": 100, "mute": False, "solo": False,
                    "notes": [[1920, 65, 480, 90], [2400, 67, 480, 90]]}]}}


def full() -> Provenance:
    """A provenance with every field set, a per-track option, a phrase inside, and a key from the future."""
    made = Provenance(model="vae-nn", checkpoint="/models/vae", checkpoint_sha256="cd" * 32, seed="Chorale",
                      seed_text="X:1\nK:C\n", options={"temperature": 0.9, "noise_sd": 0.75,
                                                      "track_noise_sd": {"alto": 1.5, "bass": 0.25}},
                      bars=4, tokens=300, random_seed=2**31 - 1, variation=3, variations=8, seed_source=SELECTION,
                      style_source={"kind": "seed", "spec": "seed:bossa-nova-in-c"}, device="cuda",
                      generation_seconds=1.25, abc="X:1\nT:generated\nK:C\nCDEF|\n", extra={"from_the_future": [1, 2]})
    return made.with_phrase([0, 2], BAR, 3 * BAR, Provenance(model="markov", variation=1, random_seed=5))


def scored(provenance: Provenance) -> Score:
    return Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480),)),), provenance=provenance.to_dict())


def test_every_field_survives_a_project_file(tmp_path):
    original = full()
    save_project(scored(original), tmp_path / "p.cadenza")
    back, _state = load_project(tmp_path / "p.cadenza")
    assert Provenance.of(back) == original
    assert Provenance.of(back).phrases[0].provenance.random_seed == 5


def test_every_field_survives_a_midi_file(tmp_path):
    original = full()
    write_midi(scored(original), tmp_path / "p.mid")
    assert Provenance.of(read_midi(tmp_path / "p.mid")) == original


def test_a_project_of_the_old_shape_opens_with_its_provenance(tmp_path):
    path = tmp_path / "old.cadenza"
    path.write_text(json.dumps(OLD_PROJECT))
    score, _state = load_project(path)
    (phrase,) = phrases(score)
    prov = phrase.provenance
    assert (phrase.id, phrase.tracks, phrase.start, phrase.end) == ("phrase-1", (0,), 1920, 5760)
    assert (prov.model, prov.options, prov.bars, prov.random_seed, prov.variation, prov.variations) == \
        ("markov", {"temperature": 1.1}, 2, 7, 2, 3)
    assert prov.seed_source == {"kind": "seed", "spec": "seed:swing-ride-in-f"} and prov.seed == "Swing Ride in F"
    assert prov.seed_text is None and prov.damaged == () and prov.check_regenerable() is prov
    old = OLD_PROJECT["score"]["provenance"]["phrases"][0]["provenance"]
    assert prov.to_dict() == {k: v for k, v in old.items() if v is not None}  # the same keys, nulls left out
    save_project(score, tmp_path / "again.cadenza")
    assert phrases(load_project(tmp_path / "again.cadenza")[0]) == [phrase]


def test_damaged_values_are_kept_as_found_and_a_rerun_says_why_in_one_sentence():
    stored = {"model": "markov", "random_seed": "seven", "bars": 2, "variations": 3, "variation": 1,
              "sliders": [1.2], "device": None}
    prov = Provenance.from_dict(stored)
    assert (prov.random_seed, prov.options, prov.device) == (None, {}, None)
    assert prov.damaged == ("random_seed", "sliders")
    assert prov.to_dict() == {k: v for k, v in stored.items() if v is not None}  # writing back loses nothing
    with pytest.raises(GenerationError) as err:
        prov.check_regenerable()
    assert str(err.value) == ("The provenance of this phrase is damaged (its random seed is not readable); "
                              "it cannot be regenerated.")
    with pytest.raises(GenerationError, match="does not record its model"):
        Provenance.from_dict({"random_seed": 1}).check_regenerable()
    with pytest.raises(TypeError):
        Provenance.from_dict(["not", "an", "object"])


def test_malformed_phrases_are_left_out_and_ids_are_never_reused():
    prov = Provenance.from_dict({"phrases": [{"id": "phrase-4", "provenance": {}}, "junk", {"id": 3},
                                             {"id": "phrase-9", "tracks": "all", "provenance": {}}]})
    assert [p.id for p in prov.phrases] == ["phrase-4"]
    assert prov.with_phrase([0], 0, 1, Provenance()).phrases[-1] == Phrase("phrase-5", (0,), 0, 1, Provenance())


def test_inserting_a_variation_records_its_provenance_as_a_phrase():
    made = Provenance(model="markov", random_seed=7, variation=2, variations=3, bars=2, options={"temperature": 1.0})
    variation = Score(tracks=(Track("Piano", 0, False, (Note(0, 62, 240),)),), provenance=made.to_dict())
    out = insert_at(Score(tracks=(Track("Piano", 0, False, ()),)), variation, BAR)
    assert phrases(out) == [Phrase("phrase-1", (0,), BAR, BAR + 240, made)]
    assert Provenance.of(out).model is None and not Provenance.of(out).is_generated  # a document, not a variation
