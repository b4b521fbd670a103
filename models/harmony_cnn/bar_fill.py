"""harmony-cnn's per-role decoding: a bar the sampling left empty keeps the network's most likely note.

Why: a segment is sampled with one uniform draw per pitch (``generate.sample_segment``), so a pitch
sounds only where the network's probability beats its draw. Where the network is unsure of every
pitch, every draw can miss and the bar comes out silent: 35% of the bass's bars after held-out
seeds (50% under their leads alone), where the training data's bass is silent in none of the bars
of the pieces it plays in.

The rule: in a track that should sound (every band role asked for under a lead; after a seed, a
track the seed plays, MelodyCNN's lead included: it left 41% of its bars empty), a bar the draws
left empty stays empty with the training data's own probability of an empty bar for that track
(:func:`empty_bar_shares`, measured on the training split over the pieces the track plays in,
stored in the card's ``decoding``); otherwise it keeps the bar's most likely pitch, at the steps
where its probability beats the pitch's own draw scaled to its peak in the bar (so it sounds at
least at its likeliest step, and as long as the network holds it). The shares are measured on
16-step bars (4/4, the meter of 93% of the band pieces; a segment holds two); when writing, bars
are those of the meter the segment is written in (``generate.meter_runs``: a segment begins at a
real bar line and holds whole bars, two of 3/4 in its first 24 steps), so a bar is filled where it
really lies.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from models.common.band_roll import LEAD, ROLES, TRACKS

BAR_STEPS = 16  # a 4/4 bar of 16ths: a segment (32 steps) holds two


def empty_bar_shares(pieces: Sequence[np.ndarray]) -> dict[str, float]:
    """Per track (the lead and the band roles), the share of 16-step bars without a note over the pieces where
    the track sounds at all (``(6, steps, 128)`` rolls, the lead first; a trailing part bar is left out)."""
    empty = dict.fromkeys(TRACKS, 0)
    bars = dict.fromkeys(TRACKS, 0)
    for rolls in pieces:
        count = rolls.shape[1] // BAR_STEPS
        if count == 0:
            continue
        for k, role in enumerate(TRACKS):
            if not rolls[k].any():
                continue
            sounding = rolls[k, : count * BAR_STEPS].reshape(count, BAR_STEPS, -1).any(axis=(1, 2))
            bars[role] += count
            empty[role] += int(count - sounding.sum())
    return {role: round(empty[role] / bars[role], 4) if bars[role] else 1.0 for role in TRACKS}


def shares_from_card(decoding: dict[str, Any] | None) -> dict[str, float] | None:
    """The card's ``decoding.empty_bar_share`` (track -> share in [0, 1]: every band role, the lead if
    measured), or None where absent or unusable."""
    raw = (decoding or {}).get("empty_bar_share")
    if not isinstance(raw, dict):
        return None
    try:
        shares = {role: float(raw[role]) for role in (*ROLES, *((LEAD,) if LEAD in raw else ()))}
    except (KeyError, TypeError, ValueError):
        return None
    return shares if all(0.0 <= v <= 1.0 for v in shares.values()) else None


def fill_empty_bars(notes: torch.Tensor, probs: torch.Tensor, draws: torch.Tensor, sound: torch.Tensor,
                    empty_share: float, random: torch.Generator, bar_steps: int = BAR_STEPS) -> torch.Tensor:
    """``notes`` ``(B, 32, 128)`` bool with each empty bar of the variations where ``sound`` ``(B,)`` is true
    given its most likely pitch, unless a draw keeps it empty (probability ``empty_share``).

    Bars are ``bar_steps`` long from the segment's first step (the segment begins at a bar line); only
    whole bars are filled, so the steps past a segment's last whole bar (its silent rest in 3/4) stay
    as drawn. ``probs`` are the segment's probabilities ``(B, 32, 128)`` and ``draws`` its per-pitch
    draws ``(B, 1, 128)``: the kept pitch sounds at the bar's steps where its probability exceeds its
    draw times its peak in the bar."""
    out = notes.clone()
    batch, steps, _ = notes.shape
    for start in range(0, steps - bar_steps + 1, bar_steps):
        bar = slice(start, start + bar_steps)
        keep_empty = torch.rand(batch, generator=random, device=notes.device) < empty_share
        fill = sound & ~out[:, bar].flatten(1).any(dim=1) & ~keep_empty  # (B,)
        if not bool(fill.any()):
            continue
        peak, _ = probs[:, bar].max(dim=1)  # (B, 128): each pitch's highest probability in the bar
        best = peak.argmax(dim=1)  # (B,)
        rows = torch.arange(batch, device=notes.device)
        line = probs[:, bar][rows, :, best]  # (B, bar_steps): the kept pitch's probabilities in the bar
        top = peak[rows, best][:, None]
        cells = line >= draws[rows, 0, best][:, None] * top  # its likeliest step always sounds
        for b in torch.nonzero(fill).flatten().tolist():
            out[b, bar, best[b]] = cells[b]
    return out
