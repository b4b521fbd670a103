"""Training audio as the model hears it: clips at one level, cut into windows of samples.

Every clip (and every seed clip at generation) is scaled to :attr:`AudioLSTMConfig.level_rms` (its peak
kept within 1), so a quiet render and a loud recording look alike to the network; the continuation is
scaled back by the same gain.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

PEAK = 0.999


def level_gain(clip: np.ndarray, rms: float) -> float:
    """The gain that brings ``clip`` to ``rms`` without its peak passing :data:`PEAK` (1 for silence)."""
    clip = np.asarray(clip, dtype=np.float64)
    now = float(np.sqrt(np.mean(np.square(clip)))) if len(clip) else 0.0
    if now < 1e-6:
        return 1.0
    peak = float(np.max(np.abs(clip)))
    return min(rms / now, PEAK / peak)


def levelled(clips: Sequence[np.ndarray], rms: float) -> list[np.ndarray]:
    return [np.clip(c * level_gain(c, rms), -1.0, 1.0).astype(np.float32) for c in clips]


def windows(clip: np.ndarray, length: int, offset: int = 0, count: int | None = None) -> list[np.ndarray]:
    """Windows of ``length`` + 1 samples from ``offset`` with stride ``length`` (at most ``count``)."""
    starts = range(offset, len(clip) - length, length)
    out = [clip[s: s + length + 1] for s in starts]
    return out[:count] if count is not None else out


def per_clip(clip_length: int, length: int) -> int:
    """Windows every clip gives whatever its offset (below ``length``): an epoch's count is known ahead."""
    return max(0, (clip_length - 1) // length - 1)
