"""Restyling: a clip's sound after a reference recording, by optimising a waveform under a random network.

Both clips are brought to the network's sample rate and to one loudness.
The output waveform starts at the content clip (plus a faint noise, 40 dB
below it, drawn from the random seed, so seeds differ) and L-BFGS (as Gatys
et al. and Ulyanov used; one iteration a step, no line search) moves its
samples to lower

    content_weight * |F(x) - F(content)|^2 / |F(content)|^2
  + style_weight * |G(x) - G(style)|^2 / |G(style)|^2

where F are the random network's activations on the log1p-magnitude STFT
frames of a clip (the gradient flows back through the STFT) and G their Gram
matrix. Both losses are relative (0: a perfect match, 1: as far as silence),
so the weights read the same for any clips. The result is brought back to the
content's loudness, resampled to the caller's rate and cut to the content's
length.

Why the waveform and not the spectrogram: an optimised magnitude spectrogram
need not be the spectrogram of any sound, and Griffin-Lim's nearest sound
lost most of the style (the first version, commit c764955: style loss 0.45 ->
0.0073 on the spectrogram but 0.094 on the sound; optimising the waveform,
0.0067 on the sound at a lower content loss; the card's "exploration"). Why the
content as the start and not noise (Gatys et al., Ulyanov): the one random
layer sees 513 bins through 384 filters and no phase, so a start from noise
keeps what the network cannot see of it (the card's figure "from noise");
from the content, what the style term does not change stays the content. Why L-BFGS and not Adam: Adam moves every sample by about
its step size whatever the gradient, which is hiss; with the style weight at
0, Adam (0.002) left the content 3.7% away in log spectrum and L-BFGS 0.6%,
and L-BFGS reached lower losses in fewer steps (4 s of the piano seed, style
weight 10, 200 steps: content 0.267, style 0.0067 against Adam's 0.284 and
0.0091).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from app.core.errors import GenerationError
from models.audio_common.data import resample
from models.common.checkpoint import load_network
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import Cancelled, GenerationRequest, GenerationRun, Generator
from models.style_transfer import SPEC
from models.style_transfer.model import StyleFeatures, StyleFeaturesConfig, gram
from models.style_transfer.spectrogram import log_magnitude, stft

HISTORY_SIZE = 20  # L-BFGS's remembered steps
START_NOISE = 0.01  # sd of the random seed's noise at the start, relative to LEVEL_RMS (-40 dB)
LEVEL_RMS = 0.1  # both clips are analysed at this loudness, so the style clip's level is not its style
SILENCE_RMS = 1e-4  # quieter than -80 dBFS RMS: silent
MIN_SECONDS = 0.25
MAX_CONTENT_SECONDS = 300  # L-BFGS keeps 2 * HISTORY_SIZE copies of the waveform: 1 GB at 5 minutes
MAX_STEPS = 10_000
REPORT_EVERY = 5  # steps between calls of ``progress``
OOM_HINT = "restyle a shorter clip, or run on the CPU"

ProgressCallback = Callable[[float], None]


class StyleTransferGenerator(Generator):
    """The bundled random network, ready to restyle clips (it writes sound, so it makes no notes)."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        network, self.config, self.card = load_network(self.checkpoint_dir, self.device, SPEC.name, StyleFeaturesConfig, StyleFeatures)
        self.model = network.requires_grad_(False)
        self.history: list[tuple[float, float]] = []  # the last restyle's (content, style) loss at each step

    def generate(self, request: GenerationRequest) -> GenerationRun:
        raise GenerationError(f"The {SPEC.display_name} model writes sound, not notes; use Restyle in the Audio Lab.")

    # -- restyling ----------------------------------------------------------------------------

    def restyle(self, content: np.ndarray, style: np.ndarray, sample_rate: int, *, content_weight: float = 1.0,
                style_weight: float = 1.0, steps: int = 200, random_seed: int = 0,
                progress: ProgressCallback | None = None,
                cancelled: Callable[[], bool] | None = None) -> np.ndarray:
        """``content`` with the sound of ``style``: float32 mono at ``sample_rate``, as long as ``content``.

        ``progress(fraction)`` is called every few steps; when ``cancelled()`` returns True the work stops
        with :class:`~models.common.generator.Cancelled` ("Restyling was cancelled.")."""
        _check_settings(sample_rate, content_weight, style_weight, steps)
        content_clip, content_rms = self._prepare(content, sample_rate, "content")
        style_clip, _ = self._prepare(style, sample_rate, "style")
        with gpu_memory_guard(OOM_HINT):
            targets = self._targets(content_clip, style_clip)
            noise = torch.randn(content_clip.shape, generator=torch.Generator().manual_seed(int(random_seed)))
            start = content_clip + (START_NOISE * LEVEL_RMS) * noise.to(self.device)
            audio = self._optimise(start, targets, content_weight, style_weight, steps, progress, cancelled)
        out = audio.cpu().numpy() * (content_rms / LEVEL_RMS)
        out = _fit_length(resample(out, self.config.sample_rate, sample_rate), len(np.ravel(content)))
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        if peak > 0.999:
            out *= 0.999 / peak
        if progress is not None:
            progress(1.0)
        return out.astype(np.float32)

    def losses(self, output: np.ndarray, content: np.ndarray, style: np.ndarray, sample_rate: int) -> dict[str, float]:
        """The relative content and style losses of ``output`` (a clip) against the two clips, as restyle
        weighs them: ``{"content": ..., "style": ...}`` (0: a perfect match)."""
        clips = [self._prepare(clip, sample_rate, which)[0]
                 for clip, which in ((output, "output"), (content, "content"), (style, "style"))]
        with torch.no_grad(), gpu_memory_guard(OOM_HINT):
            measured = _loss_terms(self._features(clips[0]), self._targets(clips[1], clips[2]))
        return {"content": float(measured[0]), "style": float(measured[1])}

    # -- the parts ----------------------------------------------------------------------------

    def _prepare(self, clip: np.ndarray, sample_rate: int, which: str) -> tuple[torch.Tensor, float]:
        """``clip`` checked, at the network's rate and LEVEL_RMS, on the device; and its own RMS."""
        audio = np.asarray(clip)
        if audio.ndim == 2 and 1 in audio.shape:
            audio = audio.ravel()
        if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.number):
            raise GenerationError(f"The {which} clip must be one channel of samples; mix it down to mono first.")
        audio = audio.astype(np.float64)
        if not np.all(np.isfinite(audio)):
            raise GenerationError(f"The {which} clip holds samples that are not numbers (NaN or infinity).")
        if len(audio) < MIN_SECONDS * sample_rate:
            raise GenerationError(f"The {which} clip is {len(audio) / sample_rate:.2f} s long; restyling needs "
                                  f"at least {MIN_SECONDS} s of each clip.")
        if which == "content" and len(audio) > MAX_CONTENT_SECONDS * sample_rate:
            raise GenerationError(f"The content clip is {len(audio) / sample_rate:.0f} s long; restyle at most "
                                  f"{MAX_CONTENT_SECONDS} s ({MAX_CONTENT_SECONDS // 60} minutes) at a time.")
        rms = float(np.sqrt(np.mean(audio ** 2)))
        if rms < SILENCE_RMS:
            raise GenerationError(f"The {which} clip is silent; restyling needs sound in both clips.")
        audio = resample((audio * (LEVEL_RMS / rms)).astype(np.float32), sample_rate, self.config.sample_rate)
        return torch.from_numpy(audio).to(self.device), rms

    def _features(self, clip: torch.Tensor) -> torch.Tensor:
        """The network's (1, filters, frames) activations on a clip's log1p-magnitude STFT frames."""
        return self.model(log_magnitude(stft(clip, self.config))[None])

    def _targets(self, content_clip: torch.Tensor, style_clip: torch.Tensor) -> "_Targets":
        with torch.no_grad():
            return _Targets(self._features(content_clip), gram(self._features(style_clip)))

    def _optimise(self, start: torch.Tensor, targets: "_Targets", content_weight: float, style_weight: float,
                  steps: int, progress: ProgressCallback | None,
                  cancelled: Callable[[], bool] | None) -> torch.Tensor:
        """The waveform after ``steps`` L-BFGS steps from ``start`` (the best one seen, should a step go wrong)."""
        x = start.clone().requires_grad_(True)
        optimiser = torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=HISTORY_SIZE)
        self.history = []
        best, best_loss = start.clone(), math.inf

        def closure() -> torch.Tensor:
            optimiser.zero_grad(set_to_none=True)
            content_loss, style_loss = _loss_terms(self._features(x), targets)
            loss = content_weight * content_loss + style_weight * style_loss
            loss.backward()
            closure.losses = (float(content_loss.detach()), float(style_loss.detach()), float(loss.detach()))
            return loss

        for step in range(steps):
            if cancelled is not None and cancelled():
                raise Cancelled("Restyling")
            before = x.detach().clone()
            optimiser.step(closure)  # evaluates the losses at ``before``, then moves x
            content_loss, style_loss, loss = closure.losses
            if not math.isfinite(loss):
                break
            self.history.append((content_loss, style_loss))
            if loss < best_loss:
                best, best_loss = before, loss
            if progress is not None and (step + 1) % REPORT_EVERY == 0 and step + 1 < steps:  # 1.0 at the end
                progress((step + 1) / steps)
        if cancelled is not None and cancelled():
            raise Cancelled("Restyling")
        return best


class _Targets:
    """The content clip's activations and the style clip's Gram matrix, with their squared norms."""

    def __init__(self, features: torch.Tensor, style_gram: torch.Tensor) -> None:
        self.features, self.gram = features, style_gram
        self.features_norm = features.pow(2).sum().clamp_min(1e-12)
        self.gram_norm = style_gram.pow(2).sum().clamp_min(1e-12)


def _loss_terms(features: torch.Tensor, targets: _Targets) -> tuple[torch.Tensor, torch.Tensor]:
    """Relative content loss (against the content's activations) and style loss (against the style's Gram)."""
    frames = min(features.shape[-1], targets.features.shape[-1])  # equal, except against another clip's length
    content = (features[..., :frames] - targets.features[..., :frames]).pow(2).sum() / targets.features_norm
    style = (gram(features) - targets.gram).pow(2).sum() / targets.gram_norm
    return content, style


def _check_settings(sample_rate: int, content_weight: float, style_weight: float, steps: int) -> None:
    if not isinstance(sample_rate, (int, np.integer)) or not 1000 <= sample_rate <= 384_000:
        raise GenerationError(f"The sample rate must be a whole number of Hz between 1,000 and 384,000, not {sample_rate}.")
    for name, value in (("content", content_weight), ("style", style_weight)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise GenerationError(f"The {name} weight must be a number of 0 or more, not {value}.")
    if content_weight == 0 and style_weight == 0:
        raise GenerationError("Set the content weight or the style weight above 0; with both at 0 nothing guides the sound.")
    if not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise GenerationError(f"The number of steps must be a whole number between 1 and {MAX_STEPS:,}, not {steps}.")


def _fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """``audio`` cut or padded with silence to ``length`` samples."""
    if len(audio) >= length:
        return audio[:length].copy()
    return np.concatenate([audio, np.zeros(length - len(audio), dtype=audio.dtype)])
