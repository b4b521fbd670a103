"""harmony-cnn's networks: MelodyCNN for the lead's next segment, a conditional HarmonyCNN per band role.

After Tham & Kim: a segment is a ``(32, 128)`` roll (32 16th steps, all pitches). MelodyCNN is
symmetric, 3 convolutions, 3 dense layers and 3 transposed convolutions, from the lead's segment
t to its segment t + 1. Each of the five conditional networks (drums, bass, guitar, piano,
strings) encodes the lead's segment t + 1 and its own role's segment t with 3 convolutions each,
concatenates them, and decodes its segment t + 1 through 3 dense layers and 3 transposed
convolutions. Outputs are logits, one per step and pitch (binary cross-entropy).

Shapes: segments ``(B, 32, 128)`` floats in {0, 1}; logits ``(B, 32, 128)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from models.common.band_roll import PITCHES, ROLES

STEPS = 32  # steps per segment


@dataclass
class HarmonyCNNConfig:
    """Channels of the three convolutions, width of the dense layers, dropout."""

    channels: list[int] = field(default_factory=lambda: [16, 32, 16])
    dense: int = 256
    dropout: float = 0.1


def _encoder(c: list[int]) -> nn.Sequential:
    c1, c2, c3 = c
    return nn.Sequential(
        nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.GELU(),  # (c1, 16, 64)
        nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.GELU(),  # (c2, 8, 32)
        nn.Conv2d(c2, c3, 4, stride=2, padding=1), nn.GELU(),  # (c3, 4, 16)
        nn.Flatten())


def _decoder(c: list[int]) -> nn.Sequential:
    c1, c2, c3 = c
    return nn.Sequential(
        nn.Unflatten(1, (c3, STEPS // 8, PITCHES // 8)),
        nn.ConvTranspose2d(c3, c2, 4, stride=2, padding=1), nn.GELU(),  # (c2, 8, 32)
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.GELU(),  # (c1, 16, 64)
        nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1))  # (1, 32, 128)


def _dense(inputs: int, width: int, flat: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, width), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(width, width), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(width, flat), nn.GELU())


class MelodyCNN(nn.Module):
    """The lead's segment t + 1 from its segment t."""

    def __init__(self, cfg: HarmonyCNNConfig) -> None:
        super().__init__()
        flat = cfg.channels[2] * (STEPS // 8) * (PITCHES // 8)
        self.encode = _encoder(cfg.channels)
        self.dense = _dense(flat, cfg.dense, flat, cfg.dropout)
        self.decode = _decoder(cfg.channels)

    def forward(self, lead: torch.Tensor) -> torch.Tensor:
        """``lead`` (B, 32, 128) -> logits (B, 32, 128)."""
        return self.decode(self.dense(self.encode(lead[:, None]))).squeeze(1)


class ConditionalCNN(nn.Module):
    """One role's segment t + 1 from the lead's segment t + 1 and the role's own segment t."""

    def __init__(self, cfg: HarmonyCNNConfig) -> None:
        super().__init__()
        flat = cfg.channels[2] * (STEPS // 8) * (PITCHES // 8)
        self.encode_lead = _encoder(cfg.channels)
        self.encode_own = _encoder(cfg.channels)
        self.dense = _dense(2 * flat, cfg.dense, flat, cfg.dropout)
        self.decode = _decoder(cfg.channels)

    def forward(self, lead_next: torch.Tensor, own: torch.Tensor) -> torch.Tensor:
        """``lead_next``, ``own`` (B, 32, 128) -> logits (B, 32, 128)."""
        both = torch.cat([self.encode_lead(lead_next[:, None]), self.encode_own(own[:, None])], dim=1)
        return self.decode(self.dense(both)).squeeze(1)


class HarmonyCNN(nn.Module):
    """MelodyCNN and one ConditionalCNN per band role (in ``band_roll.ROLES`` order)."""

    def __init__(self, cfg: HarmonyCNNConfig) -> None:
        super().__init__()
        if len(cfg.channels) != 3 or min(cfg.channels) < 1:
            raise ValueError("channels must be three positive numbers")
        self.cfg = cfg
        self.melody = MelodyCNN(cfg)
        self.harmony = nn.ModuleList(ConditionalCNN(cfg) for _ in ROLES)
