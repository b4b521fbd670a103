"""multitrack-rnn on a tiny model: band rolls, windows, the note-count sampling, checkpoints, generation."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from band_model_helpers import BAND_NAMES, Q, band, check_bundled_card, generate, melody, notes, save_fresh

from app.core.score import Note
from models.common.band_roll import (ROLES, TRACKS, BandPieces, band_parts, band_rolls, plan_band, roll_notes,
                                     score_rolls)
from models.common.checkpoint import load_checkpoint
from models.common.sampling import make_generator
from models.multitrack_rnn.counts import count_table, draw_counts, sample_step
from models.multitrack_rnn.generate import MultitrackRNNGenerator
from models.multitrack_rnn.model import BAND, INPUT, MultitrackRNN, MultitrackRNNConfig
from models.multitrack_rnn.train import MultitrackRNNTask, piece_arrays

TINY = dict(hidden=16, layers=1, context=16, max_count=4)


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    yield


@pytest.fixture(scope="module")
def task():
    data = BandPieces([score_rolls(band(i)) for i in range(4)], [score_rolls(band(5))], [score_rolls(band(6))],
                      {"synthetic": {"items": 6}})
    return MultitrackRNNTask(data, MultitrackRNNConfig(**TINY), batch_size=4, seed=0, specs=["synthetic"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, task):
    """A checkpoint of the task's freshly built model (the training loop writes the same files)."""
    out = tmp_path_factory.mktemp("multitrack_rnn")
    save_fresh(task, out)
    return out, task


@pytest.fixture(scope="module")
def gen(tiny):
    return MultitrackRNNGenerator(tiny[0], device="cpu")


def test_rolls_keep_roles_and_a_repeated_pitch_stays_two_notes():
    score = band(0, bars=1)
    rolls = score_rolls(score)
    assert rolls.shape == (len(TRACKS), 16, 128)
    assert rolls[TRACKS.index("drums"), ::2, 42].all() and rolls[TRACKS.index("drums"), 1::2, 42].sum() == 0
    again = roll_notes(rolls[TRACKS.index("piano")], Q)
    assert [(n.start, n.pitch, n.duration) for n in again] == [(Q, p, Q) for p in (60, 64, 67)]
    repeated = band_rolls({"bass": [Note(0, 40, Q), Note(Q, 40, Q)]}, Q)
    assert len(roll_notes(repeated[TRACKS.index("bass")], Q)) == 2


def test_inputs_are_the_band_one_step_behind_beside_the_lead_now(task):
    rolls = score_rolls(band(1))
    x, y = piece_arrays(rolls)
    assert x.shape == (rolls.shape[1], INPUT) and y.shape == (rolls.shape[1], BAND)
    assert not x[0, :BAND].any() and (x[1:, :BAND] == y[:-1]).all()
    assert (x[:, BAND:] == rolls[0]).all()
    logits, _ = MultitrackRNN(MultitrackRNNConfig(**TINY))(torch.zeros(2, 16, INPUT))
    assert logits.shape == (2, 16, BAND)
    x, y = next(task.train_batches(0))
    assert x.shape == (4, 16, INPUT) and y.shape == (4, 16, BAND)
    loss, role_steps, exact = task.loss(task.build_model(), (x, y), torch.device("cpu"))
    assert role_steps == 4 * 16 * len(ROLES) and 0 <= exact <= role_steps and 0 < loss.item() < 100


def test_note_counts_are_drawn_from_the_given_distribution():
    table = torch.zeros(len(ROLES), 4, 5)
    table[:, :, 0] = 1.0
    table[0, 0] = torch.tensor([0.0, 0.0, 0.0, 1.0, 0.0])  # drums on the beat: always 3 notes
    table[1, 0] = torch.tensor([0.5, 0.0, 0.5, 0.0, 0.0])  # bass on the beat: none or 2, evenly
    random = make_generator(0, torch.device("cpu"))
    counts = draw_counts(table, 0, 4000, random)
    assert (counts[:, 0] == 3).all() and set(counts[:, 1].tolist()) == {0, 2}
    assert abs(float((counts[:, 1] == 2).float().mean()) - 0.5) < 0.03
    assert (draw_counts(table, 1, 50, random) == 0).all()
    steps = sample_step(torch.randn(4000, BAND, generator=random), counts, random).view(4000, len(ROLES), 128)
    assert (steps.sum(-1) == counts).all()  # distinct pitches, as many as drawn, per role


def test_sampling_keeps_to_the_pitches_top_k_leaves():
    logits = torch.zeros(3, BAND)
    logits[:, 128 + 40] = logits[:, 128 + 43] = 5.0  # bass: two likely pitches
    counts = torch.full((3, len(ROLES)), 4)
    step = sample_step(logits, counts, make_generator(1, torch.device("cpu")), top_k=2).view(3, len(ROLES), 128)
    assert step[:, 1].nonzero()[:, 1].unique().tolist() == [40, 43]  # only 2 can be drawn, though 4 were asked


def test_count_table_measures_the_training_steps():
    table = count_table([score_rolls(band(0))], max_count=4)
    drums, piano = ROLES.index("drums"), ROLES.index("piano")
    assert table[drums, 0, 2] == pytest.approx(0.25) and table[drums, 0, 1] == pytest.approx(0.75)  # kick + hat on beat 1
    assert table[drums, 1].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]  # nothing on the second 16th
    assert table[piano, 0, 3] == pytest.approx(0.25) and np.allclose(table.sum(-1), 1.0)


def test_save_then_load_gives_the_same_weights_and_the_note_counts(tiny, gen):
    out, task = tiny
    state, card = load_checkpoint(out)
    assert card["arch"] == "multitrack-rnn" and card["training"]["data"] == ["synthetic"]
    assert torch.equal(state["note_counts"], torch.from_numpy(task.table))
    for name, tensor in gen.model.state_dict().items():
        assert torch.equal(tensor, state[name])


def test_the_same_random_seed_gives_the_same_notes_and_another_differs(gen):
    seed = band(7, bars=2)
    first, again = generate(gen, seed, random_seed=3)[0], generate(gen, seed, random_seed=3)[0]
    assert notes(first) == notes(again)
    assert notes(first) != notes(generate(gen, seed, random_seed=4)[0])


def test_a_band_seed_is_continued_with_five_roles_and_drums_on_the_drum_channel(gen):
    score = generate(gen, band(8, bars=2), bars=3, temperature=0.5)[0]
    assert [t.name for t in score.tracks] == BAND_NAMES
    assert [t.is_drum for t in score.tracks] == [True, False, False, False, False]
    assert score.note_count > 0 and max(n.end for t in score.tracks for n in t.notes) <= 3 * 4 * Q
    assert score.tracks[2].program == 25 and score.tracks[1].program == 33  # guitar's default, the seed's bass


def test_a_lone_pitched_track_is_the_lead_and_a_band_stays_a_band():
    alone = melody(bars=1, name="Piano", program=0)
    assert band_parts(alone)["lead"] and not band_parts(alone)["piano"]
    combo = band(0, bars=1)
    combo = replace(combo, tracks=combo.tracks[1:])  # drums, bass and piano: no lead
    parts = band_parts(combo)
    assert not parts["lead"] and parts["piano"] and parts["bass"] and parts["drums"]
    with_drums = replace(combo, tracks=(combo.tracks[0], alone.tracks[0]))
    assert band_parts(with_drums)["lead"] and band_parts(with_drums)["drums"]


def test_a_melody_alone_is_accompanied_for_its_length():
    plan = plan_band(melody(bars=3), bars=8)
    assert plan.accompany and plan.steps == 48 and plan.lead.any() and plan.context.shape[1] == 0
    plan = plan_band(band(2, bars=2), bars=5)
    assert not plan.accompany and plan.context.shape[1] == 32 and plan.steps == 80 and not plan.lead.any()


def test_accompanying_writes_the_band_under_the_lead(gen):
    score = generate(gen, melody(bars=2), bars=8, variations=2)[0]
    assert [t.name for t in score.tracks] == BAND_NAMES
    assert max(n.end for t in score.tracks for n in t.notes) <= 2 * 4 * Q


def test_the_bundled_checkpoint_accompanies_a_melody_with_the_trained_note_counts():
    from models.registry import load_generator

    card = check_bundled_card("multitrack-rnn")
    bundled = load_generator("multitrack-rnn", device="cpu")
    table = bundled.model.note_counts  # (roles, 4, counts): a distribution per role and position
    assert torch.allclose(table.sum(-1), torch.ones(len(ROLES), 4)) and table[:, :, 1:].sum() > 0
    assert card["training"]["mean_notes_per_step"]["drums"] > 0
    score = generate(bundled, melody(bars=2), bars=8, random_seed=1)[0]
    assert [t.name for t in score.tracks] == BAND_NAMES and score.tracks[0].is_drum
    assert score.note_count > 0 and max(n.end for t in score.tracks for n in t.notes) <= 2 * 4 * Q
