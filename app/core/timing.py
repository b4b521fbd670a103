"""Ticks <-> seconds through the tempo map, and bar/beat positions."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.score import Score, TimeSignature

if TYPE_CHECKING:
    import numpy as np  # imported where arrays are made: the window's first frame needs no numpy


class TempoMap:
    """Converts ticks to seconds and back for one score's tempo changes."""

    def __init__(self, score: Score) -> None:
        self.ppq = score.ppq
        self._ticks = [t.tick for t in score.tempos]
        self._sec_per_tick = [60.0 / (t.bpm * score.ppq) for t in score.tempos]
        self._seconds = [0.0]
        for i in range(1, len(self._ticks)):
            span = self._ticks[i] - self._ticks[i - 1]
            self._seconds.append(self._seconds[-1] + span * self._sec_per_tick[i - 1])

    def seconds(self, tick: int | float) -> float:
        """Time in seconds of ``tick``."""
        i = bisect.bisect_right(self._ticks, tick) - 1
        i = max(i, 0)
        return self._seconds[i] + (tick - self._ticks[i]) * self._sec_per_tick[i]

    def seconds_array(self, ticks: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`seconds` for an array of ticks."""
        import numpy as np

        ticks = np.asarray(ticks, dtype=np.float64)
        idx = np.searchsorted(np.asarray(self._ticks), ticks, side="right") - 1
        idx = np.clip(idx, 0, None)
        base_t = np.asarray(self._ticks, dtype=np.float64)[idx]
        base_s = np.asarray(self._seconds)[idx]
        rate = np.asarray(self._sec_per_tick)[idx]
        return base_s + (ticks - base_t) * rate

    def tick(self, seconds: float) -> float:
        """Inverse of :meth:`seconds` (fractional ticks)."""
        i = bisect.bisect_right(self._seconds, seconds) - 1
        i = max(i, 0)
        return self._ticks[i] + (seconds - self._seconds[i]) / self._sec_per_tick[i]


def duration_seconds(score: Score) -> float:
    """Length of the score in seconds, up to the end of its last note."""
    return TempoMap(score).seconds(score.end)


@dataclass(frozen=True)
class BarLine:
    """Start of bar ``number`` (1-based) at ``tick``, in meter ``signature``."""

    number: int
    tick: int
    signature: TimeSignature


def bar_lines(score: Score, until: int | None = None) -> list[BarLine]:
    """Every bar start up to ``until`` (default: the score's end), across meter changes."""
    end = score.end if until is None else until
    sigs = score.time_signatures
    bars: list[BarLine] = []
    tick, number = 0, 1
    for i, sig in enumerate(sigs):
        tick = max(tick, sig.tick)
        stop = sigs[i + 1].tick if i + 1 < len(sigs) else None
        length = sig.bar_ticks(score.ppq)
        while (stop is None or tick < stop) and (tick < end or not bars):
            bars.append(BarLine(number, tick, sig))
            tick += length
            number += 1
            if stop is None and tick >= end:
                break
    return bars


def bar_count(score: Score) -> int:
    """Number of bars the notes occupy (a final partial bar counts)."""
    if score.end == 0:
        return 0
    return len(bar_lines(score))


def signature_at(score: Score, tick: int) -> TimeSignature:
    """The meter in force at ``tick``."""
    ticks = [s.tick for s in score.time_signatures]
    return score.time_signatures[max(bisect.bisect_right(ticks, tick) - 1, 0)]


def bpm_at(score: Score, tick: int) -> float:
    """The tempo in force at ``tick``."""
    ticks = [t.tick for t in score.tempos]
    return score.tempos[max(bisect.bisect_right(ticks, tick) - 1, 0)].bpm
