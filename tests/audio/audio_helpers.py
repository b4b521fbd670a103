"""Score builders and level measurements shared by the audio tests."""

from __future__ import annotations

import numpy as np

from app.core.score import Note, Score, TempoChange, Track

SAMPLE_RATE = 44100


def make_score(*tracks: Track, bpm: float = 120.0) -> Score:
    """A Score of ``tracks`` at ``bpm`` (ppq 480)."""
    return Score(tracks=tracks, ppq=480, tempos=(TempoChange(0, bpm),))


def note_track(notes, program: int = 0, is_drum: bool = False, name: str = "t") -> Track:
    """A Track from ``(start, pitch, duration[, velocity])`` tuples in ticks."""
    return Track(name, program, is_drum, tuple(Note(*n) for n in notes))


def dbfs(x: np.ndarray) -> float:
    """Peak level of ``x`` in dBFS (-inf for digital silence)."""
    peak = float(np.abs(x).max()) if len(x) else 0.0
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0
