"""Pitch sharing: note and chord embeddings composed from their pitches and pitch classes.

Every chord is its own token id, so on its own "c60.64.67" shares nothing
with "p60" or "c48.60.64.67". With pitch sharing a pitch/chord token's
vector is its own (per-token) vector plus the mean of the vectors of its
pitches and the mean of the vectors of its pitch classes, both for the input
embedding and for the output layer (whose weight row for a token is composed
the same way, plus a per-token bias). What is learnt for C or for E4 then
carries over to every chord that holds it, however rarely the chord itself
was seen. Duration and wait tokens contain no pitch: their rows are only
their own vectors.

Which pitches each token holds is read from the token strings, so the
(V, 128) and (V, 12) membership tables are rebuilt from the vocabulary on
load and are not saved with the weights (non-persistent buffers).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.common.note_tokens import parse_pitch_token, token_kind

PITCHES = 128
CLASSES = 12


def membership(tokens: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Row-normalised multi-hot tables: pitches (V, 128) and pitch classes (V, 12), float32.

    A pitch/chord token's row spreads 1 evenly over its pitches (its classes);
    duration and wait rows are zero.
    """
    pitches = np.zeros((len(tokens), PITCHES), np.float32)
    classes = np.zeros((len(tokens), CLASSES), np.float32)
    for i, token in enumerate(tokens):
        if token_kind(token) == "p":
            held = parse_pitch_token(token)
            pitches[i, list(held)] = 1.0
            classes[i, [p % CLASSES for p in held]] = 1.0
    pitches /= np.maximum(pitches.sum(1, keepdims=True), 1.0)
    classes /= np.maximum(classes.sum(1, keepdims=True), 1.0)
    return torch.from_numpy(pitches), torch.from_numpy(classes)


class _Shared(nn.Module):
    """The per-token table, the pitch and pitch-class tables, and the membership buffers.

    Built without ``tokens`` (``size`` rows; checkpoint checks build the module
    only for its weight shapes) it has no membership tables and refuses to run.
    """

    def __init__(self, tokens: Sequence[str] | None, size: int, dim: int, std: float) -> None:
        super().__init__()
        if tokens is not None and len(tokens) != size:
            raise ValueError(f"pitch sharing needs the {size} tokens of the vocabulary, not {len(tokens)}")
        self.known = tokens is not None
        pitches, classes = membership(tokens) if tokens is not None else (torch.zeros(size, PITCHES),
                                                                          torch.zeros(size, CLASSES))
        self.register_buffer("pitches", pitches, persistent=False)  # (V, 128)
        self.register_buffer("classes", classes, persistent=False)  # (V, 12)
        self.token = nn.Parameter(torch.randn(size, dim) * std)  # (V, dim)
        self.pitch = nn.Parameter(torch.randn(PITCHES, dim) * std)  # (128, dim)
        self.pitch_class = nn.Parameter(torch.randn(CLASSES, dim) * std)  # (12, dim)

    def check(self) -> None:
        if not self.known:
            raise RuntimeError("a pitch-sharing note-lstm needs its vocabulary: NoteLSTM(config, vocabulary)")

    def table(self) -> torch.Tensor:
        """Every token's composed vector: (V, dim)."""
        self.check()
        return self.token + self.pitches @ self.pitch + self.classes @ self.pitch_class


class SharedEmbedding(_Shared):
    """``ids`` (...) -> (..., dim): own vector + mean pitch vector + mean pitch-class vector."""

    def __init__(self, tokens: Sequence[str] | None, size: int, dim: int) -> None:
        super().__init__(tokens, size, dim, std=1.0)  # nn.Embedding's initialisation

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        self.check()
        # gathering the rows first keeps one step (a few ids) from composing all V rows
        return (F.embedding(ids, self.token) + F.embedding(ids, self.pitches) @ self.pitch
                + F.embedding(ids, self.classes) @ self.pitch_class)


class SharedHead(_Shared):
    """``y`` (..., dim) -> logits (..., V) against the composed output table, plus a per-token bias."""

    ROWS_FOR_TABLE = 256  # from this many rows composing the (V, dim) table once is cheaper

    def __init__(self, tokens: Sequence[str] | None, size: int, dim: int) -> None:
        bound = 1.0 / math.sqrt(dim)  # about nn.Linear's scale
        super().__init__(tokens, size, dim, std=bound / math.sqrt(3.0))
        self.bias = nn.Parameter(torch.empty(size).uniform_(-bound, bound))  # (V,)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        self.check()
        if y.numel() // y.shape[-1] >= self.ROWS_FOR_TABLE:  # training batches: compose once
            return F.linear(y, self.table(), self.bias)  # (..., V)
        # a sampling step: project onto the 128 + 12 shared vectors, then spread over the tokens
        return (F.linear(y, self.token, self.bias) + (y @ self.pitch.T) @ self.pitches.T
                + (y @ self.pitch_class.T) @ self.classes.T)  # (..., V)
