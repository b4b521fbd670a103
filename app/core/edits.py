"""Pure edit functions: a Score (or notes) in, a new one out.

The GUI wraps each in a thin QUndoCommand (``app/commands.py``); the undo is
the same function with its arguments swapped (``replace_notes(s, t, new,
old)`` undoes ``replace_notes(s, t, old, new)``). Notes are values, so a note
is named by ``(track index, Note)``; removing takes one equal note per given
note.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Iterable, Sequence

from app.core.score import Note, Score, Track

MAX_PITCH, MIN_DURATION = 127, 1


def replace_notes(score: Score, track: int, old: Iterable[Note], new: Iterable[Note]) -> Score:
    """Take ``old`` notes out of track ``track`` and put ``new`` ones in.

    Raises ValueError if a note of ``old`` is not in the track (a stale edit).
    """
    target = score.tracks[track]
    remove = Counter(old)
    kept = []
    for note in target.notes:
        if remove.get(note, 0):
            remove[note] -= 1
        else:
            kept.append(note)
    missing = +remove
    if missing:
        raise ValueError(f"{sum(missing.values())} note(s) to change are not in track {track}")
    tracks = list(score.tracks)
    tracks[track] = target.with_notes(kept + list(new))
    return score.with_tracks(tracks)


def set_track(score: Score, index: int, **changes) -> Score:
    """Change a track's name, program, is_drum, volume, mute or solo."""
    if "notes" in changes:
        raise ValueError("use replace_notes to change notes")
    tracks = list(score.tracks)
    tracks[index] = replace(tracks[index], **changes)
    return score.with_tracks(tracks)


def insert_track(score: Score, index: int, track: Track) -> Score:
    tracks = list(score.tracks)
    tracks.insert(index, track)
    return score.with_tracks(tracks)


def remove_track(score: Score, index: int) -> Score:
    tracks = list(score.tracks)
    del tracks[index]
    return score.with_tracks(tracks)


def move_track(score: Score, source: int, dest: int) -> Score:
    """Move track ``source`` so it ends at position ``dest``."""
    tracks = list(score.tracks)
    tracks.insert(dest, tracks.pop(source))
    return score.with_tracks(tracks)


# -- operations on a selection (return the new notes; the caller replaces old -> new) --

def transpose_notes(notes: Sequence[Note], semitones: int) -> list[Note] | None:
    """Every note moved by ``semitones``; None if one would leave 0-127."""
    if notes and not (0 <= min(n.pitch for n in notes) + semitones and
                      max(n.pitch for n in notes) + semitones <= MAX_PITCH):
        return None
    return [replace(n, pitch=n.pitch + semitones) for n in notes]


def shift_notes(notes: Sequence[Note], ticks: int) -> list[Note]:
    """Every note moved in time by ``ticks``, stopping at tick 0 as a block."""
    if notes:
        ticks = max(ticks, -min(n.start for n in notes))
    return [replace(n, start=n.start + ticks) for n in notes]


def set_velocity(notes: Sequence[Note], velocity: int) -> list[Note]:
    velocity = max(1, min(127, int(velocity)))
    return [replace(n, velocity=velocity) for n in notes]


def quantize_notes(notes: Sequence[Note], grid: int, strength: float = 1.0) -> list[Note]:
    """Starts (and ends) pulled toward the nearest ``grid`` tick by ``strength`` (1 = fully)."""
    if grid <= 0:
        return list(notes)

    def snap(t: int) -> int:
        target = round(t / grid) * grid
        return round(t + (target - t) * strength)

    out = []
    for n in notes:
        start = max(0, snap(n.start))
        end = max(start + max(MIN_DURATION, round(grid * strength) or MIN_DURATION), snap(n.end))
        out.append(replace(n, start=start, duration=end - start))
    return out


def duplicate_notes(notes: Sequence[Note], grid: int = 1) -> list[Note]:
    """A copy of ``notes`` placed right after them (their span rounded up to ``grid``)."""
    if not notes:
        return []
    first, last = min(n.start for n in notes), max(n.end for n in notes)
    span = last - first
    if grid > 1:
        span = -(-span // grid) * grid
    return [replace(n, start=n.start + span) for n in notes]


def paste_notes(notes: Sequence[Note], at: int) -> list[Note]:
    """Clipboard notes moved so the earliest starts at tick ``at``."""
    if not notes:
        return []
    first = min(n.start for n in notes)
    return [replace(n, start=n.start - first + at) for n in notes]


def extract(score: Score, tracks: Sequence[int] | None = None,
            notes: dict[int, Sequence[Note]] | None = None) -> Score:
    """A score of some tracks (``tracks``) or of some notes per track (``notes``) for export.

    A selection starts at the bar line at or before its first note, so it
    lands on a bar in a DAW; tempo, meter and key changes move with it.
    """
    from app.core.timing import bar_lines

    if notes is not None:
        chosen = {i: list(ns) for i, ns in notes.items() if ns}
        first = min((n.start for ns in chosen.values() for n in ns), default=0)
        offset = max((b.tick for b in bar_lines(score, first + 1) if b.tick <= first), default=0)
        kept = [replace(score.tracks[i].with_notes(replace(n, start=n.start - offset) for n in ns))
                for i, ns in sorted(chosen.items())]
        tempos = _shift_changes(score.tempos, offset)
        sigs = _shift_changes(score.time_signatures, offset)
        return replace(score, tracks=tuple(kept), tempos=tempos, time_signatures=sigs,
                       keys=_shift_changes(score.keys, offset))
    if tracks is not None:
        return score.with_tracks(score.tracks[i] for i in tracks)
    return score


def _shift_changes(changes, offset: int):
    """Tempo, meter or key changes moved left by ``offset`` (the one in force at ``offset`` lands on 0)."""
    in_force = [c for c in changes if c.tick <= offset][-1:]
    later = [c for c in changes if c.tick > offset]
    return tuple(replace(c, tick=max(0, c.tick - offset)) for c in in_force + later)


def humanize_notes(score: Score, track: int, old: Sequence[Note], new: Sequence[Note]) -> Score:
    """Track ``track`` with each note of ``old`` replaced by its performance ``new[i]`` (Humanize).

    A performance keeps the notes: the same number, the same pitch at each place in the sequence; only
    the velocity and the timing (start, duration) may differ. ValueError when ``new`` is not a
    performance of ``old``, or when a note of ``old`` is no longer in the track (a stale edit). The
    undo is the same call with ``old`` and ``new`` swapped, which restores the exact notes.
    """
    if len(old) != len(new):
        raise ValueError(f"a performance of {len(old)} note(s) has {len(new)}")
    changed = next((i for i, (a, b) in enumerate(zip(old, new)) if a.pitch != b.pitch), None)
    if changed is not None:
        raise ValueError(f"note {changed + 1} of the performance plays pitch {new[changed].pitch}, "
                         f"not {old[changed].pitch}")
    return replace_notes(score, track, old, new)
