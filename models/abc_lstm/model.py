"""abc-lstm: a character-level ABC language model (folk-rnn / Nottingham-ABC style).

Embedding, three stacked LSTM layers (GRU selectable) with dropout between
them, and a linear read-out to the character vocabulary — the design of the
source report (embedding 512, 3 x LSTM 256). While sampling the recurrent state
is carried from character to character; a window is never re-run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from models.common.rnn_step import cell_step


@dataclass
class AbcLSTMConfig:
    vocab_size: int
    embed: int = 512
    hidden: int = 256
    layers: int = 3
    dropout: float = 0.2
    cell: str = "lstm"  # or "gru"

    def to_dict(self) -> dict:
        return asdict(self)


class AbcLSTM(nn.Module):
    def __init__(self, config: AbcLSTMConfig) -> None:
        super().__init__()
        self.config = config
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[config.cell]
        self.embed = nn.Embedding(config.vocab_size, config.embed)
        self.rnn = rnn(config.embed, config.hidden, num_layers=config.layers, batch_first=True,
                       dropout=config.dropout if config.layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (B, T) -> logits (B, T, V), new state ((L, B, H), (L, B, H)) or (L, B, H)."""
        x = self.embed(ids)  # (B, T, E)
        y, state = self.rnn(x, state)  # (B, T, H)
        return self.head(self.drop(y)), state  # (B, T, V)

    def step(self, ids: torch.Tensor, state=None):
        """One character per row, eval only: ids (B,) -> (logits (B, V), state as a tuple)."""
        if state is not None and not isinstance(state, tuple):
            state = (state,)
        y, state = cell_step(self.rnn, self.embed(ids), state)  # (B, H)
        return self.head(y), state
