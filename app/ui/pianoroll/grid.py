"""Snap grid and bar/beat positions of the piano roll (plain Python, no widgets).

Snap values are the names of ``app.settings.SNAPS``: note values ("1/16"),
triplets ("1/8T": three in the time of two) and "off" (one tick). The grid
counts from tick 0. Bars follow the score's meters the way
``app.core.timing.bar_lines`` does, but are computed for a visible range only,
so painting a 1,000-bar score costs the same as painting a short one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from app.core.score import Score
from app.core.timing import bar_lines
from app.settings import SNAPS


def snap_length(name: str, ppq: int) -> int:
    """Ticks of one snap step (1 for "off"); "1/4" is one quarter note (``ppq``)."""
    if name not in SNAPS:
        raise ValueError(f"snap {name!r} is not one of {SNAPS}")
    if name == "off":
        return 1
    triplet = name.endswith("T")
    value = Fraction(4 * ppq, int(name.rstrip("T").split("/")[1]))
    if triplet:
        value = value * 2 / 3
    return max(1, round(value))


class Grid:
    """The current snap of a piano roll; reads the ppq of the document's score each time."""

    def __init__(self, doc, name: str = "1/16") -> None:
        self.doc = doc
        self.name = name

    @property
    def ppq(self) -> int:
        return self.doc.score.ppq

    def step(self) -> int:
        """Ticks of one snap step (1 when snap is off)."""
        return snap_length(self.name, self.ppq)

    def edit_step(self) -> int:
        """The step of keyboard moves, quantize and minimum lengths: a sixteenth when snap is off."""
        step = self.step()
        return step if step > 1 else max(1, self.ppq // 4)

    def floor(self, tick: float) -> int:
        step = self.step()
        return max(0, int(math.floor(tick / step)) * step)

    def round(self, tick: float) -> int:
        step = self.step()
        return max(0, int(math.floor(tick / step + 0.5)) * step)

    def steps(self, ticks: float) -> int:
        """``ticks`` (a distance, may be negative) rounded to whole snap steps: a note moved or resized by
        it keeps its offset from the grid."""
        step = self.step()
        return int(math.floor(ticks / step + 0.5)) * step


@dataclass(frozen=True)
class BarSpan:
    """A run of equal bars: from ``start`` (bar ``number``) to ``stop`` (None: open-ended)."""

    start: int
    stop: int | None
    number: int
    bar: int  # ticks per bar
    beat: int  # ticks per beat


def bar_spans(score: Score) -> list[BarSpan]:
    """The score's meters as runs of bars (same bar starts as ``timing.bar_lines``)."""
    sigs, spans = score.time_signatures, []
    tick, number = 0, 1
    for i, sig in enumerate(sigs):
        tick = max(tick, sig.tick)
        bar, beat = sig.bar_ticks(score.ppq), max(1, score.ppq * 4 // sig.denominator)
        if i + 1 == len(sigs):
            spans.append(BarSpan(tick, None, number, bar, beat))
            break
        stop = sigs[i + 1].tick
        count = -(-(stop - tick) // bar) if stop > tick else 0
        if count:
            spans.append(BarSpan(tick, tick + count * bar, number, bar, beat))
        tick += count * bar
        number += count
    return spans


def bars_between(spans: list[BarSpan], first: float, last: float) -> list[tuple[int, int, BarSpan]]:
    """``(bar number, start tick, span)`` of every bar that overlaps ``[first, last]``."""
    out = []
    for span in spans:
        end = last if span.stop is None else min(last, span.stop - 1)
        if end < span.start or (span.stop is not None and span.stop <= first):
            continue
        k0 = max(0, int((first - span.start) // span.bar))
        k1 = int((end - span.start) // span.bar)
        out += [(span.number + k, span.start + k * span.bar, span) for k in range(k0, k1 + 1)]
    return out


def nearest_bar_line(score: Score, tick: int) -> int:
    """The start of the bar nearest ``tick`` (the earlier one on a tie), across meter changes."""
    tick = max(0, int(tick))
    before = bar_lines(score, tick + 1)[-1]
    after = bar_lines(score, before.tick + before.signature.bar_ticks(score.ppq) + 1)[-1].tick
    return before.tick if tick - before.tick <= after - tick else after
