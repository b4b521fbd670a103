"""style-transfer: the Gram matrix's known answers, restyling that keeps the content or moves to the style,
cancel, bad clips in one sentence, determinism, and the bundled network remade from its seed."""

import numpy as np
import pytest
import torch

from app.core.errors import GenerationError
from models.common.card import read_card
from models.common.generator import Cancelled, GenerationRequest
from models.common.spec import AUDIO
from models.registry import BUNDLED_DIR, get_spec, load_generator
from models.style_transfer.generate import StyleTransferGenerator
from models.style_transfer.make_checkpoint import make_checkpoint
from models.style_transfer.model import StyleFeaturesConfig, gram

RATE = 16000  # the caller's rate; the network works at 22,050 Hz


def tones(seconds: float, rate: int = RATE) -> np.ndarray:
    """Three plucked notes (C4, E4, G4) with five harmonics each: the content."""
    t = np.arange(int(seconds * rate)) / rate
    out = np.zeros_like(t)
    for i, f in enumerate((261.6, 329.6, 392.0)):
        start = i * seconds / 3
        on = t >= start
        env = np.exp(-(t - start) * 6.0) * on
        out += env * sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 6))
    return (0.2 * out / np.max(np.abs(out))).astype(np.float32)


def bowed(seconds: float, rate: int = RATE) -> np.ndarray:
    """A sustained bright tone with vibrato over a bed of noise: the style."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * (220.0 * t + 2.0 * np.sin(2 * np.pi * 5.0 * t))
    tone = sum(np.sin(k * phase) / k ** 0.5 for k in range(1, 20))
    noise = np.random.default_rng(1).normal(0, 0.3, len(t))
    return (0.1 * (tone + noise) / 4).astype(np.float32)


@pytest.fixture(scope="module")
def small(tmp_path_factory, one_torch_thread):
    """A 32-filter network drawn like the bundled one (same code, fewer filters: fast)."""
    folder = tmp_path_factory.mktemp("style-transfer")
    make_checkpoint(folder, seed=0, config=StyleFeaturesConfig(filters=32))
    return StyleTransferGenerator(folder, device="cpu")


def log_spectrum(audio: np.ndarray) -> np.ndarray:
    return np.log1p(np.abs(np.fft.rfft(audio.reshape(-1, 400) * np.hanning(400), axis=1)))


def test_the_gram_matrix_of_constant_features_is_the_constant_squared_everywhere():
    assert torch.allclose(gram(torch.full((1, 5, 40), 3.0)), torch.full((1, 5, 5), 9.0))
    alternating = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 2.0]])  # never on together
    assert torch.equal(gram(alternating), torch.tensor([[0.5, 0.0], [0.0, 2.0]]))


def test_without_style_weight_the_output_stays_the_content_at_its_length(small):
    content, style = tones(1.0)[:15_999], bowed(1.0)
    out = small.restyle(content, style, RATE, style_weight=0.0, steps=20)
    assert out.dtype == np.float32 and out.shape == content.shape
    a, b = log_spectrum(out[:15_600]), log_spectrum(content[:15_600])
    assert np.linalg.norm(a - b) / np.linalg.norm(b) < 0.05
    assert np.sqrt(np.mean(out ** 2)) == pytest.approx(np.sqrt(np.mean(content ** 2)), rel=0.05)


def test_a_high_style_weight_moves_the_gram_matrices_toward_the_style(small):
    content, style = tones(1.0), bowed(1.5)
    fractions = []
    out = small.restyle(content, style, RATE, style_weight=20.0, steps=60, progress=fractions.append)
    before, after = small.losses(content, content, style, RATE), small.losses(out, content, style, RATE)
    assert before["content"] == 0.0 and after["style"] < before["style"] / 2
    assert after["content"] < small.losses(style, content, style, RATE)["content"]  # between the two clips
    style_losses = [s for _, s in small.history]
    assert style_losses[-1] < style_losses[0] / 2
    assert sum(b > a * 1.05 for a, b in zip(style_losses, style_losses[1:])) <= len(style_losses) // 10
    assert fractions == sorted(fractions) and fractions[0] > 0 and fractions[-1] == 1.0 and len(fractions) >= 12


def test_cancelling_stops_the_restyling_in_one_sentence(small):
    asked = []

    def cancelled():
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(Cancelled) as stopped:
        small.restyle(tones(1.0), bowed(1.0), RATE, steps=200, cancelled=cancelled)
    assert str(stopped.value) == "Restyling was cancelled." and len(asked) == 4


def test_the_same_random_seed_gives_the_same_sound_and_another_seed_another(small):
    content, style = tones(0.5), bowed(0.5)
    one, again, other = (small.restyle(content, style, RATE, steps=3, random_seed=s) for s in (7, 7, 8))
    assert np.array_equal(one, again) and not np.array_equal(one, other)


@pytest.mark.parametrize("content, style, settings, sentence", [
    (np.zeros(RATE, np.float32), bowed(1.0), {}, "The content clip is silent; restyling needs sound in both clips."),
    (tones(1.0), bowed(0.1), {}, "The style clip is 0.10 s long; restyling needs at least 0.25 s of each clip."),
    (np.where(np.arange(RATE) == 5, np.nan, tones(1.0)), bowed(1.0), {},
     "The content clip holds samples that are not numbers (NaN or infinity)."),
    (tones(1.0), np.stack([bowed(1.0)] * 2), {}, "The style clip must be one channel of samples; mix it down to mono first."),
    (tones(1.0), bowed(1.0), {"content_weight": 0.0, "style_weight": 0.0},
     "Set the content weight or the style weight above 0; with both at 0 nothing guides the sound."),
    (np.full(301 * RATE, 0.1, np.float32), bowed(1.0), {},
     "The content clip is 301 s long; restyle at most 300 s (5 minutes) at a time."),
    (tones(1.0), bowed(1.0), {"steps": 0}, "The number of steps must be a whole number between 1 and 10,000, not 0."),
])
def test_bad_clips_and_settings_are_one_sentence(small, content, style, settings, sentence):
    with pytest.raises(GenerationError) as refused:
        small.restyle(content, style, RATE, **settings)
    assert str(refused.value) == sentence


def test_the_bundled_network_is_the_one_its_card_command_draws(tmp_path):
    card = read_card(BUNDLED_DIR / "style-transfer")
    assert card["training"]["command"] == "python -m models.style_transfer.make_checkpoint --seed 0"
    remade = make_checkpoint(tmp_path, seed=card["training"]["seed"])
    assert remade["weights_sha256"] == card["weights_sha256"]
    assert (BUNDLED_DIR / "style-transfer" / "model.safetensors").stat().st_size < 5 * 2 ** 20
    spec = get_spec("style-transfer")
    assert spec.audio_out and spec.seeds == frozenset({AUDIO}) and spec.training is None
    generator = load_generator("style-transfer", device="cpu")
    assert generator.model.conv.weight.shape == (384, 513, 11)
    with pytest.raises(GenerationError, match="writes sound, not notes"):
        generator.generate(GenerationRequest())
