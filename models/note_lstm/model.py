"""The note-lstm network: Skuldur's Classical-Piano-Composer LSTM, over tokens with rhythm.

Skuldur's network reads the last 100 notes/chords (as one float each, the
token id divided by the vocabulary size), runs three LSTM layers with dropout,
then two dense layers, and predicts the next note or chord; every note lasts
half a beat. Here:

* the input is an ``nn.Embedding`` of the token id instead of a normalised
  float: ids are categories, and a float input tells the network that p60
  and p61 (or a pitch and a neighbouring chord id) are nearly the same thing,
  which they are not; an embedding learns what is similar;
* the tokens are ``models.common.note_tokens`` (pitch/chord, duration, wait),
  so the rhythm is generated too;
* ``forward`` takes and returns the recurrent state, so generation carries
  (h, c) from token to token instead of re-running a 100-token window.

The layout otherwise follows Skuldur's: three recurrent layers with dropout
between them, dropout, a dense ReLU layer, dropout, a dense output layer
(softmax is in the loss). ``cell='gru'`` swaps the LSTM for a GRU.
``pitch_sharing='on'`` composes the input embedding and the output layer of
every note/chord token from its pitches and pitch classes (see
``pitch_sharing.py``), so chords share what they hold; it needs the
vocabulary when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from models.common.rnn_step import cell_step
import torch.nn.functional as F
from torch import nn

from models.note_lstm.pitch_sharing import SharedEmbedding, SharedHead

State = tuple[torch.Tensor, ...]  # LSTM: (h, c), each (layers, B, hidden); GRU: (h,)


@dataclass
class NoteLSTMConfig:
    vocab_size: int
    embed: int = 128
    hidden: int = 256
    layers: int = 3
    dropout: float = 0.3
    dense: int = 256
    cell: str = "lstm"  # 'lstm' or 'gru'
    pitch_sharing: str = "off"  # 'on': embeddings composed from pitches (a config without it: 'off')

    def __post_init__(self) -> None:
        if self.cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', not {self.cell!r}")
        if self.pitch_sharing not in ("off", "on"):
            raise ValueError(f"pitch_sharing must be 'off' or 'on', not {self.pitch_sharing!r}")
        if self.vocab_size < 2 or self.layers < 1:
            raise ValueError("vocab_size must be at least 2 and layers at least 1")


class NoteLSTM(nn.Module):
    """Embedding -> recurrent stack -> dense ReLU -> logits over the vocabulary.

    ``vocabulary`` (the token strings, ``vocab_size`` of them) is needed to run
    with ``pitch_sharing='on'``: which pitches each token holds is read from it
    (built without it, the module has the right weights but refuses to run).
    """

    def __init__(self, config: NoteLSTMConfig, vocabulary: Sequence[str] | None = None) -> None:
        super().__init__()
        self.config = config
        rnn = nn.LSTM if config.cell == "lstm" else nn.GRU
        shared, size = config.pitch_sharing == "on", config.vocab_size
        # ids (B, T) -> (B, T, E)
        self.embed = SharedEmbedding(vocabulary, size, config.embed) if shared else nn.Embedding(size, config.embed)
        self.rnn = rnn(config.embed, config.hidden, num_layers=config.layers, batch_first=True,
                       dropout=config.dropout if config.layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.dense = nn.Linear(config.hidden, config.dense)
        # (B, T, D) -> (B, T, V)
        self.head = SharedHead(vocabulary, size, config.dense) if shared else nn.Linear(config.dense, size)

    def forward(self, ids: torch.Tensor, state: State | None = None,
                last_only: bool = False) -> tuple[torch.Tensor, State]:
        """``ids`` (B, T) int64 -> ``(logits (B, T, V), state)``; ``state`` None starts from zeros.

        ``last_only`` computes the dense layers for the last position only: logits (B, 1, V).
        """
        x = self.embed(ids)  # (B, T, E)
        if state is not None and self.config.cell == "gru":
            y, new = self.rnn(x, state[0])  # (B, T, H), (L, B, H)
            new_state: State = (new,)
        else:
            y, new = self.rnn(x, state)  # (B, T, H), ((L, B, H), (L, B, H)) for LSTM
            new_state = tuple(new) if isinstance(new, tuple) else (new,)
        if last_only:
            y = y[:, -1:]  # (B, 1, H)
        y = self.drop(y)
        y = self.drop(F.relu(self.dense(y)))  # (B, T, D)
        return self.head(y), new_state  # (B, T, V)

    def step(self, ids: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        """One token per row: ``ids`` (B,) -> ``(logits (B, V), state)``.

        In eval mode this runs the recurrent cells directly (``torch.lstm_cell``
        / ``gru_cell``): the CPU's oneDNN sequence kernel costs milliseconds of
        set-up per call, ten times the work of one step.
        """
        if self.training:
            logits, state = self(ids[:, None], state)  # (B, 1, V)
            return logits[:, -1], state
        x, new_state = cell_step(self.rnn, self.embed(ids), state)  # (B, H)
        return self.head(F.relu(self.dense(x))), new_state  # (B, V)


def expand_state(state: State, batch: int) -> State:
    """Repeat a batch-1 state (L, 1, H) to ``batch`` rows (L, B, H)."""
    return tuple(s.expand(-1, batch, -1).contiguous() for s in state)


def count_parameters(model: nn.Module) -> int:
    """Number of weights in ``model``."""
    return sum(p.numel() for p in model.parameters())
