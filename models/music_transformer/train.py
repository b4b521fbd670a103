"""Training the music-transformer on every offline corpus, merged with weights, under the shared loop.

Each epoch draws ``windows_per_epoch`` training windows (seeded by (seed,
epoch)): a dataset by its weight, a piece of it, a random transposition that
keeps every pitched note on the piano, a starting bar, and as many bars as
fit in ``seq_len`` tokens. Half the windows are plain continuation; the
other half are laid out for infill (MMM's bar-level fill-in-the-middle): a
span of 1-4 bars on a random set of tracks (all of them a third of the time)
is taken out and moved after ``Fill``, so the model learns to write bars that
fit both what comes before and what comes after. Validation and test windows
are drawn the same way from the held-out pieces, once, with a fixed seed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from app.core.errors import CheckpointError, DatasetError
from models.common.augment import feasible_shifts
from models.common.corpus import CorpusItem, load_scores, measurable_splits
from models.common.run_folder import base_card
from models.common.optimisation import next_token_loss
from models.common.train_loop import train
from models.common.train_request import TrainRequest
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard

from models.music_transformer import codec as C
from models.music_transformer.accompany import accompaniment_card
from models.music_transformer import vocab as V
from models.music_transformer.model import MusicTransformer, MusicTransformerConfig

DEFAULT_DATA = ("corpus:chorales", "corpus:classical", "corpus:folk-abc", "corpus:palestrina", "corpus:piano-midi",
                "corpus:band")
WEIGHTS = {"corpus:chorales": 0.25, "corpus:classical": 0.2, "corpus:folk-abc": 0.15,
           "corpus:palestrina": 0.2, "corpus:piano-midi": 0.2, "corpus:band": 0.2}  # another (a folder) weighs 0.2
OTHER_WEIGHT = 0.2
BAND_DATA = "corpus:band"
SEQ_LEN = 512
WINDOWS_PER_EPOCH = 4096
HELD_OUT_WINDOWS = 256
MAX_SHIFT = 5
INFILL_SHARE = 0.5
DESCRIPTION = ("A decoder-only transformer (rotary relative positions, pre-norm, tied embeddings) over "
               "multi-track bar/position tokens, trained for continuation and for bar-level infill of "
               "chosen tracks (fill-in-the-middle), with note-density tokens; key lock, pitch range and "
               "keep-rhythm are decode-time masks.")


@dataclass
class PieceSet:
    """Pieces of one split, on the grid, grouped by dataset."""

    by_dataset: dict[str, list[C.Piece]] = field(default_factory=dict)
    shifts: dict[str, list[list[int]]] = field(default_factory=dict)

    def add(self, spec: str, item: CorpusItem) -> None:
        piece = C.from_score(item.score)
        if sum(map(len, piece.bars)) < 4:
            return
        self.by_dataset.setdefault(spec, []).append(piece)
        self.shifts.setdefault(spec, []).append(feasible_shifts(item.score, MAX_SHIFT))

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.by_dataset.items()}


def shifted(piece: C.Piece, shift: int) -> C.Piece:
    if not shift:
        return piece
    bars = [[e if piece.programs[e.track] == V.DRUM_PROGRAM else
             C.Event(e.bar, e.pos, e.track, e.pitch + shift, e.dur, e.vel) for e in bar] for bar in piece.bars]
    return C.Piece(piece.programs, piece.meters, bars, piece.bpm, piece.names)


def window_ids(piece: C.Piece, rng: np.random.Generator, seq_len: int, infill: bool) -> list[int]:
    """One training sequence from ``piece`` (at most ``seq_len + 1`` ids)."""
    start = int(rng.integers(piece.n_bars))
    budget = seq_len + 1 - (48 if infill else 0)
    header = len(C.header_ids(piece))
    stop, used = start, header
    while stop < piece.n_bars:
        cost = len(C.bar_ids(piece, stop, piece.bars[stop]))
        if used + cost > budget and stop > start:
            break
        used += cost
        stop += 1
    if not infill or stop - start < 1:
        return C.encode(piece, start, stop, end=stop == piece.n_bars)[: seq_len + 1]
    length = int(rng.integers(1, min(4, stop - start) + 1))
    first = start + int(rng.integers(stop - start - length + 1))
    present = sorted({e.track for e in piece.events(first, first + length)}) or [0]
    if len(present) == 1 or rng.random() < 1 / 3:
        tracks = present
    else:
        tracks = sorted(rng.choice(present, size=int(rng.integers(1, len(present))), replace=False).tolist())
    context, target = C.encode_infill(piece, range(first, first + length), tracks, start, stop)
    return (context + target)[: seq_len + 1]


def draw_windows(pieces: PieceSet, weights: dict[str, float], n: int, seq_len: int,
                 rng: np.random.Generator, augment: bool) -> np.ndarray:
    """``n`` windows (n, seq_len + 1), PAD-filled."""
    specs = sorted(pieces.by_dataset)
    p = np.array([weights.get(s, OTHER_WEIGHT) for s in specs], dtype=float)
    p /= p.sum()
    out = np.full((n, seq_len + 1), V.PAD, dtype=np.int64)
    for row in range(n):
        spec = specs[int(rng.choice(len(specs), p=p))]
        i = int(rng.integers(len(pieces.by_dataset[spec])))
        piece = pieces.by_dataset[spec][i]
        if augment:
            options = pieces.shifts[spec][i]
            piece = shifted(piece, int(options[int(rng.integers(len(options)))]))
        ids = window_ids(piece, rng, seq_len, rng.random() < INFILL_SHARE)
        out[row, : len(ids)] = ids
    return out


class MusicTransformerTask(TrainTask):
    """Windows of ids, next-token cross-entropy (PAD ignored)."""

    def __init__(self, splits: dict[str, PieceSet], model_cfg: MusicTransformerConfig, weights: dict[str, float],
                 seq_len: int = SEQ_LEN, batch_size: int = 16, seed: int = 0, windows: int = WINDOWS_PER_EPOCH,
                 specs: Sequence[str] = (), command: str = "", datasets: dict[str, Any] | None = None) -> None:
        self.splits, self.model_cfg, self.weights = splits, model_cfg, weights
        self.seq_len, self.batch_size, self.seed, self.windows = seq_len, batch_size, seed, windows
        self.specs, self.command, self.datasets = list(specs), command, dict(datasets or {})
        self._cached: tuple[int, list[np.ndarray]] | None = None
        self._held: dict[str, list[torch.Tensor]] = {}
        # the band density table accompanying draws from, read once (card() runs at every save)
        band = splits["train"].by_dataset.get(BAND_DATA) if BAND_DATA in self.specs else None
        self.accompaniment = accompaniment_card(band, BAND_DATA) if band else None

    def build_model(self) -> nn.Module:
        return MusicTransformer(self.model_cfg)

    def epoch_batches(self, epoch: int) -> list[np.ndarray]:
        if self._cached is None or self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            w = draw_windows(self.splits["train"], self.weights, self.windows, self.seq_len, rng, True)
            self._cached = (epoch, [w[i: i + self.batch_size] for i in range(0, len(w), self.batch_size)])
        return self._cached[1]

    def num_train_batches(self, epoch: int) -> int:
        return -(-self.windows // self.batch_size)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[torch.Tensor]:
        for batch in shard(self.epoch_batches(epoch), rank, world):
            yield torch.from_numpy(batch)

    def _held_out(self, split: str) -> list[torch.Tensor]:
        if split not in self._held:
            pieces = self.splits.get(split)
            if pieces is None or not pieces.by_dataset:
                self._held[split] = []
            else:
                rng = np.random.default_rng([12345, 0 if split == "valid" else 1])
                w = draw_windows(pieces, self.weights, HELD_OUT_WINDOWS, self.seq_len, rng, False)
                self._held[split] = [torch.from_numpy(w[i: i + self.batch_size])
                                     for i in range(0, len(w), self.batch_size)]
        return self._held[split]

    def valid_batches(self) -> Iterable[torch.Tensor]:
        return self._held_out("valid")

    def test_batches(self) -> Iterable[torch.Tensor] | None:
        return self._held_out("test") or None

    def loss(self, model: nn.Module, batch: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, int, int]:
        batch = batch.to(device, non_blocking=True)
        inputs, targets = batch[:, :-1], batch[:, 1:]  # (B, L) each
        return next_token_loss(model(inputs), targets, V.PAD)  # logits (B, L, V)

    def card(self) -> dict[str, Any]:
        return {
            "arch": "music-transformer", "name": "music-transformer", "description": DESCRIPTION,
            "config": asdict(self.model_cfg), "vocabulary": list(V.TOKENS),
            "accompanies": self.accompaniment is not None,  # a band under a lead needs the band corpus
            **({"accompaniment": self.accompaniment} if self.accompaniment else {}),
            "training": {"data": self.specs, "weights": {s: self.weights.get(s, OTHER_WEIGHT) for s in self.specs},
                         "datasets": self.datasets, "command": self.command, "seed": self.seed,
                         "seq_len": self.seq_len, "batch_size": self.batch_size,
                         "windows_per_epoch": self.windows, "infill_share": INFILL_SHARE,
                         "augmentation": f"random transposition within ±{MAX_SHIFT} semitones that keeps every "
                                         "pitched note on the piano, per window (train split)",
                         "pieces": {s: p.counts() for s, p in self.splits.items()}},
        }


def _credits(specs: Sequence[str]) -> list[dict[str, Any]]:
    try:
        from models.common.corpus import dataset_credit
    except ImportError:
        return []
    return [c for c in (dataset_credit(s) for s in specs) if c]


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface (see :func:`models.common.train_loop.train`)."""
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, **request.hyperparameters())
    if request.batch_size is None:
        cfg.batch_size = 16
    specs = list(request.data or DEFAULT_DATA)
    base = base_card(cfg.init_from, "music-transformer") if cfg.init_from else None
    if base and request.sizes:
        raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
    splits = {s: PieceSet() for s in ("train", "valid", "test")}
    datasets: dict[str, Any] = {}
    for spec in specs:
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
        report = load_scores(spec)
        labels, note = measurable_splits([i.key for i in report.items], [i.split for i in report.items])
        if note:
            yield TrainProgress(0, 0, 0, message=note)
        for item, split in zip(report.items, labels):
            splits[split].add(spec, item)
        datasets[spec] = {"files": len(report.items) + report.skipped, "skipped": report.skipped,
                          "pieces": {s: len(p.by_dataset.get(spec, [])) for s, p in splits.items()}}
    if not splits["train"].by_dataset:
        raise DatasetError("The training split has no piece with at least four notes.")
    sizes = dict(request.sizes)
    sizes.setdefault("max_len", SEQ_LEN)  # rotary positions beyond the trained window were never seen
    model_cfg = MusicTransformerConfig(**base["config"]) if base else MusicTransformerConfig(
        vocab_size=V.VOCAB_SIZE, **sizes)
    task = MusicTransformerTask(splits, model_cfg, WEIGHTS, SEQ_LEN, cfg.batch_size, cfg.seed,
                                specs=specs, command=request.command, datasets=datasets)
    credits = _credits(specs)
    if credits:
        task.datasets["credits"] = credits
    return (yield from train(task, cfg, request.out, request.resume))
