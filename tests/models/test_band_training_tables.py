"""A new multitrack-rnn or harmony-cnn training writes its decoding tables into its card, as the bundled cards
hold them (measured on the training split), so it decodes as the bundled model does; and the band written
under a lead keeps the seed's key map."""

from __future__ import annotations

import numpy as np
import pytest
from band_model_helpers import Q, band, generate

from app.core.score import KeyChange, Note, Score, TimeSignature, Track
from models.common.band_roll import TRACKS, BandPieces, score_rolls
from models.common.card import read_card
from models.common.train_request import TrainRequest
from models.harmony_cnn.bar_fill import empty_bar_shares
from models.multitrack_rnn.count_chain import chain_to_card, count_chain
from models.registry import BUNDLED_DIR

KEYS = (KeyChange(0, "C major"), KeyChange(4 * Q, "G major"))


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    yield


def tiny_pieces() -> BandPieces:
    """Three training pieces of 4/4 (the first one's bass silent in its second bar), one to validate, one to test."""
    rolls = [score_rolls(band(i)) for i in range(5)]
    rolls[0][TRACKS.index("bass"), 16:32] = False
    return BandPieces(rolls[:3], rolls[3:4], rolls[4:], {"corpus:band": {"items": 5}})


def train_tiny(module, monkeypatch, out, sizes) -> dict:
    """``module.train_run`` as ``cadenza train`` calls it, on the tiny pieces for corpus:band; the card it wrote."""
    data = tiny_pieces()
    monkeypatch.setattr(module, "load_band_pieces", lambda specs, min_steps: data)
    run = module.train_run(TrainRequest(data=("corpus:band",), out=out, epochs=1, max_steps=1, batch_size=4,
                                        device="cpu", sizes=sizes))
    while True:
        try:
            next(run)
        except StopIteration:
            return read_card(out)


def key_changing_melody() -> Score:
    """Two bars of quarters, C major then G major."""
    notes = tuple(Note(k * Q, (60, 64, 67, 72, 67, 71, 74, 79)[k], Q) for k in range(8))
    return Score(tracks=(Track("Flute", 73, False, notes),), time_signatures=(TimeSignature(0, 4, 4),), keys=KEYS)


def test_a_new_multitrack_rnn_training_writes_the_count_chain_of_its_training_split(tmp_path, monkeypatch):
    import models.multitrack_rnn.train as module
    from models.multitrack_rnn.generate import MultitrackRNNGenerator

    card = train_tiny(module, monkeypatch, tmp_path, {"hidden": 8, "layers": 1, "context": 16, "max_count": 2})
    bundled = read_card(BUNDLED_DIR / "multitrack-rnn")["decoding"]
    decoding = card["decoding"]
    assert set(decoding) == set(bundled) - {"considered"}  # that one tells the bundled model's own comparison
    assert decoding["rule"] == bundled["rule"] and decoding["pitch_temperature"] == bundled["pitch_temperature"] == 0.2
    assert decoding["count_chain"] == chain_to_card(count_chain(tiny_pieces().train, 2))
    assert set(decoding["count_chain"]) == set(bundled["count_chain"])  # per role, 4 positions, a line per count
    assert [len(p) for p in decoding["count_chain"]["bass"]] == [3] * 4
    assert decoding["measured_by"] == ("models.multitrack_rnn.count_chain.count_chain(load_band_pieces(['corpus:band'])"
                                       ".train, 2): 3 training pieces, counts above 2 counted as 2")
    gen = MultitrackRNNGenerator(tmp_path, device="cpu")
    assert gen.chain is not None and gen.pitch_temperature == 0.2  # it decodes as the bundled model does
    out = generate(gen, key_changing_melody(), random_seed=1)[0]
    assert out.keys == KEYS and out.time_signatures == (TimeSignature(0, 4, 4),)


def test_a_new_harmony_cnn_training_writes_the_empty_bar_shares_of_its_training_split(tmp_path, monkeypatch):
    import models.harmony_cnn.train as module
    from models.harmony_cnn.generate import HarmonyCNNGenerator

    card = train_tiny(module, monkeypatch, tmp_path, {"channels": [2, 4, 4], "dense": 16})
    bundled = read_card(BUNDLED_DIR / "harmony-cnn")["decoding"]
    decoding = card["decoding"]
    assert set(decoding) == set(bundled) and decoding["rule"] == bundled["rule"]
    shares = decoding["empty_bar_share"]
    assert shares == empty_bar_shares(tiny_pieces().train) and set(shares) == set(bundled["empty_bar_share"])
    assert shares["bass"] == pytest.approx(1 / 12, abs=1e-4) and shares["drums"] == 0.0 and shares["guitar"] == 1.0
    assert decoding["measured_by"].endswith("where the track sounds at all (3 training pieces)")
    gen = HarmonyCNNGenerator(tmp_path, device="cpu")
    assert gen.empty_share == shares  # it fills empty bars as the bundled model does
    out = generate(gen, key_changing_melody(), random_seed=1)[0]
    assert out.keys == KEYS and np.isclose(out.tempos[0].bpm, 120.0)
