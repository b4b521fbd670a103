"""audio-lstm: μ-law known answers, shapes, one training step, carried state against windowed recomputation,
continue_clip (length, determinism, progress, cancel, bad input), training from recordings, the bundled model.

The network tests use tiny configs; the last test continues a clip FluidSynth renders here with the bundled
checkpoint.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from app.core.errors import GenerationError
from models.audio_lstm import mulaw
from models.audio_lstm.clips import per_clip
from models.audio_lstm.generate import AudioLSTMGenerator, Sampler, carried_continue, windowed_continue
from models.audio_lstm.model import AudioLSTM, AudioLSTMConfig, mulaw_decode, mulaw_encode
from models.audio_lstm.train import AudioLSTMTask, load_clips, next_sample_loss
from models.common.checkpoint import save_checkpoint
from models.common.generator import Cancelled
from models.registry import BUNDLED_DIR

BUNDLED = BUNDLED_DIR / "audio-lstm"
RATE = 3000
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny(head: str = "mulaw", frame: int = 4) -> AudioLSTMConfig:
    return AudioLSTMConfig(head=head, hidden=8, layers=2, frame=frame)


def tiny_checkpoint(folder: Path, head: str = "mulaw") -> Path:
    torch.manual_seed(0)
    save_checkpoint(folder, AudioLSTM(tiny(head)).state_dict(),
                    {"arch": "audio-lstm", "config": asdict(tiny(head)), "metrics": {"valid_cross_entropy": 1e-4}})
    return folder


def tone(seconds: float = 0.2, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)


def test_mulaw_known_answers():
    assert mulaw.encode(np.array([-1.0, -0.5, 0.0, 0.5, 1.0])).tolist() == [0, 16, 128, 239, 255]
    assert mulaw.compress(np.array([0.5]))[0] == pytest.approx(math.log(128.5) / math.log(256))
    assert mulaw.decode(np.array([0, 255])).tolist() == [-1.0, 1.0]
    assert mulaw.decode(np.array([128]))[0] == pytest.approx((256 ** (1 / 255) - 1) / 255)
    classes = np.arange(256)
    assert (mulaw.encode(mulaw.decode(classes)) == classes).all()
    x = np.random.default_rng(0).uniform(-1, 1, 2000)
    assert (np.searchsorted(mulaw.bin_edges(), x, side="right") - 1 == mulaw.encode(x)).all()
    assert (mulaw_encode(torch.from_numpy(x).float()).numpy() == mulaw.encode(x.astype(np.float32))).mean() > 0.999
    assert torch.equal(mulaw_encode(mulaw_decode(torch.arange(256))), torch.arange(256))


def test_shapes():
    x = torch.from_numpy(np.stack([tone(0.02), -tone(0.02)]))  # (2, 60)
    for head, classes in (("mulaw", 256), ("regression", 1)):
        model = AudioLSTM(tiny(head)).eval()
        out, (h, c) = model(x)
        assert out.shape == (2, 60, classes) and h.shape == c.shape == (2, 2, 8)
        step_out, _ = model.step(model.inputs(x[:, -4:]), (h, c))
        assert step_out.shape == (2, classes)
        assert model.predict(out).shape == (2, 60)


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    x = torch.from_numpy(np.stack([tone(0.05), 0.5 * tone(0.05)]))
    for head in ("mulaw", "regression"):
        torch.manual_seed(0)
        model = AudioLSTM(tiny(head))
        before, samples, _ = next_sample_loss(model, x)
        before.backward()
        with torch.no_grad():  # one plain gradient step (the training loop's AdamW is tested elsewhere)
            for p in model.parameters():
                p -= 0.05 * p.grad
        with torch.no_grad():
            after, _, _ = next_sample_loss(model, x)
        assert samples == 2 * 149 and float(after) < float(before.detach())


def test_carried_state_equals_windowed_recomputation():
    seed = torch.from_numpy(tone(0.005))  # 15 samples: the window (100) holds the whole history for 85 steps
    for head in ("mulaw", "regression"):
        torch.manual_seed(1)
        model = AudioLSTM(tiny(head)).eval()
        carried, windowed = [], []
        a = carried_continue(model, seed, 40, Sampler(model, 1.0, 7, 0.01), outputs=carried)
        b = windowed_continue(model, seed, 40, Sampler(model, 1.0, 7, 0.01), window=100, outputs=windowed)
        assert torch.allclose(torch.stack(carried), torch.stack(windowed), atol=1e-5)
        assert torch.allclose(a, b, atol=1e-6) and a.abs().sum() > 0


def test_continue_clip_length_determinism_and_progress(tmp_path):
    gen = AudioLSTMGenerator(tiny_checkpoint(tmp_path / "tiny"), device="cpu")
    seen = []
    out = gen.continue_clip(tone(0.1, 8000), 8000, seconds=0.1, random_seed=3, progress=seen.append)
    assert out.shape == (800,) and out.dtype == np.float32 and np.isfinite(out).all()
    assert seen == [256 / 300, 1.0]  # 300 samples at the model's 3 kHz, a report every 256
    assert np.array_equal(out, gen.continue_clip(tone(0.1, 8000), 8000, seconds=0.1, random_seed=3))
    assert not np.array_equal(out, gen.continue_clip(tone(0.1, 8000), 8000, seconds=0.1, random_seed=4))
    stereo = np.stack([tone(0.1, 44100)] * 2, axis=1)
    assert gen.continue_clip(stereo, 44100, seconds=0.01).shape == (441,)


def test_regression_head_continues_with_noise(tmp_path):
    gen = AudioLSTMGenerator(tiny_checkpoint(tmp_path / "reg", "regression"), device="cpu")
    assert gen.noise_sd == pytest.approx(0.01)
    out = gen.continue_clip(tone(), RATE, seconds=0.1, temperature=2.0)
    assert out.shape == (300,) and np.isfinite(out).all() and out.std() > 0


def test_cancel_stops_the_continuation(tmp_path):
    gen = AudioLSTMGenerator(tiny_checkpoint(tmp_path / "tiny"), device="cpu")
    polls = []

    def cancelled():
        polls.append(1)
        return len(polls) > 2

    with pytest.raises(Cancelled) as err:
        gen.continue_clip(tone(), RATE, seconds=10.0, cancelled=cancelled)
    assert str(err.value) == "Continuing was cancelled." and len(polls) == 3


def test_bad_clips_and_settings_are_one_sentence(tmp_path):
    gen = AudioLSTMGenerator(tiny_checkpoint(tmp_path / "tiny"), device="cpu")
    for call, words in ((lambda: gen.continue_clip(np.zeros(0), RATE, seconds=1.0), "empty"),
                        (lambda: gen.continue_clip(np.array([0.1, np.nan]), RATE, seconds=1.0), "broken"),
                        (lambda: gen.continue_clip(tone(), RATE, seconds=0.0), "seconds"),
                        (lambda: gen.continue_clip(tone(), RATE, seconds=1.0, temperature=0.0), "temperature"),
                        (lambda: gen.continue_clip(tone(), 50, seconds=1.0), "sample rate")):
        with pytest.raises(GenerationError) as err:
            call()
        message = str(err.value)
        assert words in message and message.endswith(".") and message.count(". ") == 0 and "\n" not in message


def test_training_task_on_a_folder_of_recordings(tmp_path):
    """What ``cadenza train --model audio-lstm --data FOLDER`` hands the shared loop: pieces held out whole,
    windows of levelled samples, a loss per sample (the loop itself is tested in test_train_loop.py)."""
    data = tmp_path / "wavs"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        sf.write(str(data / f"take{i}.wav"), np.tile(tone(1.0, 8000), 9) * (0.5 + 0.1 * i)
                 + 0.01 * rng.standard_normal(72000), 8000)
    train, valid, test, info = load_clips([str(data)], RATE, 8, seed=0)
    assert info["pieces"] == {"train": 3, "valid": 1, "test": 0} and len(train) + len(valid) == 8
    assert len(info["held_out"]["valid"]) == 1 and info["held_out"]["valid"][0].startswith("take")
    task = AudioLSTMTask(train, valid, test, tiny(), seq_len=256, batch_size=4, seed=0, info=info)
    batches = list(task.train_batches(0))
    assert len(batches) == task.num_train_batches(0) == -(-len(train) * per_clip(12000, 256) // 4)
    assert batches[0].shape == (4, 257) and [b.shape for b in task.train_batches(0)] == [b.shape for b in batches]
    level = float(torch.sqrt((batches[0] ** 2).mean()))
    assert 0.07 < level < 0.13  # clips brought to RMS 0.1
    loss, samples, _ = task.loss(task.build_model(), batches[0], torch.device("cpu"))
    assert samples == 4 * 256 and abs(float(loss.detach()) - math.log(256)) < 0.2  # a new model guesses about uniformly
    assert task.card()["training"]["clips"]["train"] == len(train) and task.test_batches() is None


def test_bundled_checkpoint_continues_a_rendered_clip():
    from app.audio.synth import Synth
    from app.core.score import Note, Score, Track

    gen = AudioLSTMGenerator(BUNDLED, device="cpu")
    score = Score(tracks=[Track(name="piano", program=0, notes=[
        Note(pitch=p, start=i * 240, duration=240, velocity=90) for i, p in enumerate((60, 64, 67, 72))])])
    synth = Synth(sample_rate=8000)
    try:
        audio = synth.render(score).mean(axis=1).astype(np.float32)
    finally:
        synth.close()
    clip = audio[:8000]
    out = gen.continue_clip(clip, 8000, seconds=0.1, random_seed=0)
    assert out.shape == (800,) and np.isfinite(out).all()
    rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    assert rms > 0.05 * float(np.sqrt(np.mean(clip.astype(np.float64) ** 2)))  # not silent
    assert np.abs(out).max() < 1.0


def test_the_spec_is_a_sound_model_the_audio_lab_continues_with():
    from models.audio_lstm import SPEC
    from models.common.spec import AUDIO

    assert SPEC.audio_out and SPEC.seeds == frozenset({AUDIO}) and SPEC.roles == () and SPEC.options == ("temperature",)
    assert SPEC.extra["action"] == "continue" and SPEC.training.default_data == ("corpus:chorales",)
    assert {s.name for s in SPEC.training.sizes} >= {"head", "frame", "hidden", "layers", "sample_rate"}
