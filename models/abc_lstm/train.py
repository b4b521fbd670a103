"""Training abc-lstm on ABC tunes (``corpus:folk-abc`` or a folder) with the shared loop.

Tunes are normalised (``codec.normalize_tune``: the X T M L K header and a
clean body) and joined with an end-of-tune character. Each epoch transposes
every training tune by a random shift in -5..+6 semitones (seeded by
(seed, epoch); tunes a shift cannot respell stay as they are), concatenates
them in a shuffled order and cuts the stream into windows of ``seq_len``
characters. Validation and test text is fixed. Metrics are reported in bits
per character as well as nats.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.core.errors import CheckpointError, DatasetError
from models.common.card import read_card, update_card
from models.common.corpus import abc_tunes
from models.common.run_folder import base_card
from models.common.train_loop import train
from models.common.train_task import TrainConfig, TrainRun, TrainTask, shard
from models.common.train_request import TrainRequest

from models.abc_lstm.codec import END, CharVocab, normalize_tune, transpose_tune
from models.abc_lstm.grammar import ALPHABET
from models.abc_lstm.model import AbcLSTM, AbcLSTMConfig

DEFAULT_DATA = ("corpus:folk-abc",)
SHIFTS = tuple(range(-5, 7))
PRINTABLE = "".join(chr(c) for c in range(32, 127)) + "\n"
DESCRIPTION = ("Character-level ABC LSTM after folk-rnn and the Nottingham-ABC studies: embedding, three stacked "
               "LSTM layers with dropout; decoding follows an ABC grammar so every tune is valid with full bars.")


class AbcLSTMTask(TrainTask):
    """Character windows of normalised, transposed tunes."""

    def __init__(self, specs: Sequence[str], cfg: TrainConfig, seq_len: int = 128,
                 model: dict[str, Any] | None = None, limit: int | None = None) -> None:
        self.specs, self.cfg, self.seq_len = list(specs), cfg, seq_len
        self.splits: dict[str, list[str]] = {"train": [], "valid": [], "test": []}
        self.counts = {"tunes": 0, "kept": 0}
        for spec in self.specs:
            for tune in abc_tunes(spec)[:limit]:
                self.counts["tunes"] += 1
                text = normalize_tune(tune.text)
                if text:
                    self.counts["kept"] += 1
                    self.splits[tune.split].append(text)
        if not self.splits["train"]:
            raise DatasetError(f"No usable ABC tune was found in {', '.join(self.specs)}.")
        # printable ASCII, newline and the end mark: every tune encodes (anything else becomes a space)
        self.vocab = CharVocab.build([PRINTABLE, "".join(sorted(ALPHABET))])
        self.model_cfg = AbcLSTMConfig(vocab_size=len(self.vocab), **(model or {}))
        if cfg.init_from:  # fine-tuning keeps the base's sizes; the vocabulary is fixed, so it must agree
            base = base_card(cfg.init_from, "abc-lstm")
            if model:
                raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
            if base["vocabulary"] != self.vocab.to_list():
                raise CheckpointError(f"{cfg.init_from} uses another character set; train from scratch instead.")
            self.model_cfg = AbcLSTMConfig(**base["config"])
        self._epoch_cache: tuple[int, list[torch.Tensor]] | None = None

    def build_model(self) -> nn.Module:
        return AbcLSTM(self.model_cfg)

    def _windows(self, texts: Iterable[str], offset: int = 0) -> torch.Tensor:
        """(N, seq_len + 1) windows of the joined texts."""
        space = self.vocab.index[" "]
        ids = [self.vocab.index.get(c, space) for t in texts for c in t + END][offset:]
        n = (len(ids) - 1) // self.seq_len
        data = torch.tensor(ids[: n * self.seq_len + 1], dtype=torch.long)
        return torch.stack([data[i * self.seq_len: (i + 1) * self.seq_len + 1] for i in range(n)]) if n else torch.empty(0, self.seq_len + 1, dtype=torch.long)

    def _batches(self, windows: torch.Tensor) -> list[torch.Tensor]:
        bs = self.cfg.batch_size
        return [windows[i: i + bs] for i in range(0, len(windows) - bs + 1, bs)] or ([windows] if len(windows) else [])

    def _epoch(self, epoch: int) -> list[torch.Tensor]:
        if self._epoch_cache and self._epoch_cache[0] == epoch:
            return self._epoch_cache[1]
        rng = np.random.default_rng([self.cfg.seed, epoch])
        texts = []
        for text, shift in zip(self.splits["train"], rng.choice(SHIFTS, size=len(self.splits["train"]))):
            moved = transpose_tune(text, int(shift)) if shift else text
            texts.append(moved if moved and all(c in self.vocab.index for c in moved) else text)
        order = rng.permutation(len(texts))
        windows = self._windows((texts[i] for i in order), offset=int(rng.integers(self.seq_len)))
        batches = self._batches(windows[torch.from_numpy(rng.permutation(len(windows)))])
        self._epoch_cache = (epoch, batches)
        return batches

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[torch.Tensor]:
        return iter(shard(self._epoch(epoch), rank, world))

    def num_train_batches(self, epoch: int) -> int:
        return len(self._epoch(epoch))

    def valid_batches(self) -> list[torch.Tensor]:
        return self._batches(self._windows(self.splits["valid"] or self.splits["train"][:50]))

    def test_batches(self) -> list[torch.Tensor] | None:
        return self._batches(self._windows(self.splits["test"])) if self.splits["test"] else None

    def loss(self, model: nn.Module, batch: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, int, int]:
        batch = batch.to(device)
        x, y = batch[:, :-1], batch[:, 1:]  # (B, T)
        logits, _ = model(x)  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        correct = int((logits.argmax(-1) == y).sum())
        return loss, y.numel(), correct

    def card(self) -> dict[str, Any]:
        return {
            "arch": "abc-lstm", "name": "abc-lstm", "description": DESCRIPTION,
            "config": self.model_cfg.to_dict(), "vocabulary": self.vocab.to_list(),
            "training": {"data": self.specs, "tunes": self.counts, "seq_len": self.seq_len,
                         "split_tunes": {k: len(v) for k, v in self.splits.items()},
                         "augmentation": f"transposition by a random shift in {SHIFTS[0]}..{SHIFTS[-1]} semitones per tune per epoch"},
        }


def train_abc_lstm(data: Sequence[str] | None, out_dir: str | Path, cfg: TrainConfig, command: str = "",
                   resume: bool = False, model: dict[str, Any] | None = None, seq_len: int = 128,
                   limit: int | None = None) -> TrainRun:
    """Load the tunes, then train; the card gets bits per character beside the nats (library form of
    :func:`train_run`, with the window length and a tune limit for tests)."""
    task = AbcLSTMTask(list(data or DEFAULT_DATA), cfg, seq_len=seq_len, model=model, limit=limit)
    task_card = task.card
    task.card = lambda: dict(task_card(), training=dict(task_card()["training"], command=command, seed=cfg.seed))
    metrics = yield from train(task, cfg, out_dir, resume=resume)
    _add_bits_per_char(Path(out_dir))
    return metrics


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface (``SPEC.training.entry``): ``request.sizes`` (hidden, layers, cell) set
    AbcLSTMConfig fields; with ``request.fine_tune`` the base checkpoint's sizes are kept."""
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, **request.hyperparameters())
    return (yield from train_abc_lstm(request.data, request.out, cfg, command=request.command, resume=request.resume,
                                      model=dict(request.sizes)))


def _add_bits_per_char(folder: Path) -> None:
    if not (folder / "config.json").exists():
        return
    metrics = dict(read_card(folder).get("metrics", {}))
    for key in ("valid_cross_entropy", "test_cross_entropy"):
        if key in metrics:
            metrics[key.replace("cross_entropy", "bits_per_char")] = round(metrics[key] / math.log(2), 4)
    update_card(folder, metrics=metrics)
