"""From note probabilities to a pianoroll, deterministically (vae-nn's decoder output).

Polyphonic tracks: the pitches with ``p ** (1 / T) > 0.5`` (or a role's own threshold: a band's
decoders spread their probability over many voicings, so a card may set lower ones, chosen so the
generated notes per bar match the validation pieces').

Monophonic tracks (the chorale voices): at each step either a rest or one
pitch. The chance that some pitch sounds is ``s = min(1, sum p) ** (1 / T)``;
alone, a step sounds when ``s > 0.5`` and takes its likeliest pitch. Reading
steps one by one that way breaks held notes into fragments wherever two
pitches are nearly as likely, so the path through the segment is chosen as a
whole (Viterbi): each step scores ``log(1 - s)`` for a rest and
``log s + log(p_j / p_max)`` for pitch j, and every change of state (another
pitch, or sounding after a rest and back) costs ``hold`` nats. With
``hold = 0`` this is the step-by-step rule. A temperature above 1 flattens the
probabilities toward 1, so more notes pass; below 1 sharpens them, so fewer do.

A key prior keeps the voices in the seed's key (and, by style alpha, the
style song's): ``bias`` (one value per pitch row, 0 for the key's pitches
and ``-off_key`` nats for the others, see :func:`key_bias`) is
added to a polyphonic track's logits and to a monophonic line's choice of
pitch (not to whether it sounds), so a pitch outside the key wins only where
the decoder prefers it by more than that margin. Without it, the latents that
MelodyNN and the ConditionalNNs predict (means over many continuations in
many keys, the model being trained on transposed pieces) decode to nearly
key-free lines: 57% of notes in the seed's key, where chance is 58%.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

HOLD = 0.75  # nats a monophonic line pays for changing note (chosen on held-out chorales: see README, vae-nn)
OFF_KEY = 8.0  # nats a pitch outside the seed's key pays (chosen on the validation chorales: see README, vae-nn)
EPS = 1e-6
THRESHOLD = 0.5  # the probability a note needs; a checkpoint's card may set one per role (decoding.thresholds)


def decode_steps(logits: torch.Tensor, monophonic: bool, temperature: float = 1.0,
                 hold: float | None = None, bias: torch.Tensor | None = None,
                 threshold: float = THRESHOLD) -> torch.Tensor:
    """Logits ``(B, 32, P)`` -> bool notes ``(B, 32, P)`` (``hold`` defaults to :data:`HOLD`; ``bias`` ``(P,)``;
    a note, or a monophonic step's sounding, needs a probability above ``threshold``)."""
    hold = HOLD if hold is None else hold
    if not monophonic:
        shifted = logits.float() if bias is None else logits.float() + bias
        return torch.sigmoid(shifted).pow(1.0 / temperature) > threshold
    p = torch.sigmoid(logits.float())
    total = p.sum(-1)  # (B, T)
    sounding = total.clamp(max=1.0).pow(1.0 / temperature).clamp(EPS, 1 - EPS)
    choice = (p / p.amax(-1, keepdim=True).clamp_min(EPS)).clamp_min(EPS).log()  # (B, T, P)
    if bias is not None:
        choice = choice + bias
        choice = choice - choice.amax(-1, keepdim=True)  # the likeliest allowed pitch scores 0 again
    odds = 0.0 if threshold == THRESHOLD else math.log(threshold / (1 - threshold))  # 0.5: the plain rule
    emit = torch.cat([(1 - sounding).log().unsqueeze(-1), (sounding.log() - odds).unsqueeze(-1) + choice],
                     dim=-1)  # (B, T, 1 + P): state 0 is a rest; sounding needs s > threshold alone
    path = _viterbi(emit, hold)  # (B, T) state per step
    notes = torch.zeros(p.shape[0], p.shape[1], p.shape[2] + 1, dtype=torch.bool, device=p.device)
    notes.scatter_(-1, path.unsqueeze(-1), True)
    return notes[..., 1:]


def _viterbi(emit: torch.Tensor, hold: float) -> torch.Tensor:
    """The best state path ``(B, T)`` for scores ``(B, T, S)`` when any change of state costs ``hold``."""
    batch, steps, states = emit.shape
    same = torch.arange(states, device=emit.device).expand(batch, states)
    score = emit[:, 0]
    back = []
    for t in range(1, steps):
        best, best_at = score.max(-1)  # switching: from the best previous state
        switch = (best - hold).unsqueeze(-1)
        stay = score >= switch
        back.append(torch.where(stay, same, best_at.unsqueeze(-1)))  # (B, S): previous state of each state
        score = torch.where(stay, score, switch) + emit[:, t]
    state = score.argmax(-1)
    path = [state]
    for pointers in reversed(back):
        state = pointers.gather(1, state.unsqueeze(-1)).squeeze(-1)
        path.append(state)
    return torch.stack(path[::-1], dim=1)


def key_bias(keys: Sequence[tuple[frozenset[int] | None, float]], low: int, pitches: int, off_key: float,
             device: torch.device | str = "cpu") -> torch.Tensor | None:
    """Per pitch row of a window ``[low, low + pitches)``, the key prior's log-weight ``(P,)``, or None.

    ``keys`` are (pitch classes, weight) pairs, e.g. the seed's key with weight
    1 - alpha and a style song's with alpha: a row pays ``off_key`` nats times
    the total weight of the keys it is outside of. A key of None is skipped.
    """
    if off_key <= 0 or not any(pcs and weight > 0 for pcs, weight in keys):
        return None
    rows = torch.arange(low, low + pitches, device=device) % 12
    bias = torch.zeros(pitches, device=device)
    for pcs, weight in keys:
        if pcs and weight > 0:
            outside = ~torch.isin(rows, torch.tensor(sorted(pcs), device=device))
            bias -= float(off_key) * float(weight) * outside.float()
    return bias
