"""Training note-lstm on the bundled corpora (or a folder) with the shared training loop.

The pieces are reduced to piano note/chord tokens with durations and waits;
the vocabulary comes from the training split; each epoch transposes every
training piece by a random feasible shift and picks a tempo variant (its own
note values, half-time or double-time; seeded by (seed, epoch)), cuts it into
windows of ``seq_len`` tokens at a random offset and shuffles them.
Validation and test windows are fixed. ``train_run`` (the shared trainer
interface, ``SPEC.training.entry``) loads the data and returns a generator
with :func:`models.common.train_loop.train`'s protocol.

Fine-tuning (``request.fine_tune``) keeps the base checkpoint's config and
vocabulary: chords the base never saw map to their top note (as rare chords
always do), and the card says how many there were.
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
from models.common.note_tokens import Vocabulary, encode_score
from models.common.run_folder import base_card
from models.common.optimisation import next_token_loss
from models.common.train_loop import train
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard
from models.common.train_request import TrainRequest

from models.note_lstm.codec import PAD, NoteCodec, PieceSet, make_windows, tempo_variants, window_count
from models.note_lstm.model import NoteLSTM, NoteLSTMConfig

DEFAULT_DATA = ("corpus:classical", "corpus:chorales")
SEQ_LEN = 128  # tokens per training window
MIN_TOKENS = 6  # pieces shorter than two onsets teach nothing
DESCRIPTION = ("Skuldur's Classical-Piano-Composer LSTM (three recurrent layers, dropout, dense layers) over "
               "note/chord tokens with durations and waits, so the rhythm is generated too; "
               "an embedding input, and (h, c) carried while sampling.")
PITCH_SHARING = (" Each note or chord token's input embedding and output weights add the mean of its pitches' "
                 "and pitch classes' vectors to its own, so chords share what they have in common.")


@dataclass
class NoteData:
    """Training pieces (transposable), fixed valid/test pieces, and what the card says about them."""

    codec: NoteCodec
    train: PieceSet
    valid: list[np.ndarray]
    test: list[np.ndarray]
    datasets: dict[str, Any] = field(default_factory=dict)
    unknown_chords: dict[str, Any] | None = None  # fine-tuning: chords outside the base vocabulary
    held_out: str = ""  # how a small dataset was split so that it can still be measured (see measurable_splits)

    def token_counts(self) -> dict[str, int]:
        return {"train": sum(self.train.lengths()), "valid": sum(map(len, self.valid)),
                "test": sum(map(len, self.test))}


def prepare_data(items: Sequence[CorpusItem], datasets: dict[str, Any] | None = None,
                 max_shift: int = 6, vocabulary: Sequence[str] | None = None, measurable: bool = False) -> NoteData:
    """Encode corpus items by split; the vocabulary is built from the training split only.

    With ``vocabulary`` (a base model's, for fine-tuning) that one is kept and
    chords missing from it map to their top note. With ``measurable`` the pieces long
    enough to use go through :func:`measurable_splits` (a small folder still gets validation and test).
    """
    used = [(item, tokens) for item in items if len(tokens := encode_score(item.score)) >= MIN_TOKENS]
    splits, held_out = [item.split for item, _ in used], ""
    if measurable:
        splits, held_out = measurable_splits([item.key for item, _ in used], splits)
    by_split: dict[str, list[tuple[CorpusItem, list[str]]]] = {"train": [], "valid": [], "test": []}
    for split, piece in zip(splits, used):
        by_split[split].append(piece)
    if not by_split["train"]:
        raise DatasetError("The training split has no piece with at least two notes.")
    codec = NoteCodec(Vocabulary(vocabulary) if vocabulary else Vocabulary.build([t for _, t in by_split["train"]]))
    unknown = _unknown_chords(codec.vocab, [t for pieces in by_split.values() for _, t in pieces]) if vocabulary else None
    train_set = PieceSet(codec, [t for _, t in by_split["train"]],
                         [feasible_shifts(i.score, max_shift) for i, _ in by_split["train"]], max_shift,
                         [tempo_variants(i.score, t) for i, t in by_split["train"]])
    valid = [codec.encode_tokens(t) for _, t in by_split["valid"]]
    test = [codec.encode_tokens(t) for _, t in by_split["test"]]
    return NoteData(codec, train_set, valid, test, dict(datasets or {}), unknown, held_out)


def _unknown_chords(vocab: Vocabulary, pieces: Sequence[Sequence[str]]) -> dict[str, Any]:
    """What a base vocabulary lacks: chords (mapped to their top note); anything else cannot be fine-tuned."""
    missing = [t for piece in pieces for t in piece if t not in vocab.index]
    others = sorted({t for t in missing if t[0] != "c"})
    if others:
        raise CheckpointError(f"The base model's vocabulary lacks the tokens {', '.join(others[:5])}; "
                              "train this data from scratch instead.")
    return {"distinct": len(set(missing)), "occurrences": len(missing), "mapped_to": "their top note"}


def load_dataset(spec: str) -> tuple[list[CorpusItem], dict[str, Any]]:
    """One dataset's items (parses are cached) and its counts for the card."""
    report = load_scores(spec)
    splits = {s: sum(1 for i in report.items if i.split == s) for s in ("train", "valid", "test")}
    return report.items, {"files": len(report.items) + report.skipped, "items": len(report.items),
                          "skipped": report.skipped, "splits": splits}


def load_note_data(specs: Sequence[str]) -> NoteData:
    """Load every dataset, split, encode."""
    items: list[CorpusItem] = []
    info: dict[str, Any] = {}
    for spec in specs:
        found, info[spec] = load_dataset(spec)
        items += found
    return prepare_data(items, info)


class NoteLSTMTask(TrainTask):
    """note-lstm for :func:`train`: windows of ids, next-token cross-entropy."""

    def __init__(self, data: NoteData, model_cfg: NoteLSTMConfig, seq_len: int = 128, batch_size: int = 64,
                 seed: int = 0, augment: bool = True, specs: Sequence[str] = (), command: str = "") -> None:
        if model_cfg.vocab_size != len(data.codec):
            raise ValueError("model_cfg.vocab_size must match the vocabulary")
        self.data, self.model_cfg = data, model_cfg
        self.seq_len, self.batch_size, self.seed, self.augment = seq_len, batch_size, seed, augment
        self.specs, self.command = list(specs), command
        self.windows = sum(window_count(n, seq_len) for n in data.train.lengths())
        self._cached: tuple[int, list[np.ndarray]] | None = None

    def build_model(self) -> nn.Module:
        return NoteLSTM(self.model_cfg, self.data.codec.vocab.tokens)

    def epoch_batches(self, epoch: int) -> list[np.ndarray]:
        """All batches (each (B, seq_len + 1)) of ``epoch``: transposed, windowed, shuffled by (seed, epoch)."""
        if self._cached is None or self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            n = len(self.data.train)
            shifts = self.data.train.draw_shifts(rng) if self.augment else [0] * n
            tempos = self.data.train.draw_tempos(rng) if self.augment else [1.0] * n
            pieces = [self.data.train.ids(i, s, t) for i, (s, t) in enumerate(zip(shifts, tempos))]
            counts = [window_count(n, self.seq_len) for n in self.data.train.lengths()]
            windows = make_windows(pieces, self.seq_len, rng, counts)  # (N, L + 1)
            windows = windows[rng.permutation(len(windows))]
            batches = [windows[i: i + self.batch_size] for i in range(0, len(windows), self.batch_size)]
            self._cached = (epoch, batches)
        return self._cached[1]

    def num_train_batches(self, epoch: int) -> int:
        return -(-self.windows // self.batch_size)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[torch.Tensor]:
        for batch in shard(self.epoch_batches(epoch), rank, world):
            yield torch.from_numpy(batch)

    def _fixed_batches(self, pieces: list[np.ndarray]) -> list[torch.Tensor]:
        windows = make_windows(pieces, self.seq_len)
        return [torch.from_numpy(windows[i: i + self.batch_size]) for i in range(0, len(windows), self.batch_size)]

    def valid_batches(self) -> Iterable[torch.Tensor]:
        return self._fixed_batches(self.data.valid)

    def test_batches(self) -> Iterable[torch.Tensor] | None:
        return self._fixed_batches(self.data.test) or None

    def loss(self, model: nn.Module, batch: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, int, int]:
        """Next-token cross-entropy over the non-padding positions of ``batch`` (B, L + 1)."""
        batch = batch.to(device, non_blocking=True)
        inputs = batch[:, :-1].clamp(min=0)  # (B, L); padding reads as id 0, its targets are ignored
        targets = batch[:, 1:]  # (B, L)
        logits, _ = model(inputs)  # (B, L, V)
        return next_token_loss(logits, targets, PAD)

    def card(self) -> dict[str, Any]:
        return {
            "arch": "note-lstm", "name": "note-lstm",
            "description": DESCRIPTION + (PITCH_SHARING if self.model_cfg.pitch_sharing == "on" else ""),
            "config": asdict(self.model_cfg), "vocabulary": list(self.data.codec.vocab.tokens),
            "training": {"data": self.specs, "datasets": self.data.datasets, "command": self.command,
                         "seed": self.seed, "seq_len": self.seq_len, "batch_size": self.batch_size,
                         "augmentation": (f"random transposition within ±{self.data.train.max_shift} semitones "
                                          "and tempo scaling (half-time or double-time note values, each "
                                          "where the grid holds it exactly; the piece's own values half the time), "
                                          "drawn per piece per epoch (train split)") if self.augment else None,
                         "pieces": {"train": len(self.data.train), "valid": len(self.data.valid),
                                    "test": len(self.data.test)},
                         **({"held_out": self.data.held_out} if self.data.held_out else {}),
                         "tokens": self.data.token_counts(), "windows_per_epoch": self.windows,
                         **({"unknown_chords": self.data.unknown_chords} if self.data.unknown_chords else {})},
        }


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface: load the data, then train (see :func:`train`); yields TrainProgress,
    returns the final metrics.

    ``request.sizes`` sets NoteLSTMConfig fields (hidden, layers, cell; embed, dropout, dense too);
    with ``request.fine_tune`` the base checkpoint's config and vocabulary are used instead.
    """
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, **request.hyperparameters())
    specs = list(request.data or DEFAULT_DATA)
    base = base_card(cfg.init_from, "note-lstm") if cfg.init_from else None
    if base and request.sizes:
        raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
    items: list[CorpusItem] = []
    info: dict[str, Any] = {}
    for spec in specs:
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
        found, info[spec] = load_dataset(spec)
        items += found
    data = prepare_data(items, info, vocabulary=base["vocabulary"] if base else None, measurable=True)
    if data.held_out:
        yield TrainProgress(0, 0, 0, message=data.held_out)
    model_cfg = NoteLSTMConfig(**base["config"]) if base else NoteLSTMConfig(vocab_size=len(data.codec), **request.sizes)
    task = NoteLSTMTask(data, model_cfg, SEQ_LEN, cfg.batch_size, cfg.seed, specs=specs, command=request.command)
    return (yield from train(task, cfg, request.out, request.resume))
