"""multitrack-rnn's decoding: each role's note count drawn from the training data given its count a step before.

Why: the bundled checkpoint's ``note_counts`` buffer holds the *marginal* share of each count per
position in the beat, drawn afresh at every step. A held chord then breaks into one-step notes
(the next step's count knows nothing of this one's), and a role that is silent in a piece (piano
sounds in 57% of the training pieces) plays anyway at the average rate of the pieces where it does
sound. Measured on 32 held-out seeds, every role wrote notes in every piece, 1 step long, with
twice the held-out pieces' pitch classes a bar.

The fix keeps the write-up's idea (the count comes from the training data, the pitches from the
network) but draws the count from the data's *conditional* distribution: :func:`count_chain`
counts, per role and position in the beat, how often a step with ``a`` notes is followed by one
with ``b``; :func:`draw_next_counts` draws from the row of the count each role has just played. A
silent role stays silent as long as the data's silent roles do, and a held chord keeps its size.
The table is measured once on the training split and stored in the card's ``decoding`` (the
weights are untouched); a card without it falls back to the marginal table.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from models.common.band_roll import PITCHES, ROLES

from models.multitrack_rnn.model import BEAT_STEPS


def count_chain(pieces: Sequence[np.ndarray], max_count: int) -> np.ndarray:
    """``(roles, 4, max_count + 1, max_count + 1)`` float: per role and position in the beat of step t,
    the share of steps t with ``b`` notes among those after a step t - 1 with ``a`` notes (rows a, columns b;
    counts above ``max_count`` count as it; a row never seen is silence), over ``pieces`` (``(6, steps, 128)``)."""
    size = max_count + 1
    table = np.zeros((len(ROLES), BEAT_STEPS, size, size), dtype=np.float64)
    for rolls in pieces:
        sounding = np.minimum(rolls[1:].sum(axis=2), max_count)  # (roles, steps)
        position = np.arange(1, rolls.shape[1]) % BEAT_STEPS
        for r in range(len(ROLES)):
            np.add.at(table[r], (position, sounding[r, :-1], sounding[r, 1:]), 1)
    totals = table.sum(axis=3, keepdims=True)
    table = np.where(totals > 0, table / np.maximum(totals, 1), 0.0)
    table[..., 0] += totals[..., 0] == 0
    return table


def chain_to_card(table: np.ndarray) -> dict[str, list[list[str]]]:
    """The table for the card's JSON: per role, per position in the beat, one line per count before
    holding the shares of each count after (4 decimals, space-separated)."""
    return {role: [[" ".join(f"{v:.4g}" for v in np.round(row, 4)) for row in position] for position in table[r]]
            for r, role in enumerate(ROLES)}


def chain_from_card(decoding: dict[str, Any] | None, max_count: int) -> torch.Tensor | None:
    """The card's ``decoding.count_chain`` as a ``(roles, 4, n, n)`` tensor (rows renormalised), or None
    where the card has none or it does not fit ``max_count``."""
    raw = (decoding or {}).get("count_chain")
    if not isinstance(raw, dict):
        return None
    try:
        table = torch.tensor([[[[float(v) for v in line.split()] for line in position] for position in raw[role]]
                              for role in ROLES], dtype=torch.float32)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if table.shape != (len(ROLES), BEAT_STEPS, max_count + 1, max_count + 1) or (table < 0).any():
        return None
    totals = table.sum(-1, keepdim=True)
    silence = torch.zeros_like(table)
    silence[..., 0] = 1.0
    return torch.where(totals > 0, table / totals.clamp_min(1e-12), silence)


def draw_next_counts(chain: torch.Tensor, position: int, before: torch.Tensor,
                     generator: torch.Generator) -> torch.Tensor:
    """``(batch, roles)`` note counts for a step at ``position`` in the beat, each role's drawn from the
    chain's row of the count it sounded in ``before`` (the band's previous step, ``(batch, 640)``)."""
    batch = before.shape[0]
    size = chain.shape[-1]
    previous = before.view(batch, len(ROLES), PITCHES).sum(-1).long().clamp(max=size - 1)  # (B, roles)
    rows = chain[:, position % BEAT_STEPS].to(before.device)  # (roles, n, n)
    probs = rows[torch.arange(len(ROLES), device=before.device)[None, :], previous]  # (B, roles, n)
    return torch.multinomial(probs.view(-1, size), 1, generator=generator).view(batch, len(ROLES))
