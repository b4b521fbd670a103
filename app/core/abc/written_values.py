"""A track's slices as the values ABC writes: plain lengths, and triplets grouped by beat.

The notation grid (``app.core.notation_grid``) makes each beat binary or
ternary and cuts a slice into written values. ABC needs a value in a ternary
beat written inside a tuplet (``(3``), since its lengths must have
power-of-two denominators; plain values of one slice are joined again into one
length (``F5``, as before), ABC having no need for one value a note.
"""

from __future__ import annotations

from typing import NamedTuple

from app.core.notation_grid import BeatGrid
from app.core.slicing import Slice


class WrittenValue(NamedTuple):
    """Part of a slice written as one ABC length; ``last``: the slice's final part (its own ties apply)."""

    piece: Slice
    triplet: bool  # a value inside a tuplet: written 3/2 as long as it sounds
    beat: int  # the beat (of the track's grid) it starts in; a tuplet holds one beat's triplet values
    last: bool


def written_values(slices: list[Slice], grid: BeatGrid) -> list[WrittenValue]:
    """``slices`` (quantised to ``grid``) as written values, in order."""
    values = []
    for piece in slices:
        merged: list[tuple[int, bool]] = []
        for ticks, triplet in grid.note_values(piece.start, piece.end):
            if merged and not triplet and not merged[-1][1]:
                merged[-1] = (merged[-1][0] + ticks, False)
            else:
                merged.append((ticks, triplet))
        tick = piece.start
        for number, (ticks, triplet) in enumerate(merged):
            values.append(WrittenValue(Slice(tick, ticks, piece.notes), triplet, grid.beat_of(tick),
                                       number == len(merged) - 1))
            tick += ticks
    return values


def tuplet_size(values: list[WrittenValue], first: int) -> int:
    """How many triplet values from ``first`` on share its beat: the ``r`` of one ``(3:2:r`` group."""
    count = 1
    for value in values[first + 1:]:
        if not value.triplet or value.beat != values[first].beat:
            break
        count += 1
    return count
