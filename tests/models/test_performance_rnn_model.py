"""performance-rnn: a tiny model trained on the shared loop from synthetic performances; every sampling step reads
the asked controls; save -> load equality; seeded, stateful generation; carried state equals re-running the window.
(That the controls move what a trained model plays is measured on the bundled checkpoint.)"""

import numpy as np
import pytest
import torch

from app.core.errors import GenerationError
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from models.common.checkpoint import load_checkpoint
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions
from models.common.sampling import make_generator
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
from models.performance_rnn.conditioning import control_vector, density_bin, key_profile
from models.performance_rnn.events import PerfNote
from models.performance_rnn.generate import PerformanceRNNGenerator, carried_state_generate, window_refeed_generate
from models.performance_rnn.model import PerformanceRNNConfig
from models.performance_rnn.train import PerformanceTask, prepare_data

TINY = dict(embed=16, hidden=32, layers=1, dropout=0.0)
TRIAD = (0, 4, 7)
STEPS = 30


def synthetic_piece(rng, root: int, per_second: float, seconds: float = 16.0) -> list[PerfNote]:
    """A melody on the major triad of ``root`` at ``per_second`` notes per second, with varied dynamics."""
    notes, t = [], 0.0
    while t < seconds:
        pitch = 60 + (root + TRIAD[int(rng.integers(3))]) % 12
        notes.append(PerfNote(t, t + 0.8 / per_second, pitch, int(rng.integers(30, 110))))
        t += 1.0 / per_second
    return notes


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_torch_thread):
    """A tiny model trained for a few steps on synthetic pieces (12 triads, 1.5 or 12 notes per second)."""
    rng = np.random.default_rng(0)
    pieces = [(f"p{i}", synthetic_piece(rng, (5 * i) % 12, (1.5, 12.0)[i % 2]), "train") for i in range(12)]
    data = prepare_data(pieces, seq_len=16)
    task = PerformanceTask(data, PerformanceRNNConfig(**TINY), seq_len=16, batch_size=16, augment=False)
    out = tmp_path_factory.mktemp("prnn")
    cfg = TrainConfig(epochs=40, max_steps=STEPS, batch_size=16, lr=0.03, warmup_steps=5, patience=0,
                      eval_every=STEPS, checkpoint_every=0, device="cpu")
    metrics = run_training(train(task, cfg, out))
    return out, metrics


def generate(folder, **options) -> list[Score]:
    gen = PerformanceRNNGenerator(folder, device="cpu")
    request = GenerationRequest(options=GenerationOptions(**options), bars=2, variations=3, random_seed=5)
    return run_generation(gen.generate(request))


def test_training_on_the_shared_loop_learns_and_the_card_carries_the_controls(trained):
    folder, metrics = trained
    assert metrics["best_valid_loss"] < 4.6  # uniform over the 388 events is 5.96
    card = load_checkpoint(folder)[1]
    assert card["controls"]["density_median"] > 1 and len(card["controls"]["histogram_mean"]) == 12
    assert card["training"]["pieces"] == {"train": 10, "valid": 1, "test": 1}


def test_every_step_reads_the_asked_key_and_density(trained, monkeypatch):
    """The mechanism of the conditioning (that it moves what is played is measured on the bundled model:
    test_performance_rnn_bundled.py and cadenza eval)."""
    folder, _ = trained
    gen = PerformanceRNNGenerator(folder, device="cpu")
    seen = []
    step = gen.model.step

    def spy(ids, control, state):
        seen.append(control.clone())
        return step(ids, control, state)

    monkeypatch.setattr(gen.model, "step", spy)
    options = GenerationOptions(pitch_profile="F# major", density=20)  # 10 notes per second at 120 bpm 4/4
    run_generation(gen.generate(GenerationRequest(options=options, bars=1, variations=2)))
    expected = torch.as_tensor(control_vector(key_profile("F# major"), density_bin(10.0)))
    assert len(seen) > 10 and all(torch.equal(c, expected.expand(2, -1)) for c in seen)
    assert density_bin(10.0) == 4


def test_provenance_records_the_asked_and_played_controls_and_timing_is_not_on_a_grid(trained):
    folder, _ = trained
    score = generate(folder, pitch_profile="2 0 1 0 1 1 0 1 0 1 0 1", density=8)[0]
    controls = score.provenance["controls"]
    assert controls["asked"]["pitch_classes"] == pytest.approx(list(key_profile("C major")), abs=1e-4)
    assert controls["asked"]["notes_per_second"] == 4.0 and "played" in controls
    notes = score.tracks[0].notes
    assert score.tempos[0].bpm == 120.0 and len({n.velocity for n in notes}) > 3
    assert any(n.start % 60 for n in notes)  # not on a sixteenth grid


def test_save_then_load_gives_the_same_weights_and_the_same_music(trained):
    folder, _ = trained
    state, card = load_checkpoint(folder)
    gen = PerformanceRNNGenerator(folder, device="cpu")
    assert card["arch"] == "performance-rnn" and card["controls"]["density_median"] > 0
    assert all(torch.equal(state[k], v) for k, v in gen.model.state_dict().items())
    first, again = generate(folder, pitch_profile="A minor"), generate(folder, pitch_profile="A minor")
    assert [s.tracks for s in first] == [s.tracks for s in again]
    assert first[0].tracks != first[1].tracks  # the variations differ


def test_carried_state_samples_exactly_what_rerunning_the_window_samples(trained):
    folder, _ = trained
    model = PerformanceRNNGenerator(folder, device="cpu").model
    control = np.zeros(20, dtype=np.float32)
    control[:12], control[14] = key_profile("D major"), 1.0
    seed = [256, 375, 62, 300, 66]
    a = carried_state_generate(model, seed, control, 40, make_generator(3, torch.device("cpu")))
    b = window_refeed_generate(model, seed, control, 40, make_generator(3, torch.device("cpu")), window=1000)
    assert a == b


def test_a_seed_gives_the_pitch_classes_by_default_and_an_unknown_profile_is_refused(trained):
    folder, _ = trained
    seed = Score(tracks=(Track("p", 0, False, tuple(Note(i * 240, (61, 63, 66, 68, 70)[i % 5], 200) for i in range(20))),),
                 tempos=(TempoChange(0, 90.0),), time_signatures=(TimeSignature(0, 3, 4),))
    gen = PerformanceRNNGenerator(folder, device="cpu")
    score = run_generation(gen.generate(GenerationRequest(seed=seed, bars=2, variations=1)))[0]
    # written at the seed's one tempo and meter, lasting the asked bars (4 s at 90 bpm in 3/4)
    assert score.tempos == (TempoChange(0, 90.0),) and score.time_signatures == (TimeSignature(0, 3, 4),)
    assert max(n.end for n in score.tracks[0].notes) <= 2 * 3 * 480
    asked = score.provenance["controls"]["asked"]["pitch_classes"]
    assert [i for i, x in enumerate(asked) if x > 0] == [1, 3, 6, 8, 10]
    with pytest.raises(GenerationError, match="Key / pitch classes must be"):
        run_generation(gen.generate(GenerationRequest(options=GenerationOptions(pitch_profile="1 2 3"))))
