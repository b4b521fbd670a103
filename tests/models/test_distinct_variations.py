"""Several variations are several different pieces, for every bundled model, or the request is refused.

Each request asks for a handful of variations of a real seed (a chorale, a folk tune, a drum groove, a
bossa nova, none) at the models' default options; every variation must differ from every other one of
its request. markov and vae-nn answer 20 requests; the two LSTMs, slower on the CPU, 3 requests of 4.
Options that make every variation the same (top-k 1; latent noise sd 0 with no style mixed in) are
refused with a sentence naming the option.
"""

import itertools

import pytest

from app.core.errors import GenerationError
from app.core.formats import load_score
from app.core.seeds import resolve
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions, OptionError
from models.registry import load_generator, model_specs

SEEDS = ("seed:bach-ach-gott-vom-himmel-sieh-darein", "seed:afton-water", "seed:boom-bap-drums",
         "seed:bossa-nova-in-c", None)
REQUESTS = {"markov": (20, 3), "vae-nn": (20, 3), "note-lstm": (3, 4), "abc-lstm": (3, 4), "music-transformer": (3, 4),
            "multitrack-rnn": (3, 4), "harmony-cnn": (3, 4), "performance-rnn": (3, 4), "band-gan": (3, 4)}


def music(score):
    return tuple((t.program, t.is_drum, n.start, n.pitch, n.duration) for t in score.tracks for n in t.notes)


@pytest.fixture(scope="module")
def seeds():
    return {name: load_score(resolve(name)) if name else None for name in SEEDS}


@pytest.mark.parametrize("model", sorted(REQUESTS))
def test_every_variation_of_a_request_is_different(model, seeds, one_torch_thread):
    generator = load_generator(model, device="cpu")
    requests, variations = REQUESTS[model]
    answered = 0
    for number in range(requests):
        name = SEEDS[number % len(SEEDS)]
        request = GenerationRequest(seed=seeds[name], bars=2, variations=variations, random_seed=number)
        try:
            pieces = run_generation(generator.generate(request))
        except GenerationError as exc:  # a seed the model cannot use (or answers with silence) is refused in one sentence
            assert "\n" not in str(exc) and str(exc).endswith("."), (model, name, exc)
            continue
        answered += 1
        assert len(pieces) == variations
        for (i, a), (j, b) in itertools.combinations(enumerate(pieces), 2):
            assert music(a) != music(b), f"{model}, seed {name}, random seed {number}: variations {i + 1} and {j + 1}"
    assert answered >= requests * 3 // 4


def test_the_bundled_models_are_all_checked():
    assert {spec.name for spec in model_specs() if not spec.audio_out} == set(REQUESTS)


@pytest.mark.parametrize("model, options, flag", [
    ("markov", GenerationOptions(top_k=1), "--top-k"),
    ("note-lstm", GenerationOptions(top_k=1), "--top-k"),
    ("abc-lstm", GenerationOptions(top_k=1), "--top-k"),
    ("vae-nn", GenerationOptions(noise_sd=0.0), "--noise-sd"),
    ("vae-nn", GenerationOptions(noise_sd=0.0, track_noise_sd={"bass": 0.0}), "--noise-sd"),
])
def test_options_that_make_every_variation_the_same_are_refused(model, options, flag):
    generator = load_generator(model, device="cpu")
    with pytest.raises(OptionError) as refused:
        generator.check_request(GenerationRequest(options=options, variations=4))
    assert refused.value.cli_sentence().startswith(f"{flag} is ")
    assert "every variation would be the same music" in refused.value.cli_sentence()
    generator.check_request(GenerationRequest(options=options, variations=1))  # one variation is fine


def test_noise_in_one_track_or_a_style_song_still_varies(seeds):
    generator = load_generator("vae-nn", device="cpu")
    generator.check_request(GenerationRequest(options=GenerationOptions(noise_sd=0.0, track_noise_sd={"bass": 0.5}),
                                              variations=4))
    generator.check_request(GenerationRequest(options=GenerationOptions(noise_sd=0.0, style_alpha=0.5),
                                              style=seeds["seed:bach-ach-gott-vom-himmel-sieh-darein"], variations=4))
