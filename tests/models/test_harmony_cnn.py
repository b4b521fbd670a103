"""harmony-cnn on a tiny model: segments, the networks' shapes, the loss, checkpoints, accompanying a lead."""

import pytest
import torch
from band_model_helpers import BAND_NAMES, Q, band, check_bundled_card, generate, melody, notes, save_fresh

from models.common.band_roll import TRACKS, BandPieces, score_rolls
from models.common.checkpoint import load_checkpoint
from models.common.sampling import make_generator
from models.harmony_cnn.generate import HarmonyCNNGenerator, sample_segment
from models.harmony_cnn.model import HarmonyCNN, HarmonyCNNConfig
from models.harmony_cnn.train import HarmonyCNNTask, segments

TINY = dict(channels=[2, 4, 4], dense=16)


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    yield


@pytest.fixture(scope="module")
def task():
    data = BandPieces([score_rolls(band(i)) for i in range(3)], [score_rolls(band(4))], [score_rolls(band(5, 3))],
                      {"synthetic": {"items": 5}})
    return HarmonyCNNTask(data, HarmonyCNNConfig(**TINY), batch_size=4, seed=0, specs=["synthetic"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, task):
    out = tmp_path_factory.mktemp("harmony_cnn")
    return out, save_fresh(task, out)


@pytest.fixture(scope="module")
def gen(tiny):
    return HarmonyCNNGenerator(tiny[0], device="cpu")


def test_a_piece_is_cut_into_segments_after_a_silent_one():
    rolls = score_rolls(band(0, bars=3))  # 48 steps: one whole segment and half of another
    segs = segments(rolls)
    assert segs.shape == (3, len(TRACKS), 32, 128)
    assert not segs[0].any() and (segs[1] == rolls[:, :32]).all()
    assert (segs[2, :, :16] == rolls[:, 32:]).all() and not segs[2, :, 16:].any()


def test_the_networks_map_segments_to_segments_and_the_loss_counts_track_steps(task):
    model = HarmonyCNN(HarmonyCNNConfig(**TINY))
    x = torch.zeros(3, 32, 128)
    assert model.melody(x).shape == (3, 32, 128) and model.harmony[0](x, x).shape == (3, 32, 128)
    assert len(model.harmony) == 5
    batch = next(task.train_batches(0))
    assert batch.shape == (4, 2, len(TRACKS), 32, 128)
    loss, track_steps, exact = task.loss(model, batch, torch.device("cpu"))
    assert track_steps == 4 * len(TRACKS) * 32 and 0 <= exact <= track_steps
    assert loss.requires_grad and 0 < loss.item() < 200
    assert task.num_train_batches(0) == len(task.epoch_batches(0)) == 2  # 3 pieces x 2 segments, 4 a batch


def test_low_temperature_sampling_is_the_networks_own_yes_or_no():
    logits = torch.randn(2, 32, 128, generator=make_generator(0, torch.device("cpu")))
    sampled = sample_segment(logits, make_generator(1, torch.device("cpu")), temperature=0.05)
    assert (sampled == (logits > 0)).float().mean() > 0.97
    held = sample_segment(torch.zeros(1, 32, 128), make_generator(2, torch.device("cpu")))
    assert (held.all(1) | ~held.any(1)).all()  # a pitch of even odds sounds the whole segment or not at all


def test_save_then_load_gives_the_same_weights(tiny, gen):
    out, model = tiny
    state, card = load_checkpoint(out)
    assert card["arch"] == "harmony-cnn" and card["training"]["tracks"] == list(TRACKS)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state[name]) and torch.equal(gen.model.state_dict()[name], tensor)


def test_the_same_random_seed_gives_the_same_notes_and_another_differs(gen):
    seed = melody(bars=2, name="Piano", program=0)
    assert notes(generate(gen, seed, random_seed=5)[0]) == notes(generate(gen, seed, random_seed=5)[0])
    assert notes(generate(gen, seed, random_seed=5)[0]) != notes(generate(gen, seed, random_seed=6)[0])


def test_a_lead_is_accompanied_by_the_band_roles_for_its_length(gen):
    scores = generate(gen, melody(bars=3, name="Piano", program=0), bars=8, variations=2, temperature=0.5)
    for score in scores:
        assert [t.name for t in score.tracks] == BAND_NAMES
        assert [t.is_drum for t in score.tracks] == [True, False, False, False, False]
        assert all(t.notes for t in score.tracks)
        assert max(n.end for t in score.tracks for n in t.notes) <= 3 * 4 * Q  # the lead's bars, not 8
    assert notes(scores[0]) != notes(scores[1])


def test_a_band_seed_is_continued_with_its_lead(gen):
    score = generate(gen, band(6, bars=2), bars=3)[0]
    assert [t.name for t in score.tracks] == ["Lead", *BAND_NAMES] and score.tracks[1].is_drum
    assert max(n.end for t in score.tracks for n in t.notes) <= 3 * 4 * Q
    assert score.tracks[0].program == 73 and score.tracks[2].program == 33


def test_the_bundled_checkpoint_writes_a_band_under_a_melody():
    from models.registry import load_generator

    card = check_bundled_card("harmony-cnn")
    assert card["weights_dtype"] == "float16"
    bundled = load_generator("harmony-cnn", device="cpu")
    score = generate(bundled, melody(bars=2, name="Piano", program=0), bars=8, random_seed=1)[0]
    assert [t.name for t in score.tracks] == BAND_NAMES and score.tracks[0].is_drum
    assert score.tracks[0].notes and max(n.end for t in score.tracks for n in t.notes) <= 2 * 4 * Q
