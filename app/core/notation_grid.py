"""Times notation can show: every beat on a 64th-note or a 32nd-note-triplet grid.

A MIDI file holds any tick; notation holds note values. Before a score is
written as MusicXML or ABC its times are quantised here, per part and per beat (a
quarter note counted from each bar line):

* each beat is **binary** (a grid of 64th notes, 1/16 of a quarter) or
  **ternary** (32nd-note triplets, 1/12 of a quarter), whichever moves that
  beat's note starts and ends less (binary when equal, and always for the
  short last beat of a bar such as the last eighth of 7/8);
* starts and ends snap to the nearest line of their beat's grid (halves
  round up), and a note that would vanish lasts one step of the grid where
  it starts: nothing is shorter than a 64th note or a 32nd-note triplet;
* :meth:`BeatGrid.note_values` cuts a stretch of time into lengths that are
  one written note value each (dotted values included; triplets only inside
  their beat), to be tied together.

What was changed is counted in a :class:`GridReport`, whose sentences the
writer passes on to the user. Both notation writers (MusicXML and ABC) use
this grid. Pure Python (no music21).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Iterable

from app.core.score import Note, Score
from app.core.timing import bar_lines

NOTATION_PPQ = 480  # a score whose ppq 48 does not divide is written at this resolution
BINARY = 16  # grid lines per quarter note in a binary beat: 64th notes
TERNARY = 12  # in a ternary beat: 32nd-note triplets
#: Lengths (in grid steps) that are one written value: plain, dotted and double-dotted notes.
BINARY_VALUES = (224, 192, 128, 112, 96, 64, 56, 48, 32, 28, 24, 16, 14, 12, 8, 7, 6, 4, 3, 2, 1)
#: In a ternary beat, triplet values (dotted ones too): 8 steps is a triplet quarter, 1 a triplet 32nd.
TERNARY_VALUES = (8, 7, 6, 4, 3, 2, 1)


def rescale(score: Score, ppq: int) -> Score:
    """``score`` with every time converted to ``ppq`` ticks per quarter note (rounded)."""
    def tick(value: int) -> int:
        return round(Fraction(value * ppq, score.ppq))

    tracks = [track.with_notes(Note(tick(n.start), n.pitch, max(1, tick(n.end) - tick(n.start)), n.velocity)
                               for n in track.notes) for track in score.tracks]
    return replace(score, tracks=tuple(tracks), ppq=ppq,
                   tempos=tuple(replace(t, tick=tick(t.tick)) for t in score.tempos),
                   time_signatures=tuple(replace(s, tick=tick(s.tick)) for s in score.time_signatures),
                   keys=tuple(replace(k, tick=tick(k.tick)) for k in score.keys))


def notation_score(score: Score) -> Score:
    """``score`` at a resolution the notation grid divides (a multiple of 48 ticks per quarter)."""
    return rescale(score, NOTATION_PPQ) if score.ppq % 48 else score


def bar_spans(score: Score, until: int) -> list[tuple[int, int]]:
    """``(tick, length)`` of every bar up to ``until``."""
    lines = bar_lines(score, until=until)
    ticks = [b.tick for b in lines] + [max(until, lines[-1].tick + lines[-1].signature.bar_ticks(score.ppq))]
    return [(a, b - a) for a, b in zip(ticks, ticks[1:]) if b > a]


@dataclass
class GridReport:
    """What quantising to the notation grid changed, counted in notes."""

    moved: int = 0  # notes whose start or end moved to the grid
    lengthened: int = 0  # notes shorter than one grid step, lengthened to one step

    def sentences(self) -> list[str]:
        """One sentence per kind of change, for the user (empty when nothing changed)."""
        out = []
        if self.lengthened:
            out.append(f"{_count(self.lengthened)} shorter than a 64th note (or a 32nd-note triplet) "
                       f"{_was(self.lengthened)} lengthened to one")
        if self.moved:
            out.append(f"{_count(self.moved)} {_was(self.moved)} moved to the nearest 64th note or "
                       "32nd-note triplet, the finest rhythm written")
        return out


def _count(n: int) -> str:
    return "1 note" if n == 1 else f"{n:,} notes"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


class BeatGrid:
    """The beats of one part, each binary or ternary, from tick 0 to the last bar line given."""

    def __init__(self, starts: list[int], ends: list[int], ternary: list[bool], ppq: int) -> None:
        self.starts, self.ends, self.ternary, self.ppq = starts, ends, ternary, ppq

    @classmethod
    def for_notes(cls, bars: Iterable[tuple[int, int]], ppq: int, notes: Iterable[Note]) -> "BeatGrid":
        """The grid for ``notes`` over ``bars`` (``(tick, length)`` each, in order; ``ppq`` a multiple of 48)."""
        starts, ends = [], []
        for tick, length in bars:
            for beat in range(tick, tick + length, ppq):
                starts.append(beat)
                ends.append(min(beat + ppq, tick + length))
        times = sorted(t for n in notes for t in (n.start, n.end))
        ternary = []
        for a, b in zip(starts, ends):
            inside = times[bisect.bisect_left(times, a):bisect.bisect_left(times, b)]
            full = b - a == ppq
            ternary.append(full and _error(inside, a, ppq // TERNARY) < _error(inside, a, ppq // BINARY))
        return cls(starts, ends, ternary, ppq)

    def _beat(self, tick: int) -> int:
        return max(0, min(bisect.bisect_right(self.starts, tick) - 1, len(self.starts) - 1))

    def step_at(self, tick: int) -> int:
        """Ticks per grid step in the beat holding ``tick``."""
        return self.ppq // (TERNARY if self.ternary[self._beat(tick)] else BINARY)

    def snap(self, tick: int) -> int:
        """``tick`` on the nearest line of its beat's grid (halves round up)."""
        index = self._beat(tick)
        start = self.starts[index]
        step = self.ppq // (TERNARY if self.ternary[index] else BINARY)
        return start + (tick - start + step // 2) // step * step

    def quantize(self, notes: Iterable[Note], report: GridReport | None = None) -> list[Note]:
        """``notes`` on the grid, each at least one step long; counts the changes in ``report``."""
        out = []
        for note in notes:
            start = self.snap(note.start)
            end = self.snap(note.end)
            step = self.step_at(start)
            if end - start < step:
                end = start + step
                if report is not None and note.duration < step:
                    report.lengthened += 1
            elif report is not None and (start != note.start or end != note.end):
                report.moved += 1
            out.append(Note(start, note.pitch, end - start, note.velocity))
        return out

    def note_values(self, start: int, end: int) -> list[tuple[int, bool]]:
        """``(ticks, triplet)`` pieces from ``start`` to ``end``, each one written value, in order.

        In a ternary beat every piece is a triplet value and stays inside the
        beat (a whole beat is a plain quarter); a run of binary beats is cut
        greedily into the longest plain, dotted or double-dotted values that fit.
        """
        pieces: list[tuple[int, bool]] = []
        tick = start
        while tick < end:
            index = self._beat(tick)
            if self.ternary[index] and tick < self.ends[index]:
                stop = min(end, self.ends[index])
                if stop - tick == self.ppq:
                    pieces.append((self.ppq, False))
                else:
                    pieces += [(v, True) for v in _values(stop - tick, self.ppq // TERNARY, TERNARY_VALUES)]
            else:
                last = index
                while last + 1 < len(self.starts) and not self.ternary[last + 1] and self.starts[last + 1] < end:
                    last += 1
                stop = min(end, self.ends[last]) if last + 1 < len(self.starts) and self.ends[last] > tick else end
                pieces += [(v, False) for v in _values(stop - tick, self.ppq // BINARY, BINARY_VALUES)]
            tick = stop
        return pieces

    def beat_of(self, tick: int) -> int:
        """The index of the beat holding ``tick`` (triplet groups are bracketed per beat)."""
        return self._beat(tick)


def _error(times: list[int], origin: int, step: int) -> int:
    """Total distance of ``times`` from the grid of ``step`` ticks starting at ``origin``."""
    total = 0
    for t in times:
        offset = (t - origin) % step
        total += min(offset, step - offset)
    return total


def _values(length: int, step: int, values: tuple[int, ...]) -> list[int]:
    """``length`` ticks as the fewest greedy note values (multiples of ``step``; a remainder is kept whole)."""
    out = []
    units, rest = divmod(length, step)
    for value in values:
        while units >= value:
            out.append(value * step)
            units -= value
    if rest:
        out.append(rest)  # off the grid: cannot happen for quantised times
    return out
