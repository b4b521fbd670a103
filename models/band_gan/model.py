"""band-gan's networks: a MuseGAN/MidiNet-style generator and its mirror discriminator.

After Tham & Kim's GAN (their "bloopers"), itself after MidiNet and MuseGAN: the
generator turns a 100-d noise vector into a five-track segment of 32 sixteenth
steps by 128 pitches through six transposed convolutions; the discriminator
reads a segment through six convolutions to one logit. PReLU everywhere, batch
norm on the hidden convolutions.

Conditioning (``conditional``, MidiNet's): a *condition* of six channels
``(6, 32, 128)`` -- the lead's segment (what the band accompanies) and the
band's previous segment -- and the chords, one 12-d chroma per beat
``(8, 12)``. A conditioner (convolutions mirroring the generator's last five
layers) turns the condition into maps at every resolution, concatenated to
the generator's hidden maps; the chords join the noise vector. The
discriminator reads the condition as extra input channels and the chords
beside its last features, so it judges whether a band fits its lead, chords
and past, not only whether it sounds like a band.

Shapes: segments ``(B, 5, 32, 128)`` floats in [0, 1] (note probabilities);
noise ``(B, noise)``; condition ``(B, 6, 32, 128)``; chords ``(B, 8, 12)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

TRACKS = 5  # drums, bass, guitar, piano, strings (band_corpus.ROLES)
STEPS, PITCHES = 32, 128
BEATS, CHROMA = 8, 12  # a beat is 4 steps
CONDITION = 1 + TRACKS  # the lead's segment and the band's previous one


@dataclass
class BandGanConfig:
    """Sizes of the networks and the adversarial objective's settings (stored in the card)."""

    noise: int = 100
    g_channels: list[int] = field(default_factory=lambda: [128, 64, 32, 16, 8])  # after G's layers 1-5
    d_channels: list[int] = field(default_factory=lambda: [8, 16, 32, 64, 128])  # after D's layers 1-5
    features: int = 128  # D's last convolution: the features feature matching compares
    cond_channels: int = 8  # conditioner maps per resolution
    chord_embed: int = 32
    conditional: str = "on"  # "off": a plain GAN, G(noise) only (it cannot accompany a lead)
    label_smoothing: float = 0.1  # real labels drawn in [1 - s, 1], fake in [0, s]
    feature_matching: float = 1.0  # weight of the two feature-matching terms in G's loss
    g_lr_scale: float = 0.25  # TTUR: the generator's learning rate relative to the discriminator's
    output_bias: float = -3.0  # the generator's last layer starts at this logit (5% of cells on; bands hold ~1%)
    straight_through: bool = True  # D hears generated segments binarised at 0.5, as real ones are (gradients
    # pass straight through the threshold: MuseGAN's deterministic binary neurons)
    previous_dropout: float = 0.0  # share of training segments whose previous band is silenced, so G learns to
    # accompany from the lead and chords alone (0 for cards written before the field; see train.py)
    density_matching: float = 0.0  # weight of G's density loss: each role's per-bar sounding cells matched in
    # distribution to the real batch's (0 for cards written before the field; see train.py)

    @property
    def conditioned(self) -> bool:
        return self.conditional == "on"


def _up(cin: int, cout: int, kernel, stride, padding=0, norm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.ConvTranspose2d(cin, cout, kernel, stride, padding)]
    return nn.Sequential(*layers, nn.BatchNorm2d(cout), nn.PReLU(cout)) if norm else nn.Sequential(*layers)


def _down(cin: int, cout: int, kernel, stride, padding=0, norm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, padding)]
    return nn.Sequential(*layers, *([nn.BatchNorm2d(cout)] if norm else []), nn.PReLU(cout))


# (kernel, stride, padding) of the five resolution changes between (32, 128) and (2, 4), finest first
_STEPS = [((1, 2), (1, 2), 0), (4, 2, 1), (4, 2, 1), (4, 2, 1), (4, 2, 1)]


class Conditioner(nn.Module):
    """The condition ``(B, 6, 32, 128)`` as maps at (32, 64), (16, 32), (8, 16), (4, 8), (2, 4)."""

    def __init__(self, cfg: BandGanConfig) -> None:
        super().__init__()
        c = cfg.cond_channels
        self.layers = nn.ModuleList(_down(CONDITION if i == 0 else c, c, *_STEPS[i]) for i in range(5))

    def forward(self, condition: torch.Tensor) -> list[torch.Tensor]:
        maps, x = [], condition
        for layer in self.layers:
            x = layer(x)
            maps.append(x)
        return maps  # finest first


class BandGenerator(nn.Module):
    """Noise (and condition, chords) -> note probabilities ``(B, 5, 32, 128)`` by six transposed convolutions."""

    def __init__(self, cfg: BandGanConfig) -> None:
        super().__init__()
        self.cfg = cfg
        g, extra = cfg.g_channels, cfg.cond_channels if cfg.conditioned else 0
        self.chords = nn.Sequential(nn.Linear(BEATS * CHROMA, cfg.chord_embed), nn.PReLU()) if cfg.conditioned else None
        start = cfg.noise + (cfg.chord_embed if cfg.conditioned else 0)
        self.layers = nn.ModuleList([
            _up(start, g[0], (2, 4), (2, 4)),  # (g0, 2, 4)
            _up(g[0] + extra, g[1], 4, 2, 1),  # (g1, 4, 8)
            _up(g[1] + extra, g[2], 4, 2, 1),  # (g2, 8, 16)
            _up(g[2] + extra, g[3], 4, 2, 1),  # (g3, 16, 32)
            _up(g[3] + extra, g[4], 4, 2, 1),  # (g4, 32, 64)
            _up(g[4] + extra, TRACKS, (1, 2), (1, 2), norm=False),  # (5, 32, 128)
        ])
        self.conditioner = Conditioner(cfg) if cfg.conditioned else None
        nn.init.constant_(self.layers[-1][0].bias, cfg.output_bias)  # start sparse, as bands are, not half on

    def forward(self, noise: torch.Tensor, condition: torch.Tensor | None = None,
                chords: torch.Tensor | None = None) -> torch.Tensor:
        x = noise
        maps: list[torch.Tensor] = []
        if self.conditioner is not None:
            x = torch.cat([noise, self.chords(chords.flatten(1))], dim=1)
            maps = self.conditioner(condition)[::-1]  # coarsest first: (2, 4) ... (32, 64)
        x = x[:, :, None, None]  # (B, noise [+ chords], 1, 1)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if maps and i < len(maps):
                x = torch.cat([x, maps[i]], dim=1)
        return torch.sigmoid(x)


class BandDiscriminator(nn.Module):
    """A segment (and condition, chords) -> one logit, and the last features (for feature matching)."""

    def __init__(self, cfg: BandGanConfig) -> None:
        super().__init__()
        d = cfg.d_channels
        cin = TRACKS + (CONDITION if cfg.conditioned else 0)
        self.layers = nn.Sequential(
            _down(cin, d[0], *_STEPS[0], norm=False),  # (d0, 32, 64)
            *(_down(d[i - 1], d[i], *_STEPS[i]) for i in range(1, 5)),  # ... (d4, 2, 4)
            _down(d[4], cfg.features, (2, 4), 1),  # (features, 1, 1)
            nn.Flatten())
        self.chords = nn.Sequential(nn.Linear(BEATS * CHROMA, cfg.chord_embed), nn.PReLU()) if cfg.conditioned else None
        self.out = nn.Linear(cfg.features + (cfg.chord_embed if cfg.conditioned else 0), 1)

    def forward(self, segment: torch.Tensor, condition: torch.Tensor | None = None,
                chords: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits (B,), features (B, features))``."""
        x = segment if self.chords is None else torch.cat([segment, condition], dim=1)
        features = self.layers(x)
        head = features if self.chords is None else torch.cat([features, self.chords(chords.flatten(1))], dim=1)
        return self.out(head).squeeze(-1), features


class BandGan(nn.Module):
    """Both networks of a checkpoint; ``lr_scales`` gives the training loop the two time-scale update rule."""

    def __init__(self, cfg: BandGanConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.discriminator = BandDiscriminator(cfg)
        self.generator = BandGenerator(cfg)
        self.lr_scales = {"discriminator": 1.0, "generator": cfg.g_lr_scale}
