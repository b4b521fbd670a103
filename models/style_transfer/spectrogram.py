"""Clips to log-magnitude STFT frames and back: resampling, analysis, and Griffin-Lim from the content's phase.

The optimisation works on ``log1p(|STFT|)`` at the network's sample rate.
Sound comes back by Griffin-Lim (Griffin and Lim 1984) started from the
content clip's own phase, so onsets stay where the content had them and a few
iterations make the new magnitudes and the phase agree.
"""

from __future__ import annotations

import librosa
import numpy as np
import torch

from models.style_transfer.model import StyleFeaturesConfig

GRIFFIN_LIM_ITERATIONS = 32


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``audio`` at ``to_rate`` (soxr through librosa), float32."""
    if from_rate == to_rate:
        return np.asarray(audio, dtype=np.float32)
    return librosa.resample(np.asarray(audio, dtype=np.float32), orig_sr=from_rate, target_sr=to_rate).astype(np.float32)


def _window(config: StyleFeaturesConfig, device: torch.device) -> torch.Tensor:
    return torch.hann_window(config.n_fft, device=device)


def stft(audio: torch.Tensor, config: StyleFeaturesConfig) -> torch.Tensor:
    """Complex (bins, frames) STFT of a 1-D clip (Hann window, centred frames)."""
    return torch.stft(audio, config.n_fft, config.hop, window=_window(config, audio.device), center=True,
                      return_complex=True)


def istft(spectrum: torch.Tensor, config: StyleFeaturesConfig, length: int) -> torch.Tensor:
    return torch.istft(spectrum, config.n_fft, config.hop, window=_window(config, spectrum.device), center=True,
                       length=length)


def log_magnitude(spectrum: torch.Tensor) -> torch.Tensor:
    return torch.log1p(spectrum.abs())


def griffin_lim(log_mag: torch.Tensor, phase: torch.Tensor, config: StyleFeaturesConfig, length: int,
                iterations: int = GRIFFIN_LIM_ITERATIONS) -> torch.Tensor:
    """A clip of ``length`` samples whose STFT magnitude is close to ``expm1(log_mag)``, starting from ``phase``."""
    magnitude = torch.expm1(log_mag.clamp_min(0.0))
    angles = torch.polar(torch.ones_like(magnitude), phase)
    audio = istft(magnitude * angles, config, length)
    for _ in range(iterations):
        rebuilt = stft(audio, config)
        angles = rebuilt / rebuilt.abs().clamp_min(1e-8)
        audio = istft(magnitude * angles, config, length)
    return audio
