"""MuseGAN's band metrics (Dong et al. 2018) per LPD-5 role, at MuseGAN's own resolution.

A band piece is read as one piano roll per role (the lead and LPD-5's drums,
bass, guitar, piano, strings), at 24 time steps per quarter note (96 per 4/4
bar, the resolution of MuseGAN's LPD-5 rolls), so the figures can stand
beside those the paper published. A score's tracks are given roles as the band
models read them (``models.common.band_roll.track_role``: by name, drum channel
or GM program family, one mapping for the corpus, the models and the metrics);
tracks of one role are merged, as LPD-5 merges them.

* **EB**, empty bars: the share of bars in which the role plays nothing.
* **UPC**, used pitch classes: pitch classes sounding per bar (0-12), averaged
  over the bars; not defined for drums.
* **QN**, qualified notes: the share of notes lasting at least 3 steps (a 32nd
  note at 24 steps per beat); shorter notes make the music fragmented.
* **DP**, drum pattern: the share of drum onsets on the 16th-note grid (every
  6th step), as MuseGAN's filter scores them: 1 on the grid, 0.1 one step
  either side, 0 elsewhere. A groove of 8ths and 16ths scores 1; triplets and
  swung notes lower it.
* **TD**, tonal distance between two pitched roles: the distance of their
  per-beat tonal centroids (Harte et al. 2006), from ``models.metrics.tracks``,
  averaged over the beats where both sound.

The functions on rolls are pure numpy; :func:`band_metrics` reads a Score.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from app.core.score import Score, Track
from models.common.band_roll import TRACKS, track_role
from models.metrics.tracks import (STEPS_PER_QUARTER, bar_steps, empty_bar_rate, note_steps, tonal_distance, track_roll,
                                   used_pitch_classes)

STEPS_PER_BEAT = 24  # MuseGAN's LPD-5 resolution: 96 steps in a 4/4 bar
QUALIFIED_STEPS = 3  # a 32nd note
GRID = 6  # a 16th note at 24 steps per beat
NEAR_GRID = 0.1  # MuseGAN's tolerance one step off the grid
BAND_ROLES = TRACKS  # the lead, then the five LPD-5 roles
METRICS = ("empty_bars", "used_pitch_classes", "qualified_notes", "drum_pattern")


# -- on rolls (pure numpy) ----------------------------------------------------------------------
def drum_pattern(onsets: np.ndarray, grid: int = GRID, near: float = NEAR_GRID) -> float | None:
    """The share of onsets on the grid: ``onsets`` is (steps,) or (steps, pitches) onset counts at 24 steps
    per beat; an onset one step off the grid counts ``near``. None without onsets."""
    counts = np.asarray(onsets, dtype=np.float64)
    counts = counts.sum(1) if counts.ndim == 2 else counts
    total = counts.sum()
    if total == 0:
        return None
    offset = np.arange(len(counts)) % grid
    weight = np.where(offset == 0, 1.0, np.where((offset == 1) | (offset == grid - 1), near, 0.0))
    return float((counts * weight).sum() / total)


def qualified_notes(lengths: Iterable[int], min_steps: int = QUALIFIED_STEPS) -> float | None:
    """The share of notes at least ``min_steps`` steps long (None without notes)."""
    lengths = np.asarray(list(lengths))
    return float(np.mean(lengths >= min_steps)) if len(lengths) else None


def used_pitch_classes_per_bar(roll: np.ndarray, bars: Sequence[tuple[int, int]]) -> float:
    """Pitch classes sounding per bar of a (steps, 128) roll, averaged over ``bars`` (first, end step)."""
    return used_pitch_classes(roll, list(bars))


def empty_bars(roll: np.ndarray, bars: Sequence[tuple[int, int]]) -> float:
    """The share of ``bars`` (first, end step) in which the (steps, 128) roll sounds nothing."""
    return empty_bar_rate(roll, list(bars))


# -- on scores ----------------------------------------------------------------------------------
def band_metrics(score: Score, bars: int | None = None) -> dict[str, Any]:
    """``{"roles": {role: {EB, UPC, QN, DP}}, "tonal_distance": {"bass / guitar": TD}}`` of one piece.

    Only the roles the piece plays are listed (a model that writes no drums has no drum figures); TD is
    given for every pair of pitched roles, the lead's pairs first.
    """
    fine, coarse = score.ppq / STEPS_PER_BEAT, score.ppq / STEPS_PER_QUARTER
    ratio = STEPS_PER_BEAT // STEPS_PER_QUARTER
    coarse_spans = bar_steps(score, bars)
    spans = [(first * ratio, end * ratio) for first, end in coarse_spans]
    n_fine, n_coarse = spans[-1][1], coarse_spans[-1][1]
    by_role: dict[str, list[Track]] = defaultdict(list)
    for track in score.tracks:
        role = track_role(track)
        if role is not None and track.notes:
            by_role[role].append(track)
    roles: dict[str, dict[str, float | None]] = {}
    coarse_rolls: dict[str, np.ndarray] = {}
    for role in (r for r in BAND_ROLES if r in by_role):
        notes = [n for t in by_role[role] for n in t.notes if n.start < n_fine * fine]
        merged = Track(role, by_role[role][0].program, role == "drums", tuple(notes))
        roles[role] = _role_figures(merged, fine, spans)
        if not merged.is_drum:
            coarse_rolls[role] = track_roll(merged, coarse, n_coarse)
    pairs = {f"{a} / {b}": tonal_distance(coarse_rolls[a], coarse_rolls[b])
             for a, b in combinations(list(coarse_rolls), 2)}
    return {"roles": roles, "tonal_distance": pairs}


def _role_figures(track: Track, step: float, spans: list[tuple[int, int]]) -> dict[str, float | None]:
    """EB, UPC, QN and DP of one role's merged track at ``step`` ticks per step."""
    n_steps = spans[-1][1]
    roll = track_roll(track, step, n_steps)
    if track.is_drum:
        onsets = np.zeros(n_steps)
        for n in track.notes:
            onsets[min(round(n.start / step), n_steps - 1)] += 1
        return {"empty_bars": empty_bars(roll, spans), "used_pitch_classes": None, "qualified_notes": None,
                "drum_pattern": drum_pattern(onsets)}
    lengths = [end - first for first, end in (note_steps(n.start, n.duration, step) for n in track.notes)]
    return {"empty_bars": empty_bars(roll, spans), "used_pitch_classes": used_pitch_classes_per_bar(roll, spans),
            "qualified_notes": qualified_notes(lengths), "drum_pattern": None}


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None and not np.isnan(v)]
    return round(float(np.mean(kept)), 4) if kept else None


def band_summary(per_piece: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The means over many pieces' :func:`band_metrics`: per role and metric, per TD pair, and how many
    pieces play each role (``pieces``)."""
    values: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    pairs: dict[str, list] = defaultdict(list)
    for piece in per_piece:
        for role, figures in piece["roles"].items():
            for key in METRICS:
                values[role][key].append(figures[key])
        for pair, value in piece["tonal_distance"].items():
            pairs[pair].append(value)
    roles = {role: {key: _mean(values[role][key]) for key in METRICS} | {"pieces": len(values[role]["empty_bars"])}
             for role in BAND_ROLES if role in values}
    return {"pieces": len(per_piece), "roles": roles,
            "tonal_distance": {pair: _mean(v) for pair, v in pairs.items()}}
