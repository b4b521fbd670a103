"""How many notes each role plays at a step, and which: multitrack-rnn's sampling.

The write-up's problem: one softmax over all 640 outputs may give one instrument several notes and
another none, and nothing says how many notes a step should hold. Its fix, made a distribution:
the number of notes each role sounds at a step is drawn from the training data's own distribution
(:func:`count_table`: per role and per position in the beat, so a hi-hat on the off-beat and a
chord on the beat keep their odds), then that many distinct pitches are drawn from the role's own
softmax over its 128 logits (temperature, top-k and top-p applied first). Roles are drawn
independently of each other, as in the write-up; the network's input carries what each played.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from models.common.band_roll import PITCHES, ROLES
from models.common.sampling import filter_logits

from models.multitrack_rnn.model import BEAT_STEPS


def count_table(pieces: Sequence[np.ndarray], max_count: int) -> np.ndarray:
    """``(roles, 4, max_count + 1)`` float32: the share of steps at each beat position where a band role
    sounds 0, 1, ... ``max_count`` (or more) notes, over ``pieces`` (``(6, steps, 128)`` rolls)."""
    table = np.zeros((len(ROLES), BEAT_STEPS, max_count + 1), dtype=np.float64)
    for rolls in pieces:
        sounding = np.minimum(rolls[1:].sum(axis=2), max_count)  # (roles, steps)
        position = np.arange(rolls.shape[1]) % BEAT_STEPS
        for r in range(len(ROLES)):
            np.add.at(table[r], (position, sounding[r]), 1)
    totals = table.sum(axis=2, keepdims=True)
    table = np.where(totals > 0, table / np.maximum(totals, 1), 0.0)
    table[..., 0] += (totals[..., 0] == 0)  # a position never seen: silence
    return table.astype(np.float32)


def draw_counts(table: torch.Tensor, position: int, batch: int, generator: torch.Generator) -> torch.Tensor:
    """``(batch, roles)`` note counts for a step at ``position`` in the beat, drawn from ``table``."""
    probs = table[:, position % BEAT_STEPS]  # (roles, max_count + 1)
    draws = torch.multinomial(probs, batch, replacement=True, generator=generator)  # (roles, batch)
    return draws.T.contiguous()


def sample_step(logits: torch.Tensor, counts: torch.Tensor, generator: torch.Generator, temperature: float = 1.0,
                top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """The band's next step ``(B, 640)`` bool: per role, ``counts[:, role]`` distinct pitches drawn from
    the role's softmax over its logits ``(B, 640)`` (fewer where filtering leaves fewer pitches)."""
    batch = logits.shape[0]
    out = torch.zeros(batch, len(ROLES), PITCHES, dtype=torch.bool, device=logits.device)
    for r in range(len(ROLES)):
        want = counts[:, r]
        most = int(want.max())
        if most == 0:
            continue
        filtered = filter_logits(logits[:, r * PITCHES:(r + 1) * PITCHES], temperature, top_k, top_p)
        probs = torch.softmax(filtered, dim=-1)  # (B, 128)
        alive = (probs > 0).sum(dim=-1)
        take = min(most, int(alive.min()))
        picks = torch.multinomial(probs, take, replacement=False, generator=generator)  # (B, take), in draw order
        keep = torch.arange(take, device=logits.device)[None, :] < torch.minimum(want, alive)[:, None]
        out[:, r].scatter_(1, picks, keep)
    return out.view(batch, -1)
