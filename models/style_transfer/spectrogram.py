"""Clips to the frames the network reads: log1p-magnitude STFT frames (differentiable).

The STFT is torch's, so the gradient of the losses reaches the samples of
the waveform being optimised, on whichever device the clip is.
"""

from __future__ import annotations

import torch

from models.style_transfer.model import StyleFeaturesConfig


def stft(audio: torch.Tensor, config: StyleFeaturesConfig) -> torch.Tensor:
    """Complex (bins, frames) STFT of a 1-D clip (Hann window, centred frames)."""
    window = torch.hann_window(config.n_fft, device=audio.device)
    return torch.stft(audio, config.n_fft, config.hop, window=window, center=True, return_complex=True)


def log_magnitude(spectrum: torch.Tensor) -> torch.Tensor:
    return torch.log1p(spectrum.abs())
