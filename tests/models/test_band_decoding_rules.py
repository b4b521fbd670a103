"""The band models' decoding rules: multitrack-rnn's note counts after the count just played, harmony-cnn's
empty bars kept at the training data's rate (the bass sounds in every bar where its data's bass does)."""

import numpy as np
import pytest
import torch
from band_model_helpers import Q, band, generate, melody, save_fresh

from models.common.band_roll import PITCHES, ROLES, TRACKS, BandPieces, score_rolls
from models.common.card import update_card
from models.harmony_cnn.bar_fill import empty_bar_shares, fill_empty_bars, shares_from_card
from models.multitrack_rnn.count_chain import chain_from_card, chain_to_card, count_chain, draw_next_counts
from models.multitrack_rnn.generate import MultitrackRNNGenerator
from models.multitrack_rnn.model import MultitrackRNNConfig
from models.multitrack_rnn.train import MultitrackRNNTask

BASS = ROLES.index("bass")


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    yield


def _rolls(steps: int = 32) -> np.ndarray:
    """Lead silent; bass holding pitch 40 for 3 steps then resting 1, piano silent, drums a hit per beat."""
    rolls = np.zeros((len(TRACKS), steps, PITCHES), dtype=bool)
    bass, drums = TRACKS.index("bass"), TRACKS.index("drums")
    for s in range(steps):
        rolls[bass, s, 40] = s % 4 != 3
        rolls[drums, s, 36] = s % 4 == 0
    return rolls


def test_the_count_chain_is_the_datas_count_after_the_count_before():
    chain = count_chain([_rolls()], max_count=2)
    assert chain.shape == (len(ROLES), 4, 3, 3)
    assert np.allclose(chain.sum(-1), 1.0)
    # the bass: after one note, steps 1 and 2 of the beat hold it, step 3 rests; after the rest, step 0 sounds
    assert chain[BASS, 1, 1].tolist() == [0.0, 1.0, 0.0] and chain[BASS, 3, 1].tolist() == [1.0, 0.0, 0.0]
    assert chain[BASS, 0, 0].tolist() == [0.0, 1.0, 0.0]
    piano = ROLES.index("piano")
    assert (chain[piano, :, 0, 0] == 1.0).all()  # a role silent in the data stays silent
    assert (chain[BASS, 2, 2] == [1.0, 0.0, 0.0]).all()  # a row never seen is silence


def test_counts_are_drawn_from_the_row_of_the_count_just_played():
    chain = chain_from_card({"count_chain": chain_to_card(count_chain([_rolls()], max_count=2))}, max_count=2)
    random = torch.Generator().manual_seed(0)
    before = torch.zeros(64, len(ROLES) * PITCHES)
    before[:32, BASS * PITCHES + 40] = 1.0  # half the variations: the bass sounded one note
    held = draw_next_counts(chain, 1, before, random)  # second 16th of the beat
    assert held[:32, BASS].tolist() == [1] * 32 and held[32:, BASS].tolist() == [0] * 32
    assert held[:, ROLES.index("piano")].eq(0).all()
    assert chain_from_card({}, 2) is None and chain_from_card({"count_chain": {"bass": [["0.5"]]}}, 2) is None


def test_a_tiny_multitrack_rnn_plays_the_counts_its_card_chain_gives(tmp_path):
    data = BandPieces([score_rolls(band(i)) for i in range(2)], [], [], {"synthetic": {"items": 2}})
    task = MultitrackRNNTask(data, MultitrackRNNConfig(hidden=8, layers=1, context=16, max_count=2), batch_size=2)
    save_fresh(task, tmp_path)
    chain = np.zeros((len(ROLES), 4, 3, 3))
    chain[..., 0] = 1.0  # every role silent after anything...
    chain[BASS, ..., 0], chain[BASS, ..., 1] = 0.0, 1.0  # ...but the bass, one note at every step
    update_card(tmp_path, decoding={"count_chain": chain_to_card(chain), "pitch_temperature": 0.2})
    gen = MultitrackRNNGenerator(tmp_path, device="cpu")
    assert gen.pitch_temperature == 0.2
    score = generate(gen, band(3, bars=2), bars=2, random_seed=5)[0]
    sounding = {t.name: t.notes for t in score.tracks if t.notes}
    assert list(sounding) == ["Bass"]
    steps = [sum(n.start <= s * Q // 4 < n.end for n in sounding["Bass"]) for s in range(32)]
    assert steps == [1] * 32  # one bass note sounds at each of the two bars' 32 steps


def test_empty_bar_shares_count_only_pieces_where_the_role_sounds():
    rolls = _rolls(48)
    rolls[TRACKS.index("bass"), 16:32] = False  # the second of three bars silent
    shares = empty_bar_shares([rolls, np.zeros_like(rolls)])
    assert shares["bass"] == pytest.approx(1 / 3, abs=1e-4) and shares["drums"] == 0.0
    assert shares["piano"] == 1.0 and shares["lead"] == 1.0  # never sounds: no bar to measure
    assert shares_from_card({"empty_bar_share": shares}) == shares
    assert shares_from_card({"empty_bar_share": {**shares, "bass": 2.0}}) is None


def test_an_empty_bar_keeps_its_most_likely_pitch_unless_the_rule_says_silence():
    probs = torch.full((3, 32, PITCHES), 0.01)
    probs[:, 4:10, 45] = torch.tensor([0.2, 0.3, 0.4, 0.4, 0.3, 0.2])  # bar 1's best pitch, peak 0.4
    probs[:, 20:22, 50] = 0.3  # bar 2's
    notes = torch.zeros(3, 32, PITCHES, dtype=torch.bool)
    notes[2, 16, 60] = True  # variation 3's second bar already sounds
    draws = torch.full((3, 1, PITCHES), 0.6)  # 0.6 x the peak: the pitch sounds where p >= 0.24
    random = torch.Generator().manual_seed(0)
    filled = fill_empty_bars(notes, probs, draws, torch.tensor([True, False, True]), 0.0, random)
    assert torch.nonzero(filled[0, :16]).tolist() == [[5, 45], [6, 45], [7, 45], [8, 45]]
    assert torch.nonzero(filled[0, 16:]).tolist() == [[4, 50], [5, 50]]
    assert not filled[1].any()  # this role should not sound here: left as drawn
    assert torch.equal(filled[2, 16:], notes[2, 16:]) and filled[2, :16].sum() == 4
    kept_empty = fill_empty_bars(notes, probs, draws, torch.tensor([True, True, True]), 1.0, random)
    assert torch.equal(kept_empty, notes)  # the data's bars are always empty: nothing added


def test_the_bundled_harmony_cnn_bass_sounds_in_every_bar_under_a_melody():
    from models.registry import load_generator

    gen = load_generator("harmony-cnn", device="cpu")
    assert gen.empty_share["bass"] == 0.0  # the training bass is never silent for a bar
    for random_seed in range(3):
        score = generate(gen, melody(bars=8), bars=8, random_seed=random_seed)[0]
        bass = next(t for t in score.tracks if t.name == "Bass")
        bar = 4 * score.ppq
        sounding = {b for n in bass.notes for b in range(n.start // bar, (n.end - 1) // bar + 1)}
        assert sounding == set(range(8))
