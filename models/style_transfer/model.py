"""The fixed random network whose activations and Gram matrices stand for a clip's content and style.

One 1-D convolution over time, reading log-magnitude STFT frames (the
frequency bins are its input channels), then a ReLU, as in Ulyanov and
Lebedev's audio texture synthesis and style transfer (2016): a single wide
layer of random filters, never trained. Its activations at each frame are the
content; the Gram matrix of the activations over time (filter against filter,
averaged over frames) is the style: which spectral patterns sound together,
with the timing thrown away. ``make_checkpoint.py`` draws the weights from a
seed; the card says why one wide layer and not several.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class StyleFeaturesConfig:
    sample_rate: int = 22050  # the rate clips are analysed at
    n_fft: int = 1024  # STFT window (513 frequency bins, 21.5 Hz apart at 22,050 Hz)
    hop: int = 256  # STFT hop (86 frames a second)
    filters: int = 384  # random filters, each spanning every bin
    width: int = 11  # frames a filter spans (128 ms)

    def __post_init__(self) -> None:
        if self.sample_rate < 8000 or self.n_fft < 16 or not 1 <= self.hop <= self.n_fft:
            raise ValueError("sample_rate must be at least 8000 and hop between 1 and n_fft")
        if self.filters < 1 or self.width < 1:
            raise ValueError("filters and width must be at least 1")

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1


class StyleFeatures(nn.Module):
    """(batch, bins, frames) log-magnitudes -> (batch, filters, frames - width + 1) activations."""

    def __init__(self, config: StyleFeaturesConfig) -> None:
        super().__init__()
        self.config = config
        self.conv = nn.Conv1d(config.bins, config.filters, config.width, bias=False)

    def forward(self, log_magnitude: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(log_magnitude))


def random_weights(config: StyleFeaturesConfig, seed: int) -> dict[str, torch.Tensor]:
    """The network's weights drawn from ``seed``: Gaussian with Ulyanov's scale,
    sd = sqrt(2) * sqrt(2 / ((bins + filters) * width)) (Glorot's with the ReLU gain)."""
    generator = torch.Generator().manual_seed(seed)
    sd = (2.0 ** 0.5) * (2.0 / ((config.bins + config.filters) * config.width)) ** 0.5
    shape = (config.filters, config.bins, config.width)
    return {"conv.weight": torch.randn(shape, generator=generator, dtype=torch.float32) * sd}


def gram(features: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of (..., filters, frames) activations, averaged over frames: (..., filters, filters).

    Averaging (not summing) makes clips of different lengths comparable."""
    return features @ features.transpose(-1, -2) / features.shape[-1]
