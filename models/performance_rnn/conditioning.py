"""The conditional variant's controls: a 12-d pitch-class histogram and a note-density bin.

Training computes both from each training window's own events (the share of
its note-ons on each pitch class, and its note-ons per second); the network
reads them at every step. Generation asks for them: the histogram from a key
(tonic 2, the other scale tones 1, as in Magenta's examples), from 12 weights,
or from the seed; the density from notes per bar (the ``density`` option) at
the seed's tempo and meter. The bins are Magenta's: below 1, 1-2, 2-4, ... and
64 or more notes per second.
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np

from models.performance_rnn.events import NOTE_OFF, NOTE_ON, STEPS_PER_SECOND, PerfNote, event_steps

DENSITY_EDGES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # notes per second between the bins
DENSITY_BINS = len(DENSITY_EDGES) + 1
CONTROL_SIZE = 12 + DENSITY_BINS
UNIFORM = np.full(12, 1 / 12, dtype=np.float32)


def density_bin(notes_per_second: float) -> int:
    """0-7: the bin of a note density."""
    return bisect.bisect_right(DENSITY_EDGES, notes_per_second)


def bin_density(b: int) -> float:
    """A density inside bin ``b`` (the geometric middle; 0.5 and 90 at the ends)."""
    if b <= 0:
        return 0.5
    if b >= len(DENSITY_EDGES):
        return 90.0
    return float(np.sqrt(DENSITY_EDGES[b - 1] * DENSITY_EDGES[b]))


def normalise(weights: Sequence[float]) -> np.ndarray:
    """12 non-negative weights as shares summing to 1 (uniform when all are zero)."""
    w = np.clip(np.asarray(weights, dtype=np.float32).reshape(12), 0, None)
    total = float(w.sum())
    return w / total if total > 0 else UNIFORM.copy()


def event_histogram(ids: np.ndarray) -> np.ndarray:
    """Pitch-class shares of the note-ons in an event window (uniform when it has none)."""
    ids = np.asarray(ids, dtype=np.int64)
    ons = ids[(ids >= NOTE_ON) & (ids < NOTE_OFF)]
    return normalise(np.bincount(ons % 12, minlength=12))


def event_density(ids: np.ndarray) -> float:
    """Note-ons per second of an event window (its time shifts give its length; at least one step)."""
    ids = np.asarray(ids, dtype=np.int64)
    ons = int(((ids >= NOTE_ON) & (ids < NOTE_OFF)).sum())
    seconds = max(1, int(event_steps(ids).sum())) / STEPS_PER_SECOND
    return ons / seconds


def window_control(ids: np.ndarray) -> np.ndarray:
    """The control vector (``CONTROL_SIZE``,) a training window is conditioned on."""
    return control_vector(event_histogram(ids), density_bin(event_density(ids)))


def control_vector(histogram: Sequence[float], dbin: int) -> np.ndarray:
    """Histogram shares (12) then the density bin one-hot (8), float32."""
    out = np.zeros(CONTROL_SIZE, dtype=np.float32)
    out[:12] = normalise(histogram)
    out[12 + int(np.clip(dbin, 0, DENSITY_BINS - 1))] = 1.0
    return out


def notes_histogram(notes: Sequence[PerfNote]) -> np.ndarray:
    """Pitch-class shares of a performance's notes."""
    return normalise(np.bincount([n.pitch % 12 for n in notes], minlength=12)) if notes else UNIFORM.copy()


def notes_density(notes: Sequence[PerfNote]) -> float:
    """Notes per second of a performance, over the span from its first onset to its last (at least 1 s)."""
    if not notes:
        return 0.0
    span = max(n.start for n in notes) - min(n.start for n in notes)
    return len(notes) / max(1.0, span)


def key_profile(key: str) -> np.ndarray:
    """The pitch-class profile of a key name ('G major', 'D dorian'): tonic 2, other scale tones 1, normalised."""
    from app.core.keys import key_tonic, scale_pitch_classes

    w = np.zeros(12, dtype=np.float32)
    for pc in scale_pitch_classes(key):
        w[pc] = 1.0
    tonic = key_tonic(key)
    if tonic is not None:
        w[tonic % 12] = 2.0
    return normalise(w)


def correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation of two histograms (0 when either is flat)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])
