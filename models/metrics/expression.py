"""How a piece is played rather than what it plays: its velocities and its timing (numpy; no torch, no Qt).

* **velocity**: the share of notes in each of 16 velocity bins (1-8, 9-16, ... 121-127);
* **IOI deviation**: onsets are read in seconds through the tempo map (so a
  tempo map's rubato counts like played timing), onsets closer than
  :data:`CHORD_S` are one onset (a spread chord), and each inter-onset
  interval is compared with the one before: the deviation is the distance,
  in octaves (log2), from their ratio to the nearest ratio of whole numbers
  up to 8 (1:1, 2:1, 3:2, 5:4, 7:8, ...: every rhythm of a grid of 16ths and
  triplets). Quantized music at one tempo deviates by 0; a human
  performance spreads. Its histogram has 9 bins whose widths
  double from 0.005 octave (a 0.35% change of tempo) up to 8 octaves.

:func:`expression_overlaps` compares two sets of pieces on both, per feature:
MGEval's overlapping area (``sets.feature_overlap``, as ``cadenza eval``'s
other features) and the intersection of the two sets' pooled distributions
(the sum of the bin-wise minimum: 1 when they coincide).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from app.core.score import Score
from app.core.timing import TempoMap
from models.metrics.sets import feature_overlap

VELOCITY_EDGES = np.append(np.arange(0, 121, 8), 128)  # 16 bins
DEVIATION_EDGES = np.array([0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 8.0])  # octaves, doubling bins
CHORD_S = 0.03
SIMPLE_RATIOS = np.array(sorted({float(np.log2(p / q)) for p in range(1, 9) for q in range(1, 9)}))
EXPRESSION_FEATURES = ("velocity", "ioi_deviation")


def velocities(score: Score) -> np.ndarray:
    return np.array([n.velocity for t in score.tracks if not t.is_drum for n in t.notes], dtype=np.float64)


def onset_seconds(score: Score) -> np.ndarray:
    """Distinct onsets in seconds, sorted, those within :data:`CHORD_S` of the one before merged into it."""
    tempo = TempoMap(score)
    times = np.sort(tempo.seconds_array([n.start for t in score.tracks if not t.is_drum for n in t.notes]))
    kept: list[float] = []
    for t in times:
        if not kept or t - kept[-1] >= CHORD_S:
            kept.append(float(t))
    return np.array(kept)


def ioi_deviations(score: Score) -> np.ndarray:
    """Each inter-onset interval's deviation (octaves) from a simple ratio to the interval before it."""
    ioi = np.diff(onset_seconds(score))
    if len(ioi) < 2:
        return np.zeros(0)
    ratios = np.log2(ioi[1:] / ioi[:-1])
    return np.abs(ratios[:, None] - SIMPLE_RATIOS[None, :]).min(axis=1)


def _histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    if not len(values):
        return np.full(len(edges) - 1, np.nan)
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1] - 1e-9), bins=edges)
    return counts / counts.sum()


def expression_features(score: Score) -> dict[str, np.ndarray]:
    """The two per-piece histograms (NaN where a piece has too few notes or onsets)."""
    return {"velocity": _histogram(velocities(score), VELOCITY_EDGES),
            "ioi_deviation": _histogram(ioi_deviations(score), DEVIATION_EDGES)}


def _pooled(pieces: Sequence[Score], name: str) -> np.ndarray | None:
    values = np.concatenate([velocities(p) if name == "velocity" else ioi_deviations(p) for p in pieces] or [[]])
    hist = _histogram(values, VELOCITY_EDGES if name == "velocity" else DEVIATION_EDGES)
    return None if np.isnan(hist).any() else hist


def expression_overlaps(generated: Sequence[Score], reference: Sequence[Score]) -> dict[str, dict[str, float | None]]:
    """Per feature: ``overlap`` (MGEval's, of the per-piece histograms), ``distribution_overlap`` (of the pooled
    distributions), and the generated pieces' mean value (``mean``: velocity, or IOI deviation in octaves)."""
    gen = [expression_features(p) for p in generated]
    ref = [expression_features(p) for p in reference]
    out: dict[str, dict[str, float | None]] = {}
    for name in EXPRESSION_FEATURES:
        a, b = _pooled(generated, name), _pooled(reference, name)
        values = np.concatenate([velocities(p) if name == "velocity" else ioi_deviations(p) for p in generated] or [[]])
        overlap = feature_overlap(gen, ref, name)
        out[name] = {"overlap": None if overlap is None else round(overlap, 4),
                     "distribution_overlap": None if a is None or b is None else round(float(np.minimum(a, b).sum()), 4),
                     "mean": round(float(values.mean()), 4) if len(values) else None}
    return out


def expression_report(sets: Mapping[str, Sequence[Score]], reference: Sequence[Score]) -> dict[str, dict]:
    """:func:`expression_overlaps` of each named set against ``reference``, and the reference's own means."""
    report = {label: expression_overlaps(pieces, reference) for label, pieces in sets.items()}
    report["held-out"] = {name: {"mean": v["mean"]} for name, v in expression_overlaps(reference, reference).items()}
    return report


def controls_summary(records: Sequence[Mapping | None]) -> dict[str, float | int] | None:
    """What generations asked for against what they played, from the ``controls`` their provenance records
    (``asked``/``played`` pitch-class shares and notes per second, and their ``pitch_class_correlation``); None
    when no piece records any."""
    found = [r for r in records if isinstance(r, Mapping) and "asked" in r and "played" in r]
    if not found:
        return None
    asked = [float(r["asked"]["notes_per_second"]) for r in found]
    played = [float(r["played"]["notes_per_second"]) for r in found]
    return {"pieces": len(found),
            "pitch_class_correlation": round(float(np.mean([r["pitch_class_correlation"] for r in found])), 4),
            "asked_notes_per_second": round(float(np.mean(asked)), 3),
            "played_notes_per_second": round(float(np.mean(played)), 3),
            "density_bin_hit": round(float(np.mean([r["asked"]["density_bin"] == r["played"]["density_bin"]
                                                    for r in found])), 4)}
