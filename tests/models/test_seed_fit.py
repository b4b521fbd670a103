"""Seeds a model cannot use are refused or cut to what it can use, and the musician is told which."""

import subprocess
import sys

import pytest

from app.core.errors import GenerationError
from app.core.formats import load_score
from app.core.provenance import Provenance
from models.common.generator import GenerationRequest, run_generation
from models.common.seed_fit import fit_seed
from models.common.spec import DRUMS
from models.registry import get_spec, load_generator, model_specs

PITCHED = sorted(s.name for s in model_specs() if DRUMS not in s.seeds and not s.audio_out)
GROOVE = "seed:boom-bap-drums"  # drums only
BAND = "seed:bossa-nova-in-c"  # drums, bass and piano


def test_the_bundled_models_write_pitched_music_and_say_so_in_their_specs():
    assert PITCHED == ["abc-lstm", "markov", "note-lstm", "performance-rnn", "vae-nn"]


@pytest.mark.parametrize("model", PITCHED)
def test_a_drums_only_seed_is_refused_in_one_sentence(model):
    generator = load_generator(model, device="cpu")
    with pytest.raises(GenerationError) as refused:
        run_generation(generator.generate(GenerationRequest(seed=load_score(GROOVE), bars=2, variations=1)))
    assert str(refused.value) == (f"The seed holds only drums, and {model} writes pitched music; "
                                  "choose a seed with a tune or chords in it.")


@pytest.mark.parametrize("model", PITCHED)
def test_a_band_seed_is_continued_from_its_pitched_parts_and_the_drums_are_named(model):
    seed = load_score(BAND)
    fitted, note = fit_seed(get_spec(model), seed)
    assert [t.name for t in fitted.tracks] == [t.name for t in seed.tracks if not t.is_drum]
    assert note == f"{model} continues the seed's pitched parts and leaves out its drum track 'Drums', which it does not play."
    pieces = run_generation(load_generator(model, device="cpu").generate(
        GenerationRequest(seed=seed, bars=2, variations=1, random_seed=1)))
    assert Provenance.of(pieces[0]).seed_note == note
    assert not any(t.is_drum for t in pieces[0].tracks) and pieces[0].note_count > 0


def test_a_seed_without_drums_is_untouched_and_nothing_is_said():
    seed = load_score("seed:afton-water")
    assert fit_seed(get_spec("markov"), seed) == (seed, None)


def test_the_cli_prints_the_note_and_keeps_it_in_the_json(tmp_path):
    out = tmp_path / "v.mid"
    proc = subprocess.run([sys.executable, "-m", "app", "generate", "--model", "markov", "--seed", BAND, "--bars", "2",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("leaves out its drum track 'Drums', which it does not play.")
    assert proc.stderr.count("note: ") == 1


def test_the_note_survives_a_provenance_round_trip():
    prov = Provenance(model="markov", seed_note="markov continues the seed's pitched parts.")
    assert Provenance.from_dict(prov.to_dict()).seed_note == prov.seed_note
