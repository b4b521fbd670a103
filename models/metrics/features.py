"""Per-piece features after MGEval (Yang and Lerch 2018), computed from a Score.

Every feature reads the non-drum notes of all tracks together (drum "pitches"
name instruments, not pitches), in onset order: sorted by start tick, then by
pitch. Times are musical, not clock time: lengths and inter-onset intervals are
in quarter notes (``ticks / ppq``), so tempo does not change them.

The nine features (name: shape, definition):

* ``pitch_count`` (scalar): the number of different MIDI pitches used.
* ``pitch_class_histogram`` (12): how many notes fall on each pitch class
  (C = 0 ... B = 11), divided by the number of notes (sums to 1).
* ``pitch_class_transition_matrix`` (12 x 12): entry (a, b) counts the pairs
  of consecutive onsets where pitch class a sounds at the first onset and b at
  the next (for chords: every pitch class of one onset to every pitch class of
  the next), divided by the total count (sums to 1).
* ``pitch_range`` (scalar): highest minus lowest pitch, in semitones.
* ``avg_pitch_interval`` (scalar): the mean absolute interval, in semitones,
  between the top notes of consecutive onsets (for a melody: between
  consecutive notes).
* ``note_count`` (scalar): the number of notes.
* ``avg_ioi`` (scalar): the mean time between consecutive onsets (distinct
  start ticks), in quarter notes.
* ``note_length_histogram`` (12): each note's length goes to the nearest of
  twelve classes (:data:`LENGTH_CLASSES`: whole, half, quarter, 8th, 16th,
  their dotted forms, and half, quarter and 8th triplets), divided by the
  number of notes.
* ``note_length_transition_matrix`` (12 x 12): entry (a, b) counts
  consecutive notes (in onset order) of length classes a then b, divided by
  the total count.

A feature a piece cannot have (an interval with fewer than two onsets) is NaN;
histograms and matrices of a piece without notes are all zeros.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from app.core.score import Note, Score

#: Length classes in quarter notes, in MGEval's order.
LENGTH_CLASSES = (4.0, 2.0, 1.0, 0.5, 0.25, 3.0, 1.5, 0.75, 0.375, 4 / 3, 2 / 3, 1 / 3)


def piece_notes(score: Score) -> list[Note]:
    """The non-drum notes of every track, sorted by start tick, then pitch."""
    notes = [n for t in score.tracks if not t.is_drum for n in t.notes]
    return sorted(notes, key=lambda n: (n.start, n.pitch))


def onset_groups(notes: list[Note]) -> list[list[Note]]:
    """Notes grouped by start tick (``notes`` in onset order)."""
    groups: list[list[Note]] = []
    for note in notes:
        if groups and groups[-1][0].start == note.start:
            groups[-1].append(note)
        else:
            groups.append([note])
    return groups


def length_class(ticks: int, ppq: int) -> int:
    """Index in :data:`LENGTH_CLASSES` of the class nearest to ``ticks`` (ties: the earlier class)."""
    quarters = ticks / ppq
    return min(range(len(LENGTH_CLASSES)), key=lambda i: abs(LENGTH_CLASSES[i] - quarters))


def _normalized(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else counts


def pitch_count(score: Score) -> float:
    return float(len({n.pitch for n in piece_notes(score)}))


def pitch_class_histogram(score: Score) -> np.ndarray:
    counts = np.zeros(12)
    for note in piece_notes(score):
        counts[note.pitch % 12] += 1
    return _normalized(counts)


def pitch_class_transition_matrix(score: Score) -> np.ndarray:
    counts = np.zeros((12, 12))
    groups = onset_groups(piece_notes(score))
    for here, after in zip(groups, groups[1:]):
        for a in {n.pitch % 12 for n in here}:
            for b in {n.pitch % 12 for n in after}:
                counts[a, b] += 1
    return _normalized(counts)


def pitch_range(score: Score) -> float:
    pitches = [n.pitch for n in piece_notes(score)]
    return float(max(pitches) - min(pitches)) if pitches else float("nan")


def avg_pitch_interval(score: Score) -> float:
    tops = [max(n.pitch for n in group) for group in onset_groups(piece_notes(score))]
    if len(tops) < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(tops))))


def note_count(score: Score) -> float:
    return float(len(piece_notes(score)))


def avg_ioi(score: Score) -> float:
    starts = sorted({n.start for n in piece_notes(score)})
    if len(starts) < 2:
        return float("nan")
    return float(np.mean(np.diff(starts)) / score.ppq)


def note_length_histogram(score: Score) -> np.ndarray:
    counts = np.zeros(len(LENGTH_CLASSES))
    for note in piece_notes(score):
        counts[length_class(note.duration, score.ppq)] += 1
    return _normalized(counts)


def note_length_transition_matrix(score: Score) -> np.ndarray:
    n = len(LENGTH_CLASSES)
    counts = np.zeros((n, n))
    classes = [length_class(note.duration, score.ppq) for note in piece_notes(score)]
    for a, b in zip(classes, classes[1:]):
        counts[a, b] += 1
    return _normalized(counts)


FEATURES: dict[str, Callable[[Score], float | np.ndarray]] = {
    "pitch_count": pitch_count,
    "pitch_class_histogram": pitch_class_histogram,
    "pitch_class_transition_matrix": pitch_class_transition_matrix,
    "pitch_range": pitch_range,
    "avg_pitch_interval": avg_pitch_interval,
    "note_count": note_count,
    "avg_ioi": avg_ioi,
    "note_length_histogram": note_length_histogram,
    "note_length_transition_matrix": note_length_transition_matrix,
}
SCALAR_FEATURES = ("pitch_count", "pitch_range", "avg_pitch_interval", "note_count", "avg_ioi")


def piece_features(score: Score) -> dict[str, np.ndarray]:
    """Every feature of one piece, each as a flat float array (a scalar is a 1-vector)."""
    return {name: np.atleast_1d(np.asarray(fn(score), dtype=np.float64)).ravel() for name, fn in FEATURES.items()}

