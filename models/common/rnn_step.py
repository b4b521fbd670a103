"""One recurrent step through a stacked nn.LSTM / nn.GRU, cell by cell.

For sampling one token at a time on the CPU, calling the cells directly
(``torch.lstm_cell`` / ``gru_cell``) with the module's own weights is about ten
times faster than calling the module: its oneDNN sequence kernel costs
milliseconds of set-up per call. State is a tuple: ``(h, c)`` for LSTM,
``(h,)`` for GRU, each (L, B, H).
"""

from __future__ import annotations

import torch
from torch import nn

State = tuple[torch.Tensor, ...]


def zero_state(rnn: nn.RNNBase, batch: int, like: torch.Tensor) -> State:
    zeros = like.new_zeros(rnn.num_layers, batch, rnn.hidden_size)
    return (zeros, zeros) if isinstance(rnn, nn.LSTM) else (zeros,)


def cell_step(rnn: nn.RNNBase, x: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
    """x (B, E) -> (top layer's output (B, H), new state); no dropout (eval only)."""
    state = zero_state(rnn, len(x), x) if state is None else state
    lstm = isinstance(rnn, nn.LSTM)
    hs, cs = [], []
    for layer in range(rnn.num_layers):
        weights = [getattr(rnn, f"{n}_l{layer}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        if lstm:
            x, c = torch.lstm_cell(x, (state[0][layer], state[1][layer]), *weights)  # (B, H) each
            cs.append(c)
        else:
            x = torch.gru_cell(x, state[0][layer], *weights)  # (B, H)
        hs.append(x)
    return x, ((torch.stack(hs), torch.stack(cs)) if lstm else (torch.stack(hs),))
