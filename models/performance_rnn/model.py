"""The Performance RNN network: an LSTM over performance events, conditioned at every step.

Magenta's network reads a one-hot event and the control signals (here a
12-d pitch-class histogram and an 8-bin note-density one-hot) at every step,
runs a stack of LSTM layers (3 x 512 in the original) and predicts the next
event. Here the event is an embedding (the same as a one-hot times a matrix,
without the 388-wide input); the control is concatenated to it at every step.
The forget gates' biases start at 1 (Jozefowicz et al. 2015), which
here brings the loss off the plateau of event frequencies sooner.
``forward`` takes and returns the state, and :meth:`PerformanceRNN.step`
runs the cells directly (``rnn_step.cell_step``), so sampling carries (h, c)
one event at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.common.rnn_step import cell_step
from models.performance_rnn.conditioning import CONTROL_SIZE
from models.performance_rnn.events import VOCAB_SIZE

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers, B, hidden)


@dataclass
class PerformanceRNNConfig:
    vocab_size: int = VOCAB_SIZE
    control_size: int = CONTROL_SIZE
    embed: int = 64
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.vocab_size != VOCAB_SIZE or self.control_size != CONTROL_SIZE:
            raise ValueError(f"vocab_size must be {VOCAB_SIZE} and control_size {CONTROL_SIZE}")
        if self.layers < 1 or self.hidden < 1 or self.embed < 1:
            raise ValueError("layers, hidden and embed must be at least 1")


class PerformanceRNN(nn.Module):
    """(event embedding ++ control) -> LSTM stack -> logits over the 388 events."""

    def __init__(self, config: PerformanceRNNConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed)
        self.rnn = nn.LSTM(config.embed + config.control_size, config.hidden, num_layers=config.layers,
                           batch_first=True, dropout=config.dropout if config.layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)
        with torch.no_grad():  # forget gates start open (bias 1), so the first steps learn to remember
            for layer in range(config.layers):
                getattr(self.rnn, f"bias_ih_l{layer}")[config.hidden: 2 * config.hidden].fill_(1.0)

    def forward(self, ids: torch.Tensor, control: torch.Tensor, state: State | None = None
                ) -> tuple[torch.Tensor, State]:
        """``ids`` (B, T) int64, ``control`` (B, C) or (B, T, C) -> ``(logits (B, T, V), state)``."""
        x = self.embed(ids)  # (B, T, E)
        if control.dim() == 2:
            control = control[:, None, :].expand(-1, ids.size(1), -1)  # (B, T, C)
        y, (h, c) = self.rnn(torch.cat([x, control.to(x.dtype)], -1), state)  # (B, T, H)
        return self.head(self.drop(y)), (h, c)

    def step(self, ids: torch.Tensor, control: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        """One event per row: ``ids`` (B,), ``control`` (B, C) -> ``(logits (B, V), state)`` (eval mode)."""
        if self.training:
            logits, state = self(ids[:, None], control, state)
            return logits[:, -1], state
        x = torch.cat([self.embed(ids), control.to(self.embed.weight.dtype)], -1)  # (B, E + C)
        y, new = cell_step(self.rnn, x, state)  # (B, H)
        return self.head(y), (new[0], new[1])


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
