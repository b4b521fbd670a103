"""Training vae-nn with the shared loop: the per-track VAEs and the latent MLPs together.

A batch is a set of ``(t, t + 1)`` segment pairs, one ``(B, 2, 32, P)`` array
per role. The loss, per track-step, sums

* each VAE's reconstruction (binary cross-entropy over the pitches) and KL to
  the standard normal (per segment, spread over its 32 steps), with the KL
  weight rising from 0 over ``kl_warmup_steps`` (KL warm-up, so the latent
  stays informative), on both segments of every pair;
* the latent prediction error (squared, summed over dimensions): MelodyNN
  from a draw of the lead's posterior at t to the lead's mean at t + 1, and
  each ConditionalNN from (the lead's mean at t + 1, a draw of its track's
  posterior at t) to its track's mean at t + 1. Inputs and targets are
  detached, so prediction never bends the VAEs; training on posterior
  draws teaches the MLPs to take noisy latents, as generation feeds them.

Validation uses the full KL weight, so its loss is comparable across steps.
The loop's accuracy is the share of track-steps whose decoded pitches (from the
mean, thresholded as in generation) equal the truth exactly.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.common.card import update_card
from models.common.checkpoint import load_checkpoint
from models.common.train_loop import train
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard
from models.common.train_request import TrainRequest

from models.vae_nn.data import VaeData, load_items, pair_batches, prepare
from models.vae_nn.decoding import decode_steps
from models.vae_nn.evaluate import heldout_metrics
from models.vae_nn.generate import checkpoint_spec
from models.vae_nn.model import VaeNN, VaeNNConfig
from models.vae_nn.pianoroll import STEPS
from models.vae_nn.roles import parse_roles

DEFAULT_DATA = ("corpus:chorales",)
DESCRIPTION = ("Tham & Kim's VAE-NN: a convolutional VAE per track (32-step pianoroll segments, latent 16), "
               "MelodyNN from the lead's latent at t to t + 1, and a ConditionalNN per other track; "
               "latent noise sd and style alpha shape the variations.")


class VaeNNTask(TrainTask):
    def __init__(self, data: VaeData, cfg: VaeNNConfig, batch_size: int = 64, seed: int = 0,
                 specs: Sequence[str] = (), command: str = "", roles_spec: str = "",
                 base: dict[str, Any] | None = None) -> None:
        self.data, self.cfg, self.batch_size, self.seed = data, cfg, batch_size, seed
        self.specs, self.command, self.roles_spec, self.base = list(specs), command, roles_spec, base
        self.roles = cfg.role_list()
        self.pitches = [r.pitches for r in self.roles]
        self._cached: tuple[int, list] | None = None

    def build_model(self) -> nn.Module:
        return VaeNN(self.cfg)

    def epoch_batches(self, epoch: int) -> list[list[np.ndarray]]:
        if self._cached is None or self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            shifts = [int(rng.choice(p.shifts)) for p in self.data.train]
            order = rng.permutation(self.data.pairs("train"))
            self._cached = (epoch, pair_batches(self.data, self.data.train, self.pitches, shifts, order, self.batch_size))
        return self._cached[1]

    def num_train_batches(self, epoch: int) -> int:
        return -(-self.data.pairs("train") // self.batch_size)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[list[torch.Tensor]]:
        for batch in shard(self.epoch_batches(epoch), rank, world):
            yield [torch.from_numpy(b) for b in batch]

    def _fixed(self, pieces) -> list[list[torch.Tensor]]:
        if not pieces:
            return []
        batches = pair_batches(self.data, pieces, self.pitches, [0] * len(pieces), None, self.batch_size)
        return [[torch.from_numpy(b) for b in batch] for batch in batches]

    def valid_batches(self) -> Iterable[list[torch.Tensor]]:
        return self._fixed(self.data.valid)

    def test_batches(self) -> Iterable[list[torch.Tensor]] | None:
        return self._fixed(self.data.test) or None

    def loss(self, model: nn.Module, batch: list[torch.Tensor], device: torch.device) -> tuple[torch.Tensor, int, int]:
        raw: VaeNN = getattr(model, "module", model)
        beta = raw.kl_weight() if model.training else raw.cfg.beta
        if model.training:
            raw.trained_steps += 1
        total = torch.zeros((), device=device)
        correct = 0
        draws, means = [], []
        for k, (vae, role) in enumerate(zip(raw.vaes, self.roles)):
            rolls = batch[k].to(device, non_blocking=True).float()  # (B, 2, 32, P)
            flat = rolls.flatten(0, 1)  # (2B, 32, P)
            mu, logvar = vae.encode(flat)
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
            logits = vae.decode(z if model.training else mu)
            rec = F.binary_cross_entropy_with_logits(logits.float(), flat, reduction="sum")
            kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).float().sum()
            total = total + rec + beta * kl / STEPS
            hit = (decode_steps(logits, role.monophonic) == flat.bool()).all(-1)
            correct += int(hit.sum())
            draws.append(z.view(-1, 2, z.shape[-1]).detach())
            means.append(mu.view(-1, 2, mu.shape[-1]).detach())
        lead_next = raw.melody(draws[0][:, 0])
        pred = (lead_next - means[0][:, 1]).pow(2).sum()
        for k, net in enumerate(raw.conditional, start=1):
            pred = pred + (net(draws[k][:, 0], means[0][:, 1]) - means[k][:, 1]).pow(2).sum()
        total = total + raw.cfg.pred_weight * pred.float() / STEPS
        steps = batch[0].shape[0] * 2 * STEPS * len(self.roles)
        return total / steps, steps, correct

    def card(self) -> dict[str, Any]:
        d = self.data
        seeds = {"seeds": sorted(checkpoint_spec(self.roles).seeds)} if any(r.is_drum for r in self.roles) else {}
        return {
            "arch": "vae-nn", "name": "vae-nn", "description": DESCRIPTION, "config": asdict(self.cfg), **seeds,
            "roles": [r.to_dict() for r in self.roles],
            "training": {"data": self.specs, "datasets": d.datasets, "command": self.command, "seed": self.seed,
                         "batch_size": self.batch_size, "roles": self.roles_spec, "fine_tuned_from": self.base,
                         "augmentation": f"random transposition within ±{d.margin} semitones that keeps every "
                                         "track in its window, drawn per piece per epoch (train split)",
                         "pieces": {"train": len(d.train), "valid": len(d.valid), "test": len(d.test)},
                         "pairs": {"train": d.pairs("train"), "valid": d.pairs("valid"), "test": d.pairs("test")}},
        }


def default_roles(specs: Sequence[str]) -> str:
    """``chorales`` for the chorale corpus, ``band`` (the lead and five roles) for the band corpus,
    else LPD-5's five families."""
    for corpus in ("chorales", "band"):
        if all(s == f"corpus:{corpus}" for s in specs):
            return corpus
    return "lpd5"


def train_vae_nn(data_specs: Sequence[str] | None, out_dir: str | Path, cfg: TrainConfig | None = None,
                 model_overrides: dict[str, Any] | None = None, command: str = "", resume: bool = False,
                 roles: str | None = None, margin: int = 5) -> TrainRun:
    """Load the data, train, then measure the held-out split; yields TrainProgress, returns the metrics
    (library form of :func:`train_run`, taking any VaeNNConfig field in ``model_overrides``).

    ``roles`` is a preset (chorales, lpd5, band) or ``name[:LOW-HIGH][:PROGRAM],...``;
    with ``cfg.init_from`` (fine-tuning) the base checkpoint's roles and sizes are kept.
    """
    cfg = cfg or TrainConfig()
    specs = list(data_specs or DEFAULT_DATA)
    base, base_card = getattr(cfg, "init_from", ""), None
    if base:
        _, base_card = load_checkpoint(base)
        model_cfg = VaeNNConfig(**base_card["config"])
        roles_spec = base_card.get("training", {}).get("roles", "")
    else:
        roles_spec = roles or default_roles(specs)
        role_list = parse_roles(roles_spec)
        model_cfg = replace(VaeNNConfig(roles=[r.to_dict() for r in role_list]), **(model_overrides or {}))
    items, info = [], {}
    for spec in specs:
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
        found, info[spec] = load_items(spec)
        items += found
    data = prepare(items, model_cfg.role_list(), margin, info)
    task = VaeNNTask(data, model_cfg, cfg.batch_size, cfg.seed, specs, command, roles_spec,
                     {"checkpoint": str(base), "weights_sha256": base_card.get("weights_sha256")} if base_card else None)
    metrics = yield from train(task, cfg, out_dir, resume)
    out = Path(out_dir)
    if (out / "config.json").is_file() and data.test:
        yield TrainProgress(metrics.get("steps", 0), cfg.epochs, metrics.get("steps", 0), message="measuring the test split")
        held = heldout_metrics(out, data)
        update_card(out, metrics=dict(_card_metrics(out), **held))
        metrics = dict(metrics, **held)
    return metrics


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface (``SPEC.training.entry``): ``request.sizes`` (hidden) set VaeNNConfig
    fields, ``request.extras["roles"]`` the track roles; with ``request.fine_tune`` the base's are kept."""
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, **request.hyperparameters())
    return (yield from train_vae_nn(request.data, request.out, cfg, dict(request.sizes), command=request.command,
                                    resume=request.resume, roles=request.extras.get("roles")))


def _card_metrics(out: Path) -> dict[str, Any]:
    from models.common.card import read_card

    return dict(read_card(out).get("metrics", {}))

