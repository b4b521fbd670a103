"""Continuing a clip with the sample-level LSTM: read the seed once, then one LSTM step per new sample.

:meth:`AudioLSTMGenerator.continue_clip` resamples the clip to the model's rate, brings it to the level the
model learned at (``clips.py``), runs the network over its last :data:`WARM_SECONDS` once, and then samples
the continuation one sample at a time, carrying (h, c): the window is never run again. The μ-law head draws
one of 256 classes from its softmax at the temperature; the regression head (the write-up's) adds Gaussian
noise to its prediction, of its own error's sd (``noise_sd``) times the temperature (without noise a
regression settles into a smooth guess of the mean). The continuation is scaled back, resampled to the caller's rate and returned alone.
:func:`windowed_continue` is the stateless way (each sample from the last ``window`` samples, zero state),
the reference the tests compare the carried state with.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from app.core.errors import GenerationError
from models.common.checkpoint import load_network
from models.common.device import resolve_device
from models.common.generator import Cancelled, GenerationRequest, GenerationRun, Generator
from models.common.options import option

from models.audio_lstm import SPEC
from models.audio_lstm.clips import level_gain
from models.audio_lstm.model import MU, AudioLSTM, AudioLSTMConfig, mulaw_decode

WARM_SECONDS = 4.0  # of the seed the network reads (its training clips' length)
MAX_SECONDS = 60.0  # the longest continuation asked for at once
CHUNK = 256  # samples between progress reports and looks at ``cancelled``
RATES = (1000, 192000)


class Sampler:
    """Draws the next sample from the network's output, the same way for carried and windowed sampling: the
    random numbers are drawn ahead from ``random_seed`` (one per sample, ``count`` of them)."""

    def __init__(self, model: AudioLSTM, temperature: float, random_seed: int, noise_sd: float,
                 count: int = 4096) -> None:
        self.mulaw = model.config.head == "mulaw"
        self.temperature, self.noise_sd = float(temperature), float(noise_sd)
        device = next(model.parameters()).device
        rng = np.random.default_rng(int(random_seed))
        draws = rng.random(count) if self.mulaw else rng.standard_normal(count) * self.noise_sd * self.temperature
        self.draws = torch.as_tensor(draws, dtype=torch.float32, device=device)[:, None, None]  # (count, 1, 1)
        self.used = 0
        self.values = mulaw_decode(torch.arange(MU + 1)).to(device)
        self.features = model.inputs(self.values)  # (256, 2): what the network reads of each class
        self.inputs = model.inputs

    def __call__(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``out`` (1, classes) -> the next sample (1,) and what the network reads of it (1, 2)."""
        draw = self.draws[self.used]
        self.used += 1
        if self.mulaw:
            cdf = torch.softmax(out / self.temperature, -1).cumsum(-1)  # (1, 256)
            q = torch.searchsorted(cdf, draw * cdf[:, -1:]).clamp(max=MU)[:, 0]
            return self.values[q], self.features[q]
        x = (out[:, 0] + draw[0]).clamp(-1.0, 1.0)
        return x, self.inputs(x)


@torch.inference_mode()
def carried_continue(model: AudioLSTM, seed: torch.Tensor, n: int, sampler: Sampler,
                     on_chunk: Callable[[int], None] | None = None, outputs: list | None = None) -> torch.Tensor:
    """``n`` samples after ``seed`` (T,) (levelled, T >= 1), one recurrent step each; ``on_chunk(done)`` every
    :data:`CHUNK` samples; ``outputs`` (when given) collects the network's output before each sample."""
    out, state = model(seed[None])  # (1, T, classes)
    out = out[:, -1]
    k = model.config.frame
    frame = F.pad(model.inputs(seed), (0, 0, max(0, k - len(seed)), 0))[-k:][None]  # (1, k, 2), zeros first
    samples = torch.empty(n, device=seed.device)
    for i in range(n):
        if outputs is not None:
            outputs.append(out[0].clone())
        x, features = sampler(out)
        samples[i] = x[0]
        if i + 1 < n:
            frame = torch.cat([frame[:, 1:], features[:, None]], 1)
            out, state = model.step(frame, state)
        if on_chunk is not None and (i + 1) % CHUNK == 0 and i + 1 < n:
            on_chunk(i + 1)
    return samples


@torch.inference_mode()
def windowed_continue(model: AudioLSTM, seed: torch.Tensor, n: int, sampler: Sampler, window: int,
                      outputs: list | None = None) -> torch.Tensor:
    """The stateless way: each new sample from the last ``window`` samples, run from a zero state."""
    history = seed.clone()
    for _ in range(n):
        out, _ = model(history[-window:][None])
        if outputs is not None:
            outputs.append(out[0, -1].clone())
        history = torch.cat([history, sampler(out[:, -1])[0]])
    return history[len(seed):]


def noise_sd(card: dict) -> float:
    """The regression's error sd: the card's ``noise_sd`` (measured on training windows, see ``measure.py``),
    else the root of the held-out mean squared error the training loop recorded."""
    if isinstance(card.get("noise_sd"), (int, float)):
        return float(card["noise_sd"])
    mse = (card.get("metrics") or {}).get("valid_cross_entropy")
    return math.sqrt(mse) if isinstance(mse, (int, float)) and mse > 0 else 0.0


class AudioLSTMGenerator(Generator):
    """A loaded audio-lstm checkpoint: :meth:`continue_clip` continues a clip of audio."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        self.model, self.config, self.card = load_network(self.checkpoint_dir, self.device, "audio-lstm",
                                                          AudioLSTMConfig, AudioLSTM)
        self.noise_sd = noise_sd(self.card) if self.config.head == "regression" else 0.0

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def generate(self, request: GenerationRequest) -> GenerationRun:
        raise GenerationError(f"{self.spec.display_name} works on sound, not notes: use Continue in the Audio Lab.")
        yield  # pragma: no cover (a generator, as the interface asks)

    def continue_clip(self, clip: np.ndarray, sample_rate: int, *, seconds: float, temperature: float = 1.0,
                      random_seed: int = 0, progress: Callable[[float], None] | None = None,
                      cancelled: Callable[[], bool] | None = None) -> np.ndarray:
        """The next ``seconds`` of ``clip`` (mono, or (frames, channels) mixed to mono) at ``sample_rate``:
        float32 mono of exactly round(seconds x sample_rate) samples, the continuation alone.

        ``progress(fraction)`` is called every few hundred samples (at the model's rate); ``cancelled`` is
        polled as often, and when it returns True the work stops with
        :class:`~models.common.generator.Cancelled` ("Continuing was cancelled."). The
        same clip, seconds, temperature and random seed give the same samples. GenerationError (one sentence)
        for an empty or broken clip or a length, rate or temperature out of range.
        """
        from models.audio_common.data import resample

        seed, total = self._check(clip, sample_rate, seconds, temperature)
        rate = self.config.sample_rate
        at_model = resample(seed, sample_rate, rate)[-int(WARM_SECONDS * rate):]
        if len(at_model) == 0:
            raise GenerationError("The clip is too short to continue: give it at least a few milliseconds of sound.")
        gain = level_gain(at_model, self.config.level_rms)
        n = max(1, int(math.ceil(seconds * rate)))
        sampler = Sampler(self.model, temperature, random_seed, self.noise_sd, n)

        def on_chunk(done: int) -> None:
            if cancelled is not None and cancelled():
                raise Cancelled("Continuing")
            if progress is not None:
                progress(done / n)

        if cancelled is not None and cancelled():
            raise Cancelled("Continuing")
        x = torch.as_tensor(np.clip(at_model * gain, -1.0, 1.0), dtype=torch.float32, device=self.device)
        out = carried_continue(self.model, x, n, sampler, on_chunk).cpu().numpy() / gain
        out = resample(out.astype(np.float32), rate, sample_rate)
        out = np.pad(out, (0, max(0, total - len(out))))[:total]
        if progress is not None:
            progress(1.0)
        return np.clip(out, -1.0, 1.0).astype(np.float32)

    def _check(self, clip: np.ndarray, sample_rate: int, seconds: float, temperature: float
               ) -> tuple[np.ndarray, int]:
        """The clip as float32 mono, and the samples to return; one sentence for what cannot be continued."""
        try:
            audio = np.asarray(clip, dtype=np.float32)
        except (TypeError, ValueError):
            raise GenerationError("The clip to continue is not audio (a list of samples).") from None
        if audio.ndim == 2:
            audio = audio.mean(axis=1)
        if audio.ndim != 1 or audio.size == 0:
            raise GenerationError("The clip to continue is empty or not one line of samples.")
        if not np.isfinite(audio).all():
            raise GenerationError("The clip to continue holds broken samples (not-a-number or infinite).")
        if not RATES[0] <= int(sample_rate) <= RATES[1]:
            raise GenerationError(f"The sample rate {sample_rate} Hz is outside {RATES[0]}-{RATES[1]} Hz.")
        try:
            seconds, temperature = float(seconds), float(temperature)
        except (TypeError, ValueError):
            raise GenerationError("The length and the temperature of a continuation are numbers.") from None
        if not 0 < seconds <= MAX_SECONDS:
            raise GenerationError(f"A continuation lasts more than 0 and at most {MAX_SECONDS:g} seconds.")
        spec = option("temperature")
        if not spec.in_range(temperature):
            raise GenerationError(f"The temperature must be {spec.range_words()}, not {temperature:g}.")
        total = int(round(seconds * int(sample_rate)))
        if total < 1:
            raise GenerationError(f"{seconds:g} seconds is less than one sample at {sample_rate} Hz.")
        return np.clip(audio, -1.0, 1.0), total
