"""Training harmony-cnn on band pieces with the shared training loop: MelodyCNN and the five
conditional HarmonyCNNs together.

A piece's rolls are cut into segments of 32 steps from its first bar line (the last one padded
with silence). A training example is a pair of consecutive segments (t, t + 1) of all six tracks;
the first segment of a piece is paired with silence before it, so a band can start from nothing
under a melody. The loss, summed per track-step: binary cross-entropy of MelodyCNN(lead at t)
against the lead at t + 1, and of each role's HarmonyCNN(lead at t + 1, the role at t) against the
role at t + 1. Each epoch transposes every training piece's pitched tracks by a random feasible
shift (within ±5 semitones; drums stay) and shuffles the pairs, seeded by (seed, epoch);
validation and test pairs are fixed. The accuracy is the share of track-steps predicted exactly
(logit > 0).

Each track's share of empty bars (``bar_fill.empty_bar_shares``) is measured on the training pieces
and written into the card's ``decoding``, as the bundled checkpoint's card holds it, so a new
training fills the bars its draws leave empty as the bundled model does.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.core.errors import CheckpointError
from models.common.band_roll import TRACKS, BandPieces, feasible_shifts, load_band_pieces, shifted
from models.common.run_folder import base_card
from models.common.train_loop import train
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard
from models.common.train_request import TrainRequest

from models.harmony_cnn.bar_fill import empty_bar_shares
from models.harmony_cnn.model import STEPS, HarmonyCNN, HarmonyCNNConfig

DEFAULT_DATA = ("corpus:band",)
MAX_SHIFT = 5
DESCRIPTION = ("Tham & Kim's MelodyCNN and conditional HarmonyCNNs over 32-step, 128-pitch segments: MelodyCNN "
               "(3 convolutions, 3 dense, 3 transposed convolutions) from the lead's segment t to t + 1, and per "
               "band role (drums, bass, guitar, piano, strings) a HarmonyCNN from (the lead at t + 1, the role "
               "at t) to the role at t + 1; given a melody it writes the band under it.")
DECODING_RULE = ("per role, a bar (of the meter being written: 16 steps in 4/4, 12 in 3/4) the per-pitch draws left "
                 "empty keeps the bar's most likely pitch where the "
                 "track should sound (every band role under a lead; after a seed, the tracks the seed plays, "
                 "MelodyCNN's lead included), unless a draw with the track's empty_bar_share keeps it empty "
                 "(models/harmony_cnn/bar_fill.py)")


def segments(rolls: np.ndarray) -> np.ndarray:
    """``(6, steps, 128)`` rolls -> ``(segments + 1, 6, 32, 128)``: a silent segment, then the piece's."""
    tracks, steps, pitches = rolls.shape
    count = -(-steps // STEPS)
    padded = np.zeros((tracks, (count + 1) * STEPS, pitches), dtype=bool)
    padded[:, STEPS: STEPS + steps] = rolls
    return padded.reshape(tracks, count + 1, STEPS, pitches).transpose(1, 0, 2, 3)


def pair_loss(model: HarmonyCNN, before: torch.Tensor, after: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed BCE and exactly predicted track-steps of segment pairs ``before``/``after`` ``(B, 6, 32, 128)``."""
    logits = [model.melody(before[:, 0])]
    logits += [net(after[:, 0], before[:, k]) for k, net in enumerate(model.harmony, start=1)]
    stacked = torch.stack(logits, dim=1)  # (B, 6, 32, 128)
    loss = F.binary_cross_entropy_with_logits(stacked.float(), after, reduction="sum")
    exact = ((stacked > 0) == after.bool()).all(-1).sum()
    return loss, exact


class HarmonyCNNTask(TrainTask):
    """harmony-cnn for :func:`train`: consecutive segment pairs of the six tracks."""

    def __init__(self, data: BandPieces, cfg: HarmonyCNNConfig, batch_size: int = 64, seed: int = 0,
                 specs: Sequence[str] = (), command: str = "") -> None:
        self.data, self.cfg, self.batch_size, self.seed = data, cfg, batch_size, seed
        self.specs, self.command = list(specs), command
        self.pieces = [segments(p) for p in data.train]
        self.shifts = [feasible_shifts(p, MAX_SHIFT) for p in data.train]
        self.index = np.array([(i, s) for i, segs in enumerate(self.pieces) for s in range(1, len(segs))])
        self.empty_share = empty_bar_shares(data.train)

    def build_model(self) -> nn.Module:
        return HarmonyCNN(self.cfg)

    def epoch_batches(self, epoch: int) -> list[np.ndarray]:
        """Rows ``(piece, segment, shift)`` of each batch, in a (seed, epoch)-determined order."""
        rng = np.random.default_rng([self.seed, epoch])
        shifts = np.array([int(rng.choice(s)) for s in self.shifts])
        rows = np.column_stack([self.index, shifts[self.index[:, 0]]])[rng.permutation(len(self.index))]
        return [rows[i: i + self.batch_size] for i in range(0, len(rows), self.batch_size)]

    def num_train_batches(self, epoch: int) -> int:
        return -(-len(self.index) // self.batch_size)

    def _pairs(self, rows: np.ndarray) -> torch.Tensor:
        pairs = np.stack([shifted(self.pieces[p][s - 1: s + 1].transpose(1, 0, 2, 3).reshape(len(TRACKS), 2 * STEPS, -1),
                                  int(k)).reshape(len(TRACKS), 2, STEPS, -1).transpose(1, 0, 2, 3)
                          for p, s, k in rows])  # (B, 2, 6, 32, 128)
        return torch.from_numpy(pairs)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[torch.Tensor]:
        for rows in shard(self.epoch_batches(epoch), rank, world):
            yield self._pairs(rows)

    def _fixed(self, pieces: Sequence[np.ndarray]) -> list[torch.Tensor]:
        pairs = [np.stack([segs[:-1], segs[1:]], axis=1) for segs in map(segments, pieces)]
        if not pairs:
            return []
        every = np.concatenate(pairs)  # (N, 2, 6, 32, 128)
        return [torch.from_numpy(every[i: i + self.batch_size]) for i in range(0, len(every), self.batch_size)]

    def valid_batches(self) -> Iterable[torch.Tensor]:
        return self._fixed(self.data.valid)

    def test_batches(self) -> Iterable[torch.Tensor] | None:
        return self._fixed(self.data.test) or None

    def loss(self, model: nn.Module, batch: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, int, int]:
        """BCE per track-step (nats), track-steps, track-steps predicted exactly."""
        pairs = batch.to(device, non_blocking=True).float()  # (B, 2, 6, 32, 128)
        raw: HarmonyCNN = getattr(model, "module", model)
        total, exact = pair_loss(raw, pairs[:, 0], pairs[:, 1])
        track_steps = pairs.shape[0] * len(TRACKS) * STEPS
        return total / track_steps, track_steps, int(exact)

    def card(self) -> dict[str, Any]:
        d = self.data
        return {
            "arch": "harmony-cnn", "name": "harmony-cnn", "description": DESCRIPTION, "config": asdict(self.cfg),
            "training": {"data": self.specs, "datasets": d.datasets, "command": self.command, "seed": self.seed,
                         "batch_size": self.batch_size, "segment_steps": STEPS, "tracks": list(TRACKS),
                         "augmentation": f"random transposition of the pitched tracks within ±{MAX_SHIFT} semitones "
                                         "(keeping every note in 0-127), drawn per piece per epoch (train split)",
                         "pieces": d.counts(), "sixteenths": d.steps(), "pairs_per_epoch": int(len(self.index))},
            "decoding": {"empty_bar_share": self.empty_share,
                         "measured_by": "models.harmony_cnn.bar_fill.empty_bar_shares("
                                        f"load_band_pieces({self.specs!r}).train): the share of 16-step bars without "
                                        "a note over the training pieces where the track sounds at all "
                                        f"({len(d.train)} training pieces)",
                         "rule": DECODING_RULE},
        }


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface: ``request.sizes`` (dense) set HarmonyCNNConfig fields; with
    ``request.fine_tune`` the base checkpoint's config is kept. Weights are saved as fp16."""
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, half_weights=True,
                      **request.hyperparameters())
    specs = list(request.data or DEFAULT_DATA)
    base = base_card(cfg.init_from, "harmony-cnn") if cfg.init_from else None
    if base and request.sizes:
        raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
    model_cfg = HarmonyCNNConfig(**base["config"]) if base else replace(HarmonyCNNConfig(), **request.sizes)
    for spec in specs:
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
    data = load_band_pieces(specs, min_steps=STEPS)
    task = HarmonyCNNTask(data, model_cfg, cfg.batch_size, cfg.seed, specs, request.command)
    return (yield from train(task, cfg, request.out, request.resume))
