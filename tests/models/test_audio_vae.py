"""audio-vae: shapes and lengths, the loss terms, one training step, vary() and the bundled checkpoint.

The network tests use tiny configs; the vary and reconstruction tests use the bundled checkpoint (0.28 M
parameters, loads in milliseconds) on a clip FluidSynth renders here.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from app.core.errors import CadenzaError, CheckpointError, GenerationError
from models.audio_vae.generate import AudioVAEGenerator
from models.audio_vae.model import AudioVAE, AudioVAEConfig, kl_divergence, vae_loss
from models.audio_vae.train import AudioSplits, AudioVAETask, parse_clips, parse_switch
from models.common.checkpoint import save_checkpoint
from models.registry import BUNDLED_DIR

BUNDLED = BUNDLED_DIR / "audio-vae"
TINY = AudioVAEConfig(width=2, latent=3, strides=[2, 4])  # hop 8
RATE = 3000
SNR_FLOOR_DB = 3.5  # the bundled model on the rendered clip below: measured 5.5 dB (silence: 0 dB)
SPECTRUM_SHARE = 0.3  # its log-spectrum distance against silence's: measured 6.6 of 46.8 dB


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: these tiny convolutions only lose time to a second thread on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_checkpoint(folder: Path) -> Path:
    torch.manual_seed(0)
    model = AudioVAE(TINY)
    save_checkpoint(folder, model.state_dict(), {"arch": "audio-vae", "config": asdict(TINY)})
    return folder


def tone(seconds: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 660 * t)).astype(np.float32)


def snr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    reference = reference.astype(np.float64)
    return 10 * math.log10(np.sum(reference ** 2) / np.sum((reference - estimate) ** 2))


def log_spectrum_distance_db(reference: np.ndarray, estimate: np.ndarray, rate: int) -> float:
    """Mean absolute difference (dB) of the two clips' STFT magnitudes below 1.5 kHz, floored at -80 dB."""
    def db(x):
        spec = torch.stft(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), 512, 128,
                          window=torch.hann_window(512), return_complex=True).abs().numpy()
        return np.maximum(20 * np.log10(np.maximum(spec[: int(1500 / rate * 512)], 1e-12)), -80.0)
    return float(np.mean(np.abs(db(reference) - db(estimate))))


def test_shapes_and_lengths(tmp_path):
    model = AudioVAE(TINY).eval()
    recon, mean, logvar = model(torch.randn(2, 1, 64))
    assert recon.shape == (2, 1, 64) and mean.shape == logvar.shape == (2, 3, 8)
    gen = AudioVAEGenerator(tiny_checkpoint(tmp_path / "tiny"), device="cpu")
    for length, rate in ((1001, RATE), (4410, 44100), (433, 8000)):
        out = gen.reconstruct(np.zeros(length, np.float32) + 0.1, rate)
        assert out.shape == (length,) and out.dtype == np.float32
    assert gen.latent(tone(), RATE).shape == (3, math.ceil(len(tone()) / 8))


def test_kl_is_positive_and_finite():
    torch.manual_seed(1)
    _, mean, logvar = AudioVAE(TINY)(torch.randn(2, 1, 64))
    kl = float(kl_divergence(mean, logvar).detach())
    assert math.isfinite(kl) and kl > 0
    assert float(kl_divergence(torch.zeros(3), torch.zeros(3))) == 0.0  # the prior itself costs nothing
    with torch.no_grad():
        loss, terms = vae_loss(AudioVAE(TINY), torch.randn(2, 1, 64) * 0.1)
    assert all(math.isfinite(float(v)) and float(v) > 0 for v in terms.values()) and math.isfinite(float(loss))


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    clips = [tone(1.0) * g + 0.01 * rng.standard_normal(RATE).astype(np.float32) for g in (0.5, 1.0)]
    task = AudioVAETask(AudioSplits(clips, clips[:1], [], {}), TINY, batch_size=2, crop=512)
    model = task.build_model().eval()  # eval: the latent is the mean, so the loss is a function of the weights
    batch = next(task.train_batches(0))
    assert tuple(batch.shape) == (2, 512)
    before, samples, _ = task.loss(model, batch, torch.device("cpu"))
    assert samples == 1024
    before.backward()
    with torch.no_grad():  # one plain gradient step (torch.optim would import torch._dynamo: seconds)
        for p in model.parameters():
            p -= 1e-3 * p.grad
    with torch.no_grad():
        after, _, _ = task.loss(model, batch, torch.device("cpu"))
    assert float(after) < 0.99 * float(before.detach())


def test_training_batches_are_seeded_and_the_augment_option_changes_them():
    clips = [tone(1.0) * g for g in (0.4, 0.6, 0.8, 1.0)]
    splits = AudioSplits(clips, clips[:1], [], {})
    plain, augmented = (AudioVAETask(splits, TINY, batch_size=4, seed=3, crop=512, augment=a) for a in (False, True))
    again = AudioVAETask(splits, TINY, batch_size=4, seed=3, crop=512, augment=True)
    first = [b.numpy() for b in plain.train_batches(0)]
    assert plain.num_train_batches(0) == len(first) == 2 and first[0].shape == (4, 512)
    assert not np.array_equal(first[0], next(plain.train_batches(1)).numpy())  # each epoch its own crops
    aug = [b.numpy() for b in augmented.train_batches(0)]
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(aug, again.train_batches(0)))  # (seed, epoch) decide
    assert any(not np.array_equal(a, b) for a, b in zip(first, aug)) and np.max(np.abs(np.concatenate(aug))) <= 1.0
    assert augmented.card()["training"]["augment_policy"]["cut_mix_p"] == 0.0
    assert "augment_policy" not in plain.card()["training"]
    with pytest.raises(CadenzaError, match="--augment takes on or off"):
        parse_switch("maybe", "--augment")
    with pytest.raises(CadenzaError, match="--clips-per-source must be between"):
        parse_clips("1")


def test_vary_noise_zero_gives_copies_and_noise_gives_distinct_variations():
    gen = AudioVAEGenerator(BUNDLED, device="cpu")
    clip = tone(0.6, 8000)
    same = gen.vary(clip, 8000, noise_sd=0.0, count=3, random_seed=5)
    assert len(same) == 3 and all(v.shape == clip.shape and v.dtype == np.float32 for v in same)
    assert all(np.array_equal(same[0], v) for v in same[1:])
    assert np.allclose(same[0], gen.reconstruct(clip, 8000), atol=1e-6)
    reported = []
    varied = gen.vary(clip, 8000, noise_sd=1.0, count=3, random_seed=5, progress=reported.append)
    assert reported == pytest.approx([1 / 3, 2 / 3, 1.0])
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.max(np.abs(varied[i] - varied[j])) > 1e-3
    again = gen.vary(clip, 8000, noise_sd=1.0, count=3, random_seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(varied, again))  # same random seed, same variations
    with pytest.raises(CadenzaError, match="^Varying was cancelled.$"):
        gen.vary(clip, 8000, noise_sd=1.0, count=3, cancelled=lambda: True)


def test_bad_clips_and_settings_are_one_sentence():
    gen = AudioVAEGenerator(BUNDLED, device="cpu")
    stereo = np.zeros((100, 2), np.float32)
    broken = tone()
    broken[3] = np.nan
    for call, words in ((lambda: gen.vary(stereo, RATE, noise_sd=0.1), "mix it down to mono"),
                        (lambda: gen.vary(broken, RATE, noise_sd=0.1), "not numbers"),
                        (lambda: gen.vary(tone()[:10], RATE, noise_sd=0.1), "at least"),
                        (lambda: gen.vary(tone(), RATE, noise_sd=-1.0), "latent noise sd"),
                        (lambda: gen.vary(tone(), RATE, noise_sd=0.1, count=0), "number of variations")):
        with pytest.raises(GenerationError) as err:
            call()
        assert words in str(err.value) and str(err.value).count(". ") == 0 and "\n" not in str(err.value)


def test_bundled_checkpoint_reconstructs_a_rendered_clip():
    from app.audio.synth import Synth
    from app.core.score import Note, Score, Track

    gen = AudioVAEGenerator(BUNDLED, device="cpu")
    pitches = (60, 64, 67, 72, 67, 64, 62, 65)
    score = Score(tracks=[Track(name="piano", program=0, notes=tuple(
        Note(pitch=p, start=i * 240, duration=240, velocity=90) for i, p in enumerate(pitches)))])
    synth = Synth(sample_rate=8000)
    try:
        audio = synth.render(score).mean(axis=1).astype(np.float32)
    finally:
        synth.close()
    clip = audio[: 8000 * 2]
    out = gen.reconstruct(clip, 8000)
    assert out.shape == clip.shape
    from models.audio_common.data import resample

    low = resample(resample(clip, 8000, RATE), RATE, 8000)  # what the model's 3 kHz can hold at all
    snr, distance = snr_db(low, out), log_spectrum_distance_db(low, out, 8000)
    silence = log_spectrum_distance_db(low, np.zeros_like(low), 8000)
    assert snr > SNR_FLOOR_DB
    assert distance < SPECTRUM_SHARE * silence


def test_a_truncated_checkpoint_is_one_sentence(tmp_path):
    folder = tmp_path / "cut"
    shutil.copytree(BUNDLED, folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    with pytest.raises(CheckpointError) as err:
        AudioVAEGenerator(folder, device="cpu")
    message = str(err.value)
    assert "\n" not in message and message.endswith(".") and "Traceback" not in message


def test_the_registry_loads_the_bundled_checkpoint_and_the_spec_says_sound():
    from models.common.generator import GenerationRequest
    from models.common.spec import AUDIO
    from models.registry import get_spec, load_generator

    spec = get_spec("audio-vae")
    assert spec.audio_out and spec.seeds == frozenset({AUDIO}) and spec.roles == () and "noise_sd" in spec.options
    assert (BUNDLED / "model.safetensors").stat().st_size < 20 * 2 ** 20
    generator = load_generator("audio-vae", device="cpu")
    assert isinstance(generator, AudioVAEGenerator) and generator.sample_rate == RATE
    card = generator.card
    assert card["training"]["command"].startswith("cadenza train --model audio-vae")
    assert card["metrics"]["held_out"]["latent_bitrate_bits_per_s"] == 12000.0
    with pytest.raises(GenerationError, match="writes sound, not notes"):
        generator.generate(GenerationRequest())
