"""Per-track metrics after MuseGAN (Dong et al. 2018), on a 16th-note grid.

Each track is read as a piano roll of 16th-note time steps (``ppq / 4``
ticks): a note sounds from the step nearest its start to the step nearest its
end (at least one step). The piece is cut into bars by its time signatures;
pass ``bars`` to measure a fixed number of bars from tick 0 (a generated piece
that falls silent early then shows its empty bars).

* **Empty-bar rate (EB)**: the share of bars in which no note of the track
  sounds at any step, from 0 (none empty) to 1 (all empty). This is the share
  of *empty* bars, as in the paper; some public implementations return the
  share of non-empty bars under this name.
* **Used pitch classes (UPC)**: the number of different pitch classes (0-12)
  sounding in a bar, averaged over all bars (an empty bar counts 0). Drum
  tracks have none (None).
* **Qualified-note rate (QN)**: the share of notes lasting at least three
  time steps (a dotted 8th or longer at 16th resolution); shorter notes make
  the music sound fragmented. A note's length in steps is the distance
  between the grid steps nearest its start and its end. None without notes.
* **Polyphonicity (PP)**: the share of time steps (over all bars) at which
  more than two pitches sound at once.
* **Tonal distance (TD)** between two pitched tracks: per beat (a quarter
  note, four steps), each track's chroma (how many steps each pitch class
  sounds), normalised to sum 1, is mapped to the 6-D tonal centroid of Harte,
  Sandler and Gasser (2006),

      zeta_d = sum_l Phi[d, l] * c_l  for pitch class l = 0..11, with
      Phi[0] = sin(l 7pi/6),      Phi[1] = cos(l 7pi/6)        (circle of fifths, r1 = 1)
      Phi[2] = sin(l 3pi/2),      Phi[3] = cos(l 3pi/2)        (circle of minor thirds, r2 = 1)
      Phi[4] = 0.5 sin(l 2pi/3),  Phi[5] = 0.5 cos(l 2pi/3)    (circle of major thirds, r3 = 0.5)

  and TD is the Euclidean distance between the two centroids, averaged over
  the beats in which both tracks sound (None if there are none). 0 means the
  same harmony; a larger distance, weaker harmonic agreement (C against F#
  gives 2 * sqrt(2)).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from app.core.score import Score, Track
from app.core.timing import bar_lines, signature_at

STEPS_PER_QUARTER = 4
QUALIFIED_STEPS = 3
POLYPHONY_THRESHOLD = 2

_L = np.arange(12)
TONAL_MATRIX = np.stack([
    np.sin(_L * 7 * np.pi / 6), np.cos(_L * 7 * np.pi / 6),
    np.sin(_L * 3 * np.pi / 2), np.cos(_L * 3 * np.pi / 2),
    0.5 * np.sin(_L * 2 * np.pi / 3), 0.5 * np.cos(_L * 2 * np.pi / 3),
])  # (6, 12)


def step_ticks(score: Score) -> float:
    """Ticks per 16th-note step."""
    return score.ppq / STEPS_PER_QUARTER


def bar_steps(score: Score, bars: int | None = None) -> list[tuple[int, int]]:
    """``(first step, end step)`` of each bar: the score's bars, or exactly ``bars`` bars from tick 0."""
    starts = [b.tick for b in bar_lines(score)]
    if bars is not None:
        while len(starts) < bars:
            starts.append(starts[-1] + signature_at(score, starts[-1]).bar_ticks(score.ppq))
        starts = starts[:bars]
    ends = starts[1:] + [starts[-1] + signature_at(score, starts[-1]).bar_ticks(score.ppq)]
    step = step_ticks(score)
    return [(round(s / step), round(e / step)) for s, e in zip(starts, ends)]


def note_steps(start: int, duration: int, step: float) -> tuple[int, int]:
    """``(first step, end step)`` of a note on the grid (at least one step long)."""
    first = round(start / step)
    return first, max(round((start + duration) / step), first + 1)


def track_roll(track: Track, step: float, n_steps: int) -> np.ndarray:
    """(n_steps, 128) bool: which pitches sound at each step."""
    roll = np.zeros((n_steps, 128), dtype=bool)
    for note in track.notes:
        first, end = note_steps(note.start, note.duration, step)
        roll[first:min(end, n_steps), note.pitch] = True
    return roll


def chroma(roll: np.ndarray) -> np.ndarray:
    """(steps, 128) roll -> (steps, 12) pitch-class activity."""
    padded = np.zeros((roll.shape[0], 132), dtype=np.float64)
    padded[:, :128] = roll
    return padded.reshape(roll.shape[0], 11, 12).sum(1)


def empty_bar_rate(roll: np.ndarray, bars: list[tuple[int, int]]) -> float:
    return float(np.mean([not roll[s:e].any() for s, e in bars]))


def used_pitch_classes(roll: np.ndarray, bars: list[tuple[int, int]]) -> float:
    per_step = chroma(roll) > 0
    return float(np.mean([np.count_nonzero(per_step[s:e].any(0)) for s, e in bars]))


def qualified_note_rate(track: Track, step: float, min_steps: int = QUALIFIED_STEPS) -> float | None:
    if not track.notes:
        return None
    lengths = [end - first for first, end in (note_steps(n.start, n.duration, step) for n in track.notes)]
    return float(np.mean([length >= min_steps for length in lengths]))


def polyphonicity(roll: np.ndarray, threshold: int = POLYPHONY_THRESHOLD) -> float:
    if not len(roll):
        return 0.0
    return float(np.mean(roll.sum(1) > threshold))


def tonal_centroids(roll: np.ndarray) -> np.ndarray:
    """(beats, 6) tonal centroid per beat; NaN rows for silent beats."""
    beats = roll.shape[0] // STEPS_PER_QUARTER
    c = chroma(roll[: beats * STEPS_PER_QUARTER]).reshape(beats, STEPS_PER_QUARTER, 12).sum(1)  # (beats, 12)
    total = c.sum(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = c / total
    return c @ TONAL_MATRIX.T


def tonal_distance(roll_a: np.ndarray, roll_b: np.ndarray) -> float | None:
    """Mean distance between the tonal centroids of two rolls over the beats where both sound."""
    dist = np.linalg.norm(tonal_centroids(roll_a) - tonal_centroids(roll_b), axis=1)
    dist = dist[~np.isnan(dist)]
    return float(dist.mean()) if len(dist) else None


def track_metrics(score: Score, bars: int | None = None) -> dict[str, Any]:
    """``{"tracks": [per-track EB, UPC, QN, PP], "tonal_distance": {"A / B": TD}}`` of one piece."""
    spans = bar_steps(score, bars)
    step, n_steps = step_ticks(score), spans[-1][1]
    rolls = [track_roll(t, step, n_steps) for t in score.tracks]
    names = [t.name or f"Track {i + 1}" for i, t in enumerate(score.tracks)]
    names = [f"{n} ({i + 1})" if names.count(n) > 1 else n for i, n in enumerate(names)]
    tracks = []
    for name, track, roll in zip(names, score.tracks, rolls):
        tracks.append({
            "name": name, "is_drum": track.is_drum,
            "empty_bar_rate": empty_bar_rate(roll, spans),
            "used_pitch_classes": None if track.is_drum else used_pitch_classes(roll, spans),
            "qualified_note_rate": qualified_note_rate(track, step),
            "polyphonicity": polyphonicity(roll),
        })
    pitched = [i for i, t in enumerate(score.tracks) if not t.is_drum]
    pairs = {f"{tracks[a]['name']} / {tracks[b]['name']}": tonal_distance(rolls[a], rolls[b])
             for a, b in combinations(pitched, 2)}
    return {"tracks": tracks, "tonal_distance": pairs}
