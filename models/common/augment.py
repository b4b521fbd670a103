"""Augmentation applied on the fly with a seeded RNG: transposition and tempo scaling.

Transposition keeps every pitch inside the instrument's range (the piano's
21-108 by default), so a shift that would push a note out is never chosen.
Tempo scaling stretches note times (half-time / double-time feel) and scales
the tempo map by the inverse, so the piece lasts as long in seconds while its
rhythm is written in other note values.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.core.score import Note, Score, TempoChange, Track

PIANO_RANGE = (21, 108)


def pitch_span(score: Score) -> tuple[int, int] | None:
    pitches = [n.pitch for t in score.tracks if not t.is_drum for n in t.notes]
    return (min(pitches), max(pitches)) if pitches else None


def feasible_shifts(score: Score, max_shift: int = 6, low: int = PIANO_RANGE[0], high: int = PIANO_RANGE[1]) -> list[int]:
    """Every semitone shift in ``[-max_shift, max_shift]`` that keeps all pitches in range."""
    span = pitch_span(score)
    if span is None:
        return [0]
    return [s for s in range(-max_shift, max_shift + 1) if span[0] + s >= low and span[1] + s <= high]


def transpose(score: Score, semitones: int) -> Score:
    """Shift every non-drum note by ``semitones`` (the caller checks the range)."""
    if semitones == 0:
        return score
    tracks = tuple(t if t.is_drum else t.with_notes(replace(n, pitch=n.pitch + semitones) for n in t.notes)
                   for t in score.tracks)
    return replace(score, tracks=tracks)


def random_transposition(score: Score, rng: np.random.Generator, max_shift: int = 6) -> tuple[Score, int]:
    """A transposed copy with a shift drawn uniformly among the feasible ones."""
    shift = int(rng.choice(feasible_shifts(score, max_shift)))
    return transpose(score, shift), shift


def scale_tempo(score: Score, factor: float) -> Score:
    """Stretch note times by ``factor`` and divide the tempo map's ticks accordingly.

    With ``factor`` 2, eighths become quarters and the tempo doubles, so the
    music sounds the same in seconds but is notated in longer values.
    """
    if factor <= 0:
        raise ValueError("factor must be positive")

    def stretch(n: Note) -> Note:
        return replace(n, start=round(n.start * factor), duration=max(1, round(n.duration * factor)))

    tracks = tuple(Track(t.name, t.program, t.is_drum, tuple(stretch(n) for n in t.notes)) for t in score.tracks)
    tempos = tuple(TempoChange(round(t.tick * factor), min(1000.0, t.bpm * factor)) for t in score.tempos)
    return replace(score, tracks=tracks, tempos=tempos)
