"""The bundled performance-rnn checkpoint: its card credits piano-midi.de, and its controls move what it plays
(asking for a key raises the played pitch classes' correlation with that key; asking for more notes per bar plays
more notes)."""

import numpy as np
import pytest

from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions
from models.performance_rnn.conditioning import correlation, key_profile
from models.performance_rnn.generate import PerformanceRNNGenerator, played_controls
from models.performance_rnn.performance import score_performance
from models.registry import find_checkpoint


@pytest.fixture(scope="module")
def bundled(one_torch_thread):
    return PerformanceRNNGenerator(find_checkpoint("performance-rnn"), device="cpu")


def played(gen, **options):
    request = GenerationRequest(options=GenerationOptions(**options), bars=3, variations=2, random_seed=1)
    return [played_controls(score_performance(s)) for s in run_generation(gen.generate(request))]


def test_the_card_credits_the_collection_and_says_how_it_was_trained(bundled):
    card = bundled.card
    assert card["training"]["datasets"]["credits"] == [{
        "source": "piano-midi.de", "attribution": "Bernd Krüger, piano-midi.de", "licence": "CC BY-SA 3.0 DE",
        "url": "http://www.piano-midi.de/"}]
    assert card["training"]["command"].startswith("cadenza train --model performance-rnn --data corpus:piano-midi")
    assert card["metrics"]["test_cross_entropy"] < 3.2  # nats per event; uniform over the 388 events is 5.96
    assert (find_checkpoint("performance-rnn") / "NOTICE").read_text().count("CC BY-SA 3.0 DE") >= 1


def test_asking_for_a_key_moves_the_played_pitch_classes_toward_it(bundled):
    c, fs = key_profile("C major"), key_profile("F# major")
    in_c, in_fs = played(bundled, pitch_profile="C major"), played(bundled, pitch_profile="F# major")
    assert np.mean([correlation(p.histogram, c) for p in in_c]) > np.mean([correlation(p.histogram, c) for p in in_fs])
    assert np.mean([correlation(p.histogram, fs) for p in in_fs]) > np.mean([correlation(p.histogram, fs) for p in in_c])


def test_asking_for_more_notes_per_bar_plays_more_notes(bundled):
    sparse = played(bundled, pitch_profile="C major", density=4)  # 2 notes per second at 120 bpm 4/4
    dense = played(bundled, pitch_profile="C major", density=32)  # 16 notes per second
    assert np.mean([p.density for p in dense]) > 2 * np.mean([p.density for p in sparse])
