"""Binary pianorolls in segments of 32 steps, and back to notes.

A step is a 16th note (an 8th in meters whose bar holds more than 32
16ths). A segment is as many whole bars as fit in 32 steps: two bars of 4/4,
four of 2/4, two of 3/4 (24 steps), one of 12/8 (24 steps); the steps after the
last whole bar are padding, always empty. So segments always start on a bar
line, and a generated segment continues the seed bar for bar.

Segments are cut in one meter, from a bar line of it (``Grid.origin``): a
score's grid (:func:`score_grid`) is that of the meter in force where the
score ends (where a continuation starts), from the real bar line where that
meter's last run of bars begins. vae-nn's segments are whole bars of one
meter, so it reads a piece, style song or seed whose meter changes from its
last meter change on; a single-meter score is read whole, from tick 0.

Rolls are numpy bool arrays ``(segments * 32, pitches)`` per role, in the
role's pitch window; a note covers the steps from its rounded start to its
rounded end (at least one). Back to notes, the held steps of a pitch become one
note (drums: one hit per step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from app.core.score import Note, Score, TimeSignature
from models.common.meter_regions import closing_region

STEPS = 32
STEPS_PER_QUARTER = 4


@dataclass(frozen=True)
class Grid:
    """How ticks map to steps and steps to segments for one meter, whose bars begin at ``origin`` (a tick)."""

    step_ticks: int
    bar_steps: int
    origin: int = 0

    @property
    def bars(self) -> int:
        """Whole bars per segment."""
        return max(1, STEPS // self.bar_steps)

    @property
    def used(self) -> int:
        """Steps of a segment that hold music (the rest is padding)."""
        return min(STEPS, self.bars * self.bar_steps)

    def segments_for_bars(self, bars: int) -> int:
        return -(-bars // self.bars)


def grid_for(sig: TimeSignature, ppq: int, origin: int = 0) -> Grid:
    """The grid of a meter from ``origin``: 16th steps unless a bar holds more than 32 of them."""
    step = max(1, ppq // STEPS_PER_QUARTER)
    bar = sig.bar_ticks(ppq)
    while bar / step > STEPS:
        step *= 2
    return Grid(step, max(1, round(bar / step)), origin)


def score_grid(score: Score) -> Grid:
    """The grid of the meter in force where ``score`` ends, from the bar line where its last run of bars
    begins (tick 0 when the meter never changes)."""
    region = closing_region(score)
    return grid_for(region.signature, score.ppq, region.start)


def _fill(notes: Sequence[Note], low: int, width: int, grid: Grid, total: int, shift: int = 0) -> np.ndarray:
    """A flat roll ``(total, width)`` over the music steps from ``grid.origin`` (no padding), notes outside
    dropped (a note held over the origin kept from it)."""
    roll = np.zeros((total, width), dtype=bool)
    for n in notes:
        row = n.pitch + shift - low
        if not 0 <= row < width or n.end <= grid.origin:
            continue
        start = round((n.start - grid.origin) / grid.step_ticks)
        end = max(start + 1, round((n.end - grid.origin) / grid.step_ticks))
        roll[max(start, 0): min(end, total), row] = True
    return roll


def to_segments(flat: np.ndarray, grid: Grid) -> np.ndarray:
    """``(segments * used, P)`` -> ``(segments * 32, P)`` with the padding steps inserted."""
    segments = flat.shape[0] // grid.used
    out = np.zeros((segments, STEPS, flat.shape[1]), dtype=flat.dtype)
    out[:, : grid.used] = flat[: segments * grid.used].reshape(segments, grid.used, -1)
    return out.reshape(segments * STEPS, -1)


def from_segments(roll: np.ndarray, grid: Grid) -> np.ndarray:
    """``(segments * 32, P)`` -> ``(segments * used, P)``: the padding steps dropped."""
    segments = roll.shape[0] // STEPS
    return roll[: segments * STEPS].reshape(segments, STEPS, -1)[:, : grid.used].reshape(segments * grid.used, -1)


def notes_to_rolls(parts: Sequence[Sequence[Note]], windows: Sequence[tuple[int, int]], grid: Grid,
                   segments: int | None = None, margin: int = 0) -> list[np.ndarray]:
    """Each part's roll ``(segments * 32, width + 2 * margin)`` in its window ``(low, width)``.

    ``margin`` extra rows on each side let training transpose by up to
    ``margin`` semitones by slicing. ``segments`` defaults to what the notes need.
    """
    if segments is None:
        end = max((round((n.end - grid.origin) / grid.step_ticks) for part in parts for n in part), default=0)
        segments = max(1, -(-end // grid.used))
    total = segments * grid.used
    return [to_segments(_fill(part, low - margin, width + 2 * margin, grid, total), grid)
            for part, (low, width) in zip(parts, windows)]


def last_segment(parts: Sequence[Sequence[Note]], windows: Sequence[tuple[int, int]], grid: Grid,
                 end_tick: int) -> list[np.ndarray]:
    """Each part's ``(32, width)`` roll of the whole bars that end where the seed's last bar ends (bars of
    ``grid``'s meter from its origin: with :func:`score_grid`, the seed's real bar lines)."""
    bar_ticks = grid.bar_steps * grid.step_ticks
    end_step = -(-max(end_tick - grid.origin, 1) // bar_ticks) * grid.bar_steps
    shift_steps = max(0, end_step - grid.used)
    out = []
    for part, (low, width) in zip(parts, windows):
        flat = _fill([n for n in part if n.end > grid.origin + shift_steps * grid.step_ticks], low, width, grid,
                     end_step)
        window = np.zeros((STEPS, width), dtype=bool)
        tail = flat[shift_steps:end_step]
        window[: len(tail)] = tail  # bars first, padding after, as in training
        out.append(window)
    return out


def runs(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, starts, ends)`` of every run of held steps in a ``(T, P)`` bool roll."""
    padded = np.zeros((flat.shape[0] + 2, flat.shape[1]), dtype=np.int8)
    padded[1:-1] = flat
    edges = np.diff(padded, axis=0).T  # (P, T + 1): +1 at a start, -1 after an end
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # the same pitch-major order, so the runs pair up
    return rows, starts, ends


def roll_to_notes(roll: np.ndarray, low: int, grid: Grid, velocity: int = 90, drums: bool = False,
                  until_step: int | None = None) -> list[Note]:
    """Notes of a ``(segments * 32, P)`` roll: held steps of a pitch become one note (drums: one per step),
    from ``grid.origin`` on."""
    flat = from_segments(roll, grid)
    if until_step is not None:
        flat = flat[:until_step]
    at = grid.origin
    if drums:
        steps, rows = np.nonzero(flat)
        return sorted(Note(at + int(s) * grid.step_ticks, low + int(r), grid.step_ticks, velocity)
                      for s, r in zip(steps, rows))
    rows, starts, ends = runs(flat)
    return sorted(Note(at + int(s) * grid.step_ticks, low + int(r), int(e - s) * grid.step_ticks, velocity)
                  for r, s, e in zip(rows, starts, ends))
