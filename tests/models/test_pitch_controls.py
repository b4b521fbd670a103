"""The key lock and pitch range that markov and note-lstm share with the music-transformer."""

import pytest

from app.core.formats import load_score
from app.core.keys import scale_pitch_classes
from app.core.variations import score_key
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions, OptionError
from models.registry import load_generator

SEED = "seed:bach-ach-gott-vom-himmel-sieh-darein"


@pytest.mark.parametrize("model, requests", [("markov", 10), ("note-lstm", 2)])
def test_key_lock_and_range_hold_on_every_note(model, requests, one_torch_thread):
    generator = load_generator(model, device="cpu")
    seed = load_score(SEED)
    scale = scale_pitch_classes(score_key(seed))
    pitches = []
    for random_seed in range(requests):
        pieces = run_generation(generator.generate(GenerationRequest(
            seed=seed, bars=4, variations=10, random_seed=random_seed,
            options=GenerationOptions(key_lock="seed", lowest_pitch=55, highest_pitch=79, temperature=1.5))))
        pitches += [n.pitch for p in pieces for t in p.tracks for n in t.notes]
    assert len(pitches) > 200
    assert [p for p in pitches if p % 12 not in scale or not 55 <= p <= 79] == []


def test_a_range_with_no_note_in_it_is_refused_in_a_sentence():
    generator = load_generator("markov", device="cpu")
    with pytest.raises(OptionError, match="above the highest note"):
        run_generation(generator.generate(GenerationRequest(
            options=GenerationOptions(lowest_pitch=80, highest_pitch=60))))
