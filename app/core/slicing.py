"""Cut a track into notation-ready time slices (shared by the ABC and MusicXML writers).

Notation cannot show overlapping notes of different lengths in one voice, nor
a note that runs over a bar line. Both writers therefore cut a track at every
note start, note end and bar line into consecutive :class:`Slice` objects:
each holds the pitches sounding through it (a chord, one note, or none: a
rest), and for each pitch whether the *same* note goes on into the next slice
(a tie). A note that ends exactly where a new note of the same pitch starts is
a re-strike, not a tie.

Deliberate policies:

* Times may be quantised to a grid (ABC output uses ``ppq // 48`` ticks, i.e.
  1/48 of a quarter note): starts and ends snap to the nearest grid line
  (halves round up) and a note that would vanish keeps one grid step.
* Notes below C0 (MIDI 0-11) are moved up into the octave of C0 by
  :func:`slice_track`: notation formats (and music21) cannot hold them.
* Overlapping notes of one pitch (after quantising) cannot both sound in
  notation: the earlier note is cut where the later one starts, as the MIDI
  reader does with a re-strike. Two of them starting together are a unison
  (two voices on one pitch, ``[cc]`` in ABC): both are kept, each with its
  own length, and a slice then holds the pitch twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, NamedTuple

from app.core.score import Note, Score, Track
from app.core.timing import bar_lines


class SlicedNote(NamedTuple):
    """One pitch sounding through a slice; ``tie_to_next``: the same note goes on."""

    pitch: int
    velocity: int
    tie_to_next: bool


class Slice(NamedTuple):
    """``duration`` ticks from ``start``; an empty ``notes`` list is a rest."""

    start: int
    duration: int
    notes: list[SlicedNote]

    @property
    def end(self) -> int:
        return self.start + self.duration

    @property
    def is_rest(self) -> bool:
        return not self.notes


LOWEST_NOTATED = 12  # C0: MusicXML has no octave -1 and music21 misreads it in ABC


def lift_low_notes(notes: Iterable[Note]) -> list[Note]:
    """Notes below C0 (MIDI 0-11, below hearing) moved up into the octave of C0."""
    return [replace(n, pitch=n.pitch % 12 + LOWEST_NOTATED) if n.pitch < LOWEST_NOTATED else n for n in notes]


def snap(tick: int, grid: int) -> int:
    """``tick`` on the nearest multiple of ``grid`` (halves round up)."""
    if grid <= 1:
        return int(tick)
    return (int(tick) + grid // 2) // grid * grid


def quantize(notes: Iterable[Note], grid: int = 1) -> list[Note]:
    """Notes snapped to ``grid`` ticks, same-pitch overlaps resolved (see module doc)."""
    step = max(grid, 1)
    snapped = []
    for note in notes:
        start = snap(note.start, grid)
        end = max(snap(note.end, grid), start + step)
        snapped.append(Note(start, note.pitch, end - start, note.velocity))
    return sorted(cut_at_restrikes(snapped))


def cut_at_restrikes(notes: Iterable[Note]) -> list[Note]:
    """Each note cut where a later note of its pitch starts; notes starting together (unisons) are kept."""
    by_pitch = sorted(notes, key=lambda n: (n.pitch, n.start))
    result = []
    later = None  # start of the next same-pitch note with a later start
    for i in range(len(by_pitch) - 1, -1, -1):
        note = by_pitch[i]
        nxt = by_pitch[i + 1] if i + 1 < len(by_pitch) else None
        if nxt is None or nxt.pitch != note.pitch:
            later = None
        elif nxt.start > note.start:
            later = nxt.start
        if later is not None and later < note.end:
            note = Note(note.start, note.pitch, later - note.start, note.velocity)
        result.append(note)
    return result


def slice_notes(notes: Iterable[Note], cuts: Iterable[int] = (), end: int | None = None,
                grid: int = 1) -> list[Slice]:
    """Cut ``notes`` into consecutive slices from tick 0 to ``end``.

    Slices break at every note start and end, and at every tick of ``cuts``
    (bar lines, tempo changes). ``end`` defaults to the end of the last note;
    a larger ``end`` pads with rests. ``grid`` quantises first (see :func:`quantize`).
    """
    notes = quantize(notes, grid)
    last = max((n.end for n in notes), default=0)
    end = last if end is None else max(end, last)
    bounds = {0, end}
    bounds.update(t for t in cuts if 0 < t < end)
    for n in notes:
        bounds.add(n.start)
        bounds.add(n.end)
    ticks = sorted(bounds)
    slices: list[Slice] = []
    sounding: list[Note] = []
    pending = iter(notes)  # sorted by start
    upcoming = next(pending, None)
    for a, b in zip(ticks, ticks[1:]):
        sounding = [n for n in sounding if n.end > a]
        while upcoming is not None and upcoming.start == a:
            sounding.append(upcoming)
            upcoming = next(pending, None)
        sounding.sort(key=lambda n: n.pitch)
        slices.append(Slice(a, b - a, [SlicedNote(n.pitch, n.velocity, n.end > b) for n in sounding]))
    return slices


def bar_end(score: Score, end: int) -> int:
    """The first bar line at or after ``end`` (the end of the bar holding the last note)."""
    bars = bar_lines(score, until=max(end, 1))
    last = bars[-1]
    stop = last.tick + last.signature.bar_ticks(score.ppq)
    later = [s.tick for s in score.time_signatures if s.tick > last.tick]
    if later:
        stop = min(stop, later[0])
    return stop if stop >= end else end


def quantized_end(score: Score, grid: int = 1) -> int:
    """Where the last note of ``score`` ends once quantised to ``grid``."""
    step = max(grid, 1)
    return max((max(snap(n.end, grid), snap(n.start, grid) + step) for n in score.all_notes()), default=0)


def bar_ticks(score: Score, end: int) -> list[int]:
    """Ticks of the bar lines before ``end`` (the first, at 0, included)."""
    return [bar.tick for bar in bar_lines(score, until=max(end, 1))]


def slice_track(score: Score, track: Track, grid: int = 1, end: int | None = None,
                extra_cuts: Iterable[int] = ()) -> list[Slice]:
    """Slices of one track of ``score``, cut at the score's bar lines.

    ``end`` defaults to the end of the bar holding the score's last note, so
    every track of a score ends together on a bar line.
    """
    if end is None:
        end = bar_end(score, quantized_end(score, grid))
    cuts = bar_ticks(score, end) + list(extra_cuts)
    return slice_notes(lift_low_notes(track.notes), cuts, end=end, grid=grid)
