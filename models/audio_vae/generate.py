"""Varying a clip through the audio VAE's latent: encode, add latent noise, decode.

A clip (float32 mono at any rate) is resampled to the model's rate (3 kHz), zero-padded to a whole number
of latent frames and encoded to the posterior means (B, latent, frames). Each variation decodes
``mean + noise_sd * e`` with ``e`` standard normal noise drawn from ``random_seed`` (one draw per
variation, in order, so the same seed gives the same variations and variation k does not depend on how
many were asked); ``noise_sd`` is in units of the prior's sd, where the KL term pulls the codes. The
decoded audio is resampled back to the caller's rate and cut to the clip's length. With ``noise_sd`` 0
every variation is the reconstruction. Whatever the clip's rate, the result holds nothing above 1.5 kHz
(the model's Nyquist frequency).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from app.core.errors import GenerationError
from models.common.checkpoint import load_network
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import Cancelled, GenerationRequest, GenerationRun, Generator
from models.common.options import option

from models.audio_vae import SPEC
from models.audio_vae.model import AudioVAE, AudioVAEConfig

MIN_SECONDS = 0.05
MAX_SECONDS = 600.0
MAX_VARIATIONS = int(option("variations").high)
OOM_HINT = "vary a shorter clip, ask for fewer variations, or run on the CPU"

ProgressCallback = Callable[[float], None]


def resample(x: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    from models.audio_common.data import resample as soxr_resample

    return soxr_resample(x, from_rate, to_rate)


class AudioVAEGenerator(Generator):
    """A trained audio VAE, ready to vary and reconstruct clips (it writes sound, so it makes no notes)."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        network, self.config, self.card = load_network(self.checkpoint_dir, self.device, SPEC.name, AudioVAEConfig, AudioVAE)
        self.model = network.requires_grad_(False)

    @property
    def sample_rate(self) -> int:
        """The rate the network hears and writes (3 kHz for the bundled one)."""
        return self.config.sample_rate

    def generate(self, request: GenerationRequest) -> GenerationRun:
        raise GenerationError(f"The {SPEC.display_name} model writes sound, not notes; use Vary in the Audio Lab.")

    # -- varying ----------------------------------------------------------------------------------

    def vary(self, clip: np.ndarray, sample_rate: int, *, noise_sd: float, count: int = 4, random_seed: int = 0,
             progress: ProgressCallback | None = None,
             cancelled: Callable[[], bool] | None = None) -> list[np.ndarray]:
        """``count`` variations of ``clip``: float32 mono at ``sample_rate``, each as long as ``clip``.

        ``progress(fraction)`` is called after each variation; when ``cancelled()`` returns True the work
        stops with :class:`~models.common.generator.Cancelled` ("Varying was cancelled.")."""
        _check_settings(noise_sd, count, random_seed)
        audio, length = self._prepare(clip, sample_rate)
        rng = torch.Generator().manual_seed(int(random_seed))
        out = []
        with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
            mean, _ = self.model.encode(self._padded(audio))
            for k in range(count):
                if cancelled is not None and cancelled():
                    raise Cancelled("Varying")
                noise = torch.randn(mean.shape, generator=rng).to(self.device)
                decoded = self.model.decode(mean + float(noise_sd) * noise)
                out.append(self._back(decoded, sample_rate, audio.shape[1], length))
                if progress is not None:
                    progress((k + 1) / count)
        return out

    def reconstruct(self, clip: np.ndarray, sample_rate: int) -> np.ndarray:
        """``clip`` through the network (the posterior mean decoded): float32 mono at ``sample_rate``."""
        audio, length = self._prepare(clip, sample_rate)
        with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
            mean, _ = self.model.encode(self._padded(audio))
            return self._back(self.model.decode(mean), sample_rate, audio.shape[1], length)

    def latent(self, clip: np.ndarray, sample_rate: int) -> np.ndarray:
        """The posterior means of ``clip``: (latent channels, frames) float32."""
        audio, _ = self._prepare(clip, sample_rate)
        with torch.inference_mode():
            mean, _ = self.model.encode(self._padded(audio))
        return mean[0].cpu().numpy()

    # -- the parts ----------------------------------------------------------------------------------

    def _prepare(self, clip: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
        """``clip`` checked and at the model's rate, (1, samples) float32; and its length at ``sample_rate``."""
        if not isinstance(sample_rate, (int, np.integer)) or not 1000 <= sample_rate <= 384_000:
            raise GenerationError(f"The sample rate must be a whole number of Hz between 1,000 and 384,000, "
                                  f"not {sample_rate}.")
        audio = np.asarray(clip)
        if audio.ndim == 2 and 1 in audio.shape:
            audio = audio.ravel()
        if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.number):
            raise GenerationError("The clip must be one channel of samples; mix it down to mono first.")
        seconds = len(audio) / sample_rate
        if seconds < MIN_SECONDS:
            raise GenerationError(f"The clip is {seconds:.3f} s long; varying needs at least {MIN_SECONDS} s.")
        if seconds > MAX_SECONDS:
            raise GenerationError(f"The clip is {seconds:,.0f} s long; vary at most {MAX_SECONDS / 60:.0f} minutes "
                                  "at a time.")
        audio = audio.astype(np.float32)
        if not np.all(np.isfinite(audio)):
            raise GenerationError("The clip holds samples that are not numbers (NaN or infinity).")
        return np.clip(resample(audio, int(sample_rate), self.sample_rate), -1.0, 1.0)[None], len(audio)

    def _padded(self, audio: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(audio)).to(self.device)[:, None, :]
        target = self.model.padded_length(x.shape[-1])
        return torch.nn.functional.pad(x, (0, target - x.shape[-1]))

    def _back(self, decoded: torch.Tensor, sample_rate: int, model_length: int, length: int) -> np.ndarray:
        """The decoded (1, 1, T) audio cut to ``model_length`` samples, at ``sample_rate``, ``length`` long."""
        audio = decoded[0, 0, :model_length].float().cpu().numpy()
        audio = resample(audio, self.sample_rate, int(sample_rate))
        if len(audio) < length:
            audio = np.concatenate([audio, np.zeros(length - len(audio), dtype=np.float32)])
        return np.clip(audio[:length], -1.0, 1.0).astype(np.float32)


def _check_settings(noise_sd: float, count: int, random_seed: int) -> None:
    high = option("noise_sd").high
    if not isinstance(noise_sd, (int, float)) or not math.isfinite(noise_sd) or not 0 <= noise_sd <= high:
        raise GenerationError(f"The latent noise sd must be between 0 and {high:g}, not {noise_sd}.")
    if not isinstance(count, (int, np.integer)) or not 1 <= count <= MAX_VARIATIONS:
        raise GenerationError(f"The number of variations must be a whole number between 1 and {MAX_VARIATIONS}, "
                              f"not {count}.")
    if not isinstance(random_seed, (int, np.integer)) or not 0 <= random_seed <= 2**31 - 1:
        raise GenerationError(f"The random seed must be a whole number between 0 and {2**31 - 1:,}, "
                              f"not {random_seed}.")
