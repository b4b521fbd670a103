"""vae-nn's networks: one convolutional VAE per track, MelodyNN, and a ConditionalNN per other track.

After Tham & Kim (2021): each track's 32-step pianoroll segment is encoded to
the mean and log-variance of a latent Gaussian (16 dimensions by default) and
decoded back by transposed convolutions. MelodyNN is an MLP from the lead
track's latent at segment t to its latent at t + 1; the ConditionalNN of
track k maps (the lead's latent at t + 1, track k's latent at t) to track k's
latent at t + 1. Both MLPs predict a change to the track's own previous
latent (a residual), so "the same again" is the easy answer they improve on.

Shapes: rolls are ``(B, 32, P)`` floats in {0, 1}; latents ``(B, latent)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from models.vae_nn.pianoroll import STEPS
from models.vae_nn.roles import PRESETS, Role


@dataclass
class VaeNNConfig:
    """Sizes of the networks and the training objective's weights (stored in the card)."""

    roles: list[dict[str, Any]] = field(default_factory=lambda: [r.to_dict() for r in PRESETS["chorales"]])
    latent: int = 16
    channels: list[int] = field(default_factory=lambda: [16, 32, 32])
    hidden: int = 256
    mlp_hidden: int = 256
    mlp_layers: int = 2
    dropout: float = 0.1
    beta: float = 1.0  # KL weight after warm-up
    kl_warmup_steps: int = 1000  # the KL weight rises linearly from 0 over these steps
    pred_weight: float = 1.0  # weight of the latent-prediction (MelodyNN / ConditionalNN) loss

    def role_list(self) -> list[Role]:
        return [Role.from_dict(r) for r in self.roles]


class TrackVAE(nn.Module):
    """Convolutional VAE over one track's ``(32, P)`` segment."""

    def __init__(self, pitches: int, cfg: VaeNNConfig) -> None:
        super().__init__()
        c1, c2, c3 = cfg.channels
        self.shape = (c3, STEPS // 8, pitches // 4)
        flat = c3 * self.shape[1] * self.shape[2]
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, (4, 3), stride=(2, 1), padding=(1, 1)), nn.GELU(),  # (c1, 16, P)
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.GELU(),  # (c2, 8, P/2)
            nn.Conv2d(c2, c3, 4, stride=2, padding=1), nn.GELU(),  # (c3, 4, P/4)
            nn.Flatten(), nn.Linear(flat, cfg.hidden), nn.GELU())
        self.mu = nn.Linear(cfg.hidden, cfg.latent)
        self.logvar = nn.Linear(cfg.hidden, cfg.latent)
        self.expand = nn.Sequential(nn.Linear(cfg.latent, cfg.hidden), nn.GELU(), nn.Linear(cfg.hidden, flat), nn.GELU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c3, c2, 4, stride=2, padding=1), nn.GELU(),  # (c2, 8, P/2)
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.GELU(),  # (c1, 16, P)
            nn.ConvTranspose2d(c1, 1, (4, 3), stride=(2, 1), padding=(1, 1)))  # (1, 32, P)

    def encode(self, roll: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, 32, P)`` -> mean and log-variance, each ``(B, latent)``."""
        h = self.encoder(roll.unsqueeze(1))
        return self.mu(h), self.logvar(h).clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``(B, latent)`` -> note logits ``(B, 32, P)``."""
        return self.decoder(self.expand(z).view(-1, *self.shape)).squeeze(1)


class LatentMLP(nn.Module):
    """An MLP that predicts a track's next latent as its previous latent plus a learned change."""

    def __init__(self, inputs: int, cfg: VaeNNConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = inputs
        for _ in range(cfg.mlp_layers):
            layers += [nn.Linear(width, cfg.mlp_hidden), nn.GELU(), nn.Dropout(cfg.dropout)]
            width = cfg.mlp_hidden
        layers.append(nn.Linear(width, cfg.latent))
        self.net = nn.Sequential(*layers)

    def forward(self, previous: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        x = previous if context is None else torch.cat([context, previous], dim=-1)
        return previous + self.net(x)


class VaeNN(nn.Module):
    """All of a checkpoint's networks: ``vaes[k]`` per role, ``melody``, ``conditional[k - 1]`` for k >= 1."""

    def __init__(self, cfg: VaeNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        roles = cfg.role_list()
        self.vaes = nn.ModuleList(TrackVAE(r.pitches, cfg) for r in roles)
        self.melody = LatentMLP(cfg.latent, cfg)
        self.conditional = nn.ModuleList(LatentMLP(2 * cfg.latent, cfg) for _ in roles[1:])
        # optimiser steps taken (drives the KL warm-up; saved with the weights so a resume continues it)
        self.register_buffer("trained_steps", torch.zeros((), dtype=torch.long))

    def kl_weight(self) -> float:
        warm = self.cfg.kl_warmup_steps
        return self.cfg.beta if warm <= 0 else self.cfg.beta * min(1.0, float(self.trained_steps) / warm)

