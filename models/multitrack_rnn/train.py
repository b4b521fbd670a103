"""Training multitrack-rnn on band pieces with the shared training loop.

Each piece becomes, per step t, an input ``[band at t - 1, lead at t]`` (768; the band before the
first step is silence, so a band can start from nothing under a melody) and a target, the band at
t (640). Each epoch transposes every training piece's pitched roles by a random feasible shift
(within ±5 semitones; drums stay), cuts it into windows of ``context`` steps (32) from a random
offset, silences the lead in a quarter of the windows (so the band also continues without a
melody), and shuffles them, all seeded by (seed, epoch). Validation and test windows are fixed,
with their lead. The loss is binary cross-entropy per role and step (nats per role-step); the
accuracy, the share of role-steps predicted exactly (logit > 0).

Before training, the note-count table (``counts.count_table``) is measured on the training pieces
and stored in the model's ``note_counts`` buffer, so it travels with the weights. The decoding's
count chain (``count_chain.count_chain``: each role's count after the count before, per position in
the beat) is measured on the same pieces and written into the card's ``decoding`` with the pitch
temperature, as the bundled checkpoint's card holds them, so a new training decodes as it does.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.core.errors import CheckpointError
from models.common.band_roll import ROLES, BandPieces, feasible_shifts, load_band_pieces, shifted
from models.common.run_folder import base_card
from models.common.train_loop import train
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard
from models.common.train_request import TrainRequest

from models.multitrack_rnn.count_chain import chain_to_card, count_chain
from models.multitrack_rnn.counts import count_table
from models.multitrack_rnn.model import BAND, MultitrackRNN, MultitrackRNNConfig

DEFAULT_DATA = ("corpus:band",)
MAX_SHIFT = 5
LEAD_DROPOUT = 0.25
ROLE_COUNT = len(ROLES)
DESCRIPTION = ("Tham & Kim's multi-instrument RNN: the five LPD-5 roles' 128-pitch rolls at each 16th step "
               "flattened to 640 dimensions, a recurrent network predicting the next step from the last 32 "
               "(the lead, read as a sixth roll, is heard but not written); each role samples as many notes "
               "per step as the training data's note-count distribution draws.")
PITCH_TEMPERATURE = 0.2  # the bundled checkpoint's, chosen on corpus:band's validation split (its card's decoding)
DECODING_RULE = ("each role's note count at a step is drawn from the training data's counts after the count it played "
                 "at the step before, per position in the beat (count_chain[role][position][count before] -> count "
                 "now); that many distinct pitches are drawn from the role's softmax at the request's temperature "
                 "times pitch_temperature (models/multitrack_rnn/count_chain.py)")


def piece_arrays(rolls: np.ndarray, lead: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(steps, 768)`` and targets ``(steps, 640)`` (bool) of one piece's ``(6, steps, 128)`` rolls."""
    steps = rolls.shape[1]
    band = rolls[1:].transpose(1, 0, 2).reshape(steps, BAND)  # (steps, 640)
    before = np.concatenate([np.zeros((1, BAND), dtype=bool), band[:-1]])
    melody = rolls[0] if lead else np.zeros_like(rolls[0])
    return np.concatenate([before, melody], axis=1), band


def windows(pieces: Sequence[np.ndarray], length: int, rng: np.random.Generator | None = None,
            shifts: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All windows of ``length`` steps of ``pieces`` (random offsets and shifts with ``rng``):
    inputs ``(N, length, 768)`` and targets ``(N, length, 640)``, bool."""
    xs, ys = [], []
    for i, rolls in enumerate(pieces):
        if shifts is not None:
            rolls = shifted(rolls, shifts[i])
        x, y = piece_arrays(rolls)
        offset = int(rng.integers(length)) if rng is not None and x.shape[0] > 2 * length else 0
        count = (x.shape[0] - offset) // length
        if count == 0:
            continue
        xs.append(x[offset: offset + count * length].reshape(count, length, -1))
        ys.append(y[offset: offset + count * length].reshape(count, length, -1))
    if not xs:
        return np.zeros((0, length, BAND + 128), dtype=bool), np.zeros((0, length, BAND), dtype=bool)
    return np.concatenate(xs), np.concatenate(ys)


class MultitrackRNNTask(TrainTask):
    """multitrack-rnn for :func:`train`: windows of steps, binary cross-entropy per role and pitch."""

    def __init__(self, data: BandPieces, cfg: MultitrackRNNConfig, batch_size: int = 64, seed: int = 0,
                 specs: Sequence[str] = (), command: str = "") -> None:
        self.data, self.cfg, self.batch_size, self.seed = data, cfg, batch_size, seed
        self.specs, self.command = list(specs), command
        self.shifts = [feasible_shifts(p, MAX_SHIFT) for p in data.train]
        self.table = count_table(data.train, cfg.max_count)
        self.chain = count_chain(data.train, cfg.max_count)
        self._cached: tuple[int, list] | None = None

    def build_model(self) -> nn.Module:
        model = MultitrackRNN(self.cfg)
        model.note_counts.copy_(torch.from_numpy(self.table))
        return model

    def epoch_batches(self, epoch: int) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._cached is None or self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            shifts = [int(rng.choice(s)) for s in self.shifts]
            x, y = windows(self.data.train, self.cfg.context, rng, shifts)
            silent = rng.random(len(x)) < LEAD_DROPOUT
            x[silent, :, BAND:] = False
            order = rng.permutation(len(x))
            self._cached = (epoch, [(x[order[i: i + self.batch_size]], y[order[i: i + self.batch_size]])
                                    for i in range(0, len(x), self.batch_size)])
        return self._cached[1]

    def num_train_batches(self, epoch: int) -> int:
        return len(self.epoch_batches(epoch))

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[tuple[torch.Tensor, ...]]:
        for x, y in shard(self.epoch_batches(epoch), rank, world):
            yield torch.from_numpy(x), torch.from_numpy(y)

    def _fixed(self, pieces: Sequence[np.ndarray]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        x, y = windows(pieces, self.cfg.context)
        return [(torch.from_numpy(x[i: i + self.batch_size]), torch.from_numpy(y[i: i + self.batch_size]))
                for i in range(0, len(x), self.batch_size)]

    def valid_batches(self) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
        return self._fixed(self.data.valid)

    def test_batches(self) -> Iterable[tuple[torch.Tensor, torch.Tensor]] | None:
        return self._fixed(self.data.test) or None

    def loss(self, model: nn.Module, batch, device: torch.device) -> tuple[torch.Tensor, int, int]:
        """Binary cross-entropy per role-step (nats), role-steps, role-steps predicted exactly."""
        x, y = (t.to(device, non_blocking=True).float() for t in batch)  # (B, L, 768), (B, L, 640)
        logits, _ = model(x)  # (B, L, 640)
        role_steps = y.shape[0] * y.shape[1] * ROLE_COUNT
        loss = F.binary_cross_entropy_with_logits(logits.float(), y, reduction="sum") / role_steps
        exact = ((logits > 0) == y.bool()).view(y.shape[0], y.shape[1], ROLE_COUNT, -1).all(-1)
        return loss, role_steps, int(exact.sum())

    def card(self) -> dict[str, Any]:
        d = self.data
        return {
            "arch": "multitrack-rnn", "name": "multitrack-rnn", "description": DESCRIPTION,
            "config": asdict(self.cfg),
            "training": {"data": self.specs, "datasets": d.datasets, "command": self.command, "seed": self.seed,
                         "batch_size": self.batch_size, "window_steps": self.cfg.context,
                         "lead_dropout": LEAD_DROPOUT,
                         "augmentation": f"random transposition of the pitched roles within ±{MAX_SHIFT} semitones "
                                         "(keeping every note in 0-127), drawn per piece per epoch (train split)",
                         "pieces": d.counts(), "sixteenths": d.steps(),
                         "mean_notes_per_step": {r: round(float(self.table[i].mean(0) @ np.arange(self.cfg.max_count + 1)), 3)
                                                 for i, r in enumerate(ROLES)}},
            "decoding": self.decoding(),
        }

    def decoding(self) -> dict[str, Any]:
        """The card's ``decoding``: the count chain of the training pieces and the pitch temperature."""
        top = self.cfg.max_count
        return {"count_chain": chain_to_card(self.chain),
                "measured_by": f"models.multitrack_rnn.count_chain.count_chain(load_band_pieces({self.specs!r})"
                               f".train, {top}): {len(self.data.train)} training pieces, counts above {top} counted "
                               f"as {top}",
                "pitch_temperature": PITCH_TEMPERATURE,
                "pitch_temperature_chosen_by": "kept from the bundled multitrack-rnn checkpoint, where it was chosen "
                                               "by overlap_mean on 32 seeds of corpus:band's validation split (see its "
                                               "card); not chosen again for this training",
                "rule": DECODING_RULE}


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface: ``request.sizes`` (hidden, layers, cell) set MultitrackRNNConfig
    fields; with ``request.fine_tune`` the base checkpoint's config is kept."""
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, **request.hyperparameters())
    specs = list(request.data or DEFAULT_DATA)
    base = base_card(cfg.init_from, "multitrack-rnn") if cfg.init_from else None
    if base and request.sizes:
        raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
    model_cfg = MultitrackRNNConfig(**base["config"]) if base else replace(MultitrackRNNConfig(), **request.sizes)
    for spec in specs:
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
    data = load_band_pieces(specs, min_steps=model_cfg.context)
    task = MultitrackRNNTask(data, model_cfg, cfg.batch_size, cfg.seed, specs, request.command)
    return (yield from train(task, cfg, request.out, request.resume))
