"""multitrack-rnn's network: a GRU (or LSTM) over the band's 640-dimensional steps.

After Tham & Kim's multi-instrument RNN: the five LPD-5 roles' 128-pitch rolls at a 16th step,
flattened to one 640-dimensional vector; the recurrent network reads the steps so far and predicts
the next step's vector (an independent logit per role and pitch, trained with binary
cross-entropy). The lead (the melody) is a sixth roll that the network *reads* but never writes:
step t's input is ``[band at t - 1 (640), lead at t (128)]`` and its output is the band at t, so
the band is written under a given melody (Add a Band) and, with the lead silent, continues alone.

``note_counts`` is a buffer saved with the weights: per role and position in the beat (the step
mod 4), the training data's distribution of sounding notes per step, from which sampling draws how
many notes each role plays (see ``counts.py``).

Shapes: inputs ``(B, L, 768)``, logits ``(B, L, 640)``; the state is the GRU's ``h`` or the LSTM's
``(h, c)``, carried while sampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.common.band_roll import PITCHES, ROLES

BAND = len(ROLES) * PITCHES  # 640: the five roles' rolls at one step
INPUT = BAND + PITCHES  # 768: the band at t - 1 and the lead at t
BEAT_STEPS = 4  # positions of a 16th step in the beat


@dataclass
class MultitrackRNNConfig:
    """Sizes of the network, and the largest note count per step its sampling draws."""

    hidden: int = 512
    layers: int = 2
    cell: str = "gru"
    dropout: float = 0.1
    context: int = 32  # steps per training window (the write-up's "last 32")
    max_count: int = 12  # note counts per step above this are counted as this


class MultitrackRNN(nn.Module):
    """The band's next step from the steps before it and the lead's current step."""

    def __init__(self, cfg: MultitrackRNNConfig) -> None:
        super().__init__()
        if cfg.cell not in ("gru", "lstm"):
            raise ValueError("cell must be gru or lstm")
        self.cfg = cfg
        cell = nn.GRU if cfg.cell == "gru" else nn.LSTM
        self.rnn = cell(INPUT, cfg.hidden, cfg.layers, batch_first=True,
                        dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, BAND)
        # (roles, positions in the beat, 0..max_count notes): the training data's share of each count
        counts = torch.zeros(len(ROLES), BEAT_STEPS, cfg.max_count + 1)
        counts[..., 0] = 1.0
        self.register_buffer("note_counts", counts)

    def forward(self, x: torch.Tensor, state=None):
        """``x`` (B, L, 768) -> logits (B, L, 640) and the new state."""
        out, state = self.rnn(x, state)  # (B, L, hidden)
        return self.head(self.drop(out)), state
