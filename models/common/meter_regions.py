"""Where a score's bars begin across its meter map, for models that read whole bars of one meter.

A *region* is a run of bars of one meter (``app.core.timing.bar_lines`` says where each bar begins, a
bar cut short by a meter change included). Models that cut music into bars use these instead of
multiples of the opening meter's bar from tick 0, which puts the bar lines in the wrong places after a
meter change. Pure: the score model only.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.score import Score, TimeSignature
from app.core.timing import bar_lines


@dataclass(frozen=True)
class MeterRegion:
    """Bars of ``signature`` from ``start`` to ``end`` (ticks; ``end`` is the next region's first bar line)."""

    start: int
    end: int
    signature: TimeSignature


def bar_line_from(score: Score, tick: int) -> int:
    """The first bar line at or after ``tick`` (past the score's end, bars of its last meter go on)."""
    longest = max(s.bar_ticks(score.ppq) for s in score.time_signatures)
    return next(b.tick for b in bar_lines(score, until=tick + longest + 1) if b.tick >= tick)


def meter_regions(score: Score, until: int) -> list[MeterRegion]:
    """The regions of whole bars covering ticks 0 to ``until`` (the last ends at the bar line at or after it)."""
    bars = bar_lines(score, until=max(until, 1))
    regions: list[MeterRegion] = []
    for bar in bars:
        meter = (bar.signature.numerator, bar.signature.denominator)
        if not regions or (regions[-1].signature.numerator, regions[-1].signature.denominator) != meter:
            if regions:
                regions[-1] = MeterRegion(regions[-1].start, bar.tick, regions[-1].signature)
            regions.append(MeterRegion(bar.tick, bar.tick, bar.signature))
    last = regions[-1]
    regions[-1] = MeterRegion(last.start, bar_line_from(score, max(until, 1)), last.signature)
    return regions


def closing_region(score: Score) -> MeterRegion:
    """The bars of the meter in force where ``score`` ends (where a continuation starts), up to its last bar line."""
    return meter_regions(score, score.end)[-1]
