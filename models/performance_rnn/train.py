"""Training Performance RNN with the shared training loop.

Each piece becomes a performance (notes in seconds, tempo changes folded into
absolute time, the sustain pedal of a MIDI file folded into note lengths: see
``performance.py``). Every epoch, each training piece is stretched in time by
a factor drawn uniformly in 0.95-1.05 and transposed by a shift drawn among
those within ±:data:`MAX_SHIFT` semitones that keep it on the piano (seeded
by (seed, epoch)), encoded to events, cut into windows of ``seq_len`` + 1
events at a random offset, and shuffled. Each window is conditioned on its
own pitch-class histogram and note-density bin (``conditioning.py``).
Validation and test windows are fixed (no augmentation). The loss is
next-event cross-entropy: its negative on the test split is the held-out
log-likelihood per event the card reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from app.core.errors import CheckpointError, DatasetError
from models.common.augment import PIANO_RANGE
from models.common.corpus import dataset_credits, dataset_files, load_scores, measurable_splits
from models.common.optimisation import next_token_loss
from models.common.run_folder import base_card
from models.common.train_loop import train
from models.common.train_request import TrainRequest
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard

from models.performance_rnn.conditioning import CONTROL_SIZE, event_density, window_control
from models.performance_rnn.events import PerfNote, encode
from models.performance_rnn.model import PerformanceRNN, PerformanceRNNConfig
from models.performance_rnn.performance import file_performance

DEFAULT_DATA = ("corpus:piano-midi",)
SEQ_LEN = 256  # events per training window (plus the one predicted last)
MAX_SHIFT = 5  # transposition within ±5 semitones
STRETCH = (0.95, 1.05)  # time stretch range
MIN_NOTES = 4
PAD = -1
DESCRIPTION = ("Magenta's Performance RNN with dynamics, conditional variant: an LSTM over 388 performance events "
               "(128 note-ons, 128 note-offs, 100 time shifts of 10 ms, 32 velocity bins; the sustain pedal folded "
               "into note lengths), reading a 12-d pitch-class histogram and a note-density bin at every step.")


@dataclass
class Piece:
    key: str
    notes: list[PerfNote]
    shifts: list[int]  # feasible transpositions


@dataclass
class PerformanceData:
    train: list[Piece]
    valid: list[np.ndarray]
    test: list[np.ndarray]
    datasets: dict[str, Any] = field(default_factory=dict)
    held_out: str = ""
    density_median: float = 0.0  # notes per second of the median training window
    histogram_mean: list[float] = field(default_factory=list)  # mean pitch-class shares of the training windows

    def event_counts(self) -> dict[str, int]:
        return {"train": int(sum(len(encode(p.notes)) for p in self.train)),
                "valid": int(sum(map(len, self.valid))), "test": int(sum(map(len, self.test)))}


def feasible(notes: Sequence[PerfNote], max_shift: int = MAX_SHIFT) -> list[int]:
    low, high = min(n.pitch for n in notes), max(n.pitch for n in notes)
    out = [s for s in range(-max_shift, max_shift + 1) if low + s >= PIANO_RANGE[0] and high + s <= PIANO_RANGE[1]]
    return out or [0]


def load_performances(spec: str) -> tuple[list[tuple[str, list[PerfNote], str]], dict[str, Any]]:
    """``(key, performance, split)`` of every piece of a dataset, and its counts for the card."""
    root, _ = dataset_files(spec)
    report = load_scores(spec)
    pieces = []
    for item in report.items:
        path = Path(root) / item.key
        notes = file_performance(path, item.score) if path.is_file() else file_performance("", item.score)
        if len(notes) >= MIN_NOTES:
            pieces.append((item.key, notes, item.split))
    info = {"files": len(report.items) + report.skipped, "skipped": report.skipped, "pieces": len(pieces)}
    return pieces, info


def prepare_data(pieces: Sequence[tuple[str, list[PerfNote], str]], datasets: dict[str, Any] | None = None,
                 seq_len: int = SEQ_LEN) -> PerformanceData:
    """Split (keeping validation and test non-empty when there are 3 pieces or more) and encode."""
    splits, held_out = measurable_splits([k for k, _, _ in pieces], [s for _, _, s in pieces])
    by = {"train": [], "valid": [], "test": []}
    for split, (key, notes, _) in zip(splits, pieces):
        by[split].append((key, notes))
    if not by["train"]:
        raise DatasetError(f"The training split has no piece with at least {MIN_NOTES} notes.")
    train_set = [Piece(k, n, feasible(n)) for k, n in by["train"]]
    data = PerformanceData(train_set, [encode(n) for _, n in by["valid"]], [encode(n) for _, n in by["test"]],
                           dict(datasets or {}), held_out)
    windows = [w for p in train_set for w in fixed_windows(encode(p.notes), seq_len)]
    if windows:
        data.density_median = round(float(np.median([event_density(w[w >= 0]) for w in windows])), 3)
        data.histogram_mean = [round(float(x), 4) for x in np.mean([window_control(w[w >= 0])[:12] for w in windows], 0)]
    return data


def fixed_windows(ids: np.ndarray, seq_len: int, offset: int = 0) -> list[np.ndarray]:
    """Windows of ``seq_len`` + 1 events from ``offset`` with stride ``seq_len`` (int64); a piece shorter than
    one window gives one window padded with :data:`PAD`."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) < 2:
        return []
    if len(ids) <= seq_len + 1:
        out = np.full(seq_len + 1, PAD, dtype=np.int64)
        out[: len(ids)] = ids
        return [out]
    return [ids[s: s + seq_len + 1] for s in range(offset, len(ids) - seq_len, seq_len)]


def batch_of(windows: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids (B, L + 1) int64, controls (B, C) float32)``, each window's control from its own events."""
    ids = np.stack(windows)
    controls = np.stack([window_control(w[w >= 0]) for w in windows])
    return torch.from_numpy(ids), torch.from_numpy(controls)


class PerformanceTask(TrainTask):
    """Performance RNN for :func:`train`: conditioned windows of events, next-event cross-entropy."""

    def __init__(self, data: PerformanceData, model_cfg: PerformanceRNNConfig, seq_len: int = SEQ_LEN,
                 batch_size: int = 32, seed: int = 0, augment: bool = True, specs: Sequence[str] = (),
                 command: str = "") -> None:
        self.data, self.model_cfg, self.seq_len, self.batch_size = data, model_cfg, seq_len, batch_size
        self.seed, self.augment, self.specs, self.command = seed, augment, list(specs), command
        self.windows = sum(len(fixed_windows(encode(p.notes), seq_len)) for p in data.train)
        self._cached: tuple[int, list[list[np.ndarray]]] | None = None
        self._held: dict[str, list] = {}

    def build_model(self) -> nn.Module:
        return PerformanceRNN(self.model_cfg)

    def epoch_windows(self, epoch: int) -> list[list[np.ndarray]]:
        """The epoch's batches of windows: stretched, transposed, windowed, shuffled by (seed, epoch).

        An epoch always holds ``self.windows`` windows (the unstretched count), so its length is known without
        encoding it: a stretch that gives more drops the last ones after shuffling, one that gives fewer
        repeats some.
        """
        if self._cached is None or self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            windows: list[np.ndarray] = []
            for piece in self.data.train:
                stretch = float(rng.uniform(*STRETCH)) if self.augment else 1.0
                shift = int(rng.choice(piece.shifts)) if self.augment else 0
                ids = encode(piece.notes, stretch, shift)
                offset = int(rng.integers(0, self.seq_len)) if len(ids) > 2 * self.seq_len + 2 else 0
                windows += fixed_windows(ids, self.seq_len, offset)
            order = rng.permutation(len(windows))
            if len(order) < self.windows:
                order = np.concatenate([order, rng.choice(len(windows), self.windows - len(order))])
            windows = [windows[i] for i in order[: self.windows]]
            self._cached = (epoch, [windows[i: i + self.batch_size] for i in range(0, len(windows), self.batch_size)])
        return self._cached[1]

    def num_train_batches(self, epoch: int) -> int:
        return -(-self.windows // self.batch_size)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[Any]:
        for windows in shard(self.epoch_windows(epoch), rank, world):
            yield batch_of(windows)

    def _held_out(self, split: str) -> list:
        if split not in self._held:
            pieces = self.data.valid if split == "valid" else self.data.test
            windows = [w for ids in pieces for w in fixed_windows(ids, self.seq_len)]
            self._held[split] = [batch_of(windows[i: i + self.batch_size])
                                 for i in range(0, len(windows), self.batch_size)]
        return self._held[split]

    def valid_batches(self) -> Iterable[Any]:
        return self._held_out("valid")

    def test_batches(self) -> Iterable[Any] | None:
        return self._held_out("test") or None

    def loss(self, model: nn.Module, batch: Any, device: torch.device) -> tuple[torch.Tensor, int, int]:
        ids, control = (t.to(device, non_blocking=True) for t in batch)
        logits, _ = model(ids[:, :-1].clamp(min=0), control)  # (B, L, V)
        return next_token_loss(logits, ids[:, 1:], PAD)

    def card(self) -> dict[str, Any]:
        d = self.data
        return {
            "arch": "performance-rnn", "name": "performance-rnn", "description": DESCRIPTION,
            "config": asdict(self.model_cfg),
            "controls": {"density_median": d.density_median, "histogram_mean": d.histogram_mean},
            "training": {"data": self.specs, "datasets": d.datasets, "command": self.command, "seed": self.seed,
                         "seq_len": self.seq_len, "batch_size": self.batch_size,
                         "augmentation": (f"time stretch by a factor drawn uniformly in {STRETCH[0]}-{STRETCH[1]} "
                                          f"and a transposition within ±{MAX_SHIFT} semitones that keeps the piece "
                                          "on the piano, drawn per piece per epoch (train split)")
                         if self.augment else None,
                         "pieces": {"train": len(d.train), "valid": len(d.valid), "test": len(d.test)},
                         **({"held_out": d.held_out} if d.held_out else {}),
                         "windows_per_epoch": self.windows},
        }


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface: load, fold the pedal, encode, then train (see :func:`train`).

    ``request.sizes`` sets PerformanceRNNConfig fields (hidden, layers); a fine-tune keeps the base's config.
    """
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, **request.hyperparameters())
    if request.batch_size is None:
        cfg.batch_size = 32
    specs = list(request.data or DEFAULT_DATA)
    base = base_card(cfg.init_from, "performance-rnn") if cfg.init_from else None
    if base and request.sizes:
        raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
    pieces, info = [], {}
    for spec in specs:
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
        found, info[spec] = load_performances(spec)
        pieces += found
    data = prepare_data(pieces, info)
    credits = dataset_credits(specs)
    if credits:
        data.datasets["credits"] = credits
    if data.held_out:
        yield TrainProgress(0, 0, 0, message=data.held_out)
    model_cfg = PerformanceRNNConfig(**base["config"]) if base else PerformanceRNNConfig(**request.sizes)
    task = PerformanceTask(data, model_cfg, SEQ_LEN, cfg.batch_size, cfg.seed, specs=specs, command=request.command)
    return (yield from train(task, cfg, request.out, request.resume))
