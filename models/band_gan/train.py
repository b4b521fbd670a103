"""Training band-gan with the shared loop: both networks in one step, each on its own loss.

One optimiser step updates the discriminator D and the generator G together, as a GAN's
alternating step does, with the tricks of Tham & Kim's GAN section:

* **label smoothing**: real segments are labelled in [1 - s, 1], generated ones in [0, s]
  (s = ``label_smoothing``, drawn per sample);
* **feature matching**: G's loss adds the squared difference between the batch means of the
  real and the generated segments, and between the means of D's last features on them;
* **TTUR**: G learns at ``g_lr_scale`` times D's rate (``BandGan.lr_scales``, honoured by the
  shared optimiser);
* PReLU and batch norm live in the networks (``model.py``).

D's loss sees the generated batch detached, and G's loss is taken through a copy of D's
parameters that carries no gradient (``torch.func.functional_call``), so the one backward pass
moves D only by D's loss and G only by G's (non-saturating) loss.

Validation cannot use the adversarial loss (it says who is winning, not how good the music
is), so the loop's "valid loss" is a **statistics distance** between held-out real segments and
segments generated for their conditions from fixed noise (binarised as in generation): per track,
the summed difference of the share of steps each pitch sounds plus the mean difference of the
pitches sounding per step; lower is closer. Its "accuracy" is D's on those real and generated
segments (0.5: D cannot tell them apart). The best checkpoint is the one closest in statistics,
and no early stop is made on it (GAN training does not improve steadily).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.common.card import update_card
from models.common.checkpoint import load_checkpoint
from models.common.train_loop import train
from models.common.train_request import TrainRequest
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard

from models.band_gan.collapse import collapse_report
from models.band_gan.data import SHIFT_LIMIT, GanData, load_data, split_segments
from models.band_gan.model import BandGan, BandGanConfig

DEFAULT_DATA = ("corpus:band",)
DEFAULT_LR = 4e-4  # the discriminator's; the generator's is g_lr_scale times this
DEFAULT_BATCH = 32
DESCRIPTION = ("MuseGAN-style band GAN (Tham & Kim's GAN section): a generator of six transposed convolutions "
               "from 100-d noise to drums, bass, guitar, piano and strings over two bars (5 x 32 x 128), "
               "conditioned on the lead, the previous two bars and the chords; its mirror discriminator; PReLU, "
               "batch norm, label smoothing, feature matching and TTUR.")


def _tensors(arrays) -> list[torch.Tensor]:
    bands, conditions, chords = arrays
    return [torch.from_numpy(np.ascontiguousarray(bands)), torch.from_numpy(np.ascontiguousarray(conditions)),
            torch.from_numpy(np.ascontiguousarray(chords))]


def statistics_distance(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """How far apart two batches of segments ``(B, 5, 32, 128)`` sound, per track, averaged (0: the same)."""
    pitch = (real.mean(dim=(0, 2)) - fake.mean(dim=(0, 2))).abs().sum(-1)  # (5,): share of steps per pitch
    density = (real.sum(-1).mean(0) - fake.sum(-1).mean(0)).abs().mean(-1)  # (5,): pitches sounding per step
    return (pitch + density).mean()


class BandGanTask(TrainTask):
    def __init__(self, data: GanData, cfg: BandGanConfig, batch_size: int = DEFAULT_BATCH, seed: int = 0,
                 specs: Sequence[str] = (), command: str = "") -> None:
        self.data, self.cfg, self.batch_size, self.seed = data, cfg, batch_size, seed
        self.specs, self.command = list(specs), command

    def build_model(self) -> nn.Module:
        return BandGan(self.cfg)

    @lru_cache(maxsize=1)
    def epoch_batches(self, epoch: int) -> list[list[torch.Tensor]]:
        """The epoch's batches: every training piece transposed by a shift drawn by (seed, epoch), shuffled."""
        rng = np.random.default_rng([self.seed, epoch])
        shifts = [int(rng.choice(s)) for s in self.data.shifts]
        bands, conditions, chords = split_segments(self.data.train, shifts)
        order = rng.permutation(len(bands))
        batches = [_tensors((bands[i], conditions[i], chords[i]))
                   for i in (order[k: k + self.batch_size] for k in range(0, len(order), self.batch_size))]
        return [b for b in batches if len(b[0]) > 1]  # batch norm needs two

    def num_train_batches(self, epoch: int) -> int:
        return len(self.epoch_batches(epoch))

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[list[torch.Tensor]]:
        yield from shard(self.epoch_batches(epoch), rank, world)

    def _fixed(self, pieces) -> list[list[torch.Tensor]]:
        if not pieces:
            return []
        bands, conditions, chords = split_segments(pieces)
        return [_tensors((bands[k: k + self.batch_size], conditions[k: k + self.batch_size],
                          chords[k: k + self.batch_size])) for k in range(0, len(bands), self.batch_size)]

    def valid_batches(self) -> Iterable[list[torch.Tensor]]:
        return self._fixed(self.data.valid)

    def test_batches(self) -> Iterable[list[torch.Tensor]] | None:
        return self._fixed(self.data.test) or None

    def loss(self, model: nn.Module, batch: list[torch.Tensor], device: torch.device) -> tuple[torch.Tensor, int, int]:
        raw: BandGan = getattr(model, "module", model)
        real = batch[0].to(device).float()  # (B, 5, 32, 128)
        cond = batch[1].to(device).float() if self.cfg.conditioned else None  # (B, 6, 32, 128)
        chords = batch[2].to(device).float() if self.cfg.conditioned else None  # (B, 8, 12)
        b = real.shape[0]
        if not model.training:
            return self._distance(raw, real, cond, chords, device)
        fake = raw.generator(torch.randn(b, self.cfg.noise, device=device), cond, chords)
        s = self.cfg.label_smoothing
        real_logits, real_features = raw.discriminator(real, cond, chords)
        fake_logits, _ = raw.discriminator(fake.detach(), cond, chords)
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, 1 - s * torch.rand(b, device=device))
                  + F.binary_cross_entropy_with_logits(fake_logits, s * torch.rand(b, device=device)))
        frozen = {n: p.detach() for n, p in raw.discriminator.named_parameters()}
        g_logits, g_features = torch.func.functional_call(raw.discriminator, frozen, (fake, cond, chords))
        g_loss = F.binary_cross_entropy_with_logits(g_logits, torch.ones(b, device=device))
        matching = ((real.mean(0) - fake.mean(0)).pow(2).mean()
                    + (real_features.detach().mean(0) - g_features.mean(0)).pow(2).mean())
        correct = int((real_logits > 0).sum()) + int((fake_logits < 0).sum())
        return d_loss + g_loss + self.cfg.feature_matching * matching, 2 * b, correct

    def _distance(self, raw: BandGan, real, cond, chords, device) -> tuple[torch.Tensor, int, int]:
        noise = torch.Generator(device="cpu").manual_seed(int(real.sum()))  # fixed per batch
        z = torch.randn(real.shape[0], self.cfg.noise, generator=noise).to(device)
        fake = (raw.generator(z, cond, chords) > 0.5).float()
        real_logits, _ = raw.discriminator(real, cond, chords)
        fake_logits, _ = raw.discriminator(fake, cond, chords)
        correct = int((real_logits > 0).sum()) + int((fake_logits < 0).sum())
        return statistics_distance(real, fake), 2 * real.shape[0], correct

    def card(self) -> dict[str, Any]:
        d = self.data
        return {
            "arch": "band-gan", "name": "band-gan", "description": DESCRIPTION, "config": asdict(self.cfg),
            "accompanies": self.cfg.conditioned,  # an unconditional GAN cannot follow a lead (card_spec reads it)
            "training": {"data": self.specs, "datasets": d.datasets, "command": self.command, "seed": self.seed,
                         "batch_size": self.batch_size, "optimiser": "AdamW; TTUR: generator at "
                         f"{self.cfg.g_lr_scale} x the discriminator's rate",
                         "augmentation": f"random transposition within ±{SHIFT_LIMIT} semitones of every pitched "
                                         "track (drums kept), drawn per piece per epoch (train split)",
                         "pieces": {s: len(getattr(d, s)) for s in ("train", "valid", "test")},
                         "segments": {s: d.count(s) for s in ("train", "valid", "test")},
                         "selection": "valid_cross_entropy and test_cross_entropy hold the statistics distance "
                                      "(see models/band_gan/train.py), the loop's selection loss; accuracies are "
                                      "the discriminator's on held-out real and generated segments"},
        }


def train_band_gan(data_specs: Sequence[str] | None, out_dir: str | Path, cfg: TrainConfig | None = None,
                   model_overrides: dict[str, Any] | None = None, command: str = "", resume: bool = False) -> TrainRun:
    """Load the data, train, then measure mode collapse on the best model; yields TrainProgress, returns metrics."""
    cfg = cfg or TrainConfig(lr=DEFAULT_LR, batch_size=DEFAULT_BATCH, patience=0)
    specs = list(data_specs or DEFAULT_DATA)
    if cfg.init_from:
        _, base_card = load_checkpoint(cfg.init_from)
        model_cfg = BandGanConfig(**base_card["config"])
    else:
        model_cfg = replace(BandGanConfig(), **(model_overrides or {}))
    yield TrainProgress(0, 0, 0, message=f"loading {', '.join(specs)}")
    data = load_data(specs)
    task = BandGanTask(data, model_cfg, cfg.batch_size, cfg.seed, specs, command)
    metrics = yield from train(task, cfg, out_dir, resume)
    out = Path(out_dir)
    if (out / "config.json").is_file():
        yield TrainProgress(metrics.get("steps", 0), cfg.epochs, metrics.get("steps", 0),
                            message="measuring mode collapse over 100 noise vectors")
        report = collapse_report(out, data.test or data.valid or data.train)
        update_card(out, mode_collapse=report)
        metrics = dict(metrics, mode_collapse=report)
    return metrics


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface: ``request.sizes`` (conditioning on/off) set BandGanConfig fields."""
    given = request.hyperparameters()
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, patience=0,
                      **{"lr": DEFAULT_LR, "batch_size": DEFAULT_BATCH, **given})
    return (yield from train_band_gan(request.data, request.out, cfg, dict(request.sizes), command=request.command,
                                      resume=request.resume))
