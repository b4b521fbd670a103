"""One set of pieces measured against the held-out reference: the fields of an evaluation report.

Every set (the model's pieces, the markov baseline's, the training excerpts)
gets the same fields:

* ``samples``: how many pieces;
* ``validity``: the share of valid pieces. An ABC tune is valid when music21
  parses it and its bars are full (every bar but the first and the last lasts
  exactly the meter's bar; those two are not longer). A score is valid when it
  has notes and lasts the requested number of bars (a last note may ring into
  one more bar);
* ``overlap_mean`` and ``metrics.overlap``: MGEval's overlapping areas against
  the reference set (``models.metrics.sets``);
* ``metrics.features``: the mean of each scalar feature over the pieces;
* ``metrics``' MuseGAN track metrics (``models.metrics.tracks``): empty-bar
  rate, used pitch classes, qualified-note rate and polyphonicity averaged
  over every track of every piece (and per track name under ``tracks``), tonal
  distance averaged over every pair of pitched tracks (per pair under
  ``tonal_distance_pairs``);
* ``metrics.in_key``: the mean in-key share;
* ``metrics.longest_copied_run``: the longest run of notes a piece shares with
  the training set (``max`` over pieces, and ``mean``).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from app.core.score import Score
from app.core.timing import bar_count
from models.metrics import (
    SCALAR_FEATURES, CopyIndex, compare_sets, in_key_share, note_events, overlap_mean, piece_features, track_metrics,
)

TRACK_FIELDS = ("empty_bar_rate", "used_pitch_classes", "qualified_note_rate", "polyphonicity")


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None and not np.isnan(v)]
    return round(float(np.mean(kept)), 4) if kept else None


def abc_tune_valid(text: str) -> bool:
    """Whether music21 parses the tune and its bars are full (see the module docstring)."""
    from music21 import converter, meter, stream

    try:
        parsed = converter.parse(text, format="abc")
        if isinstance(parsed, stream.Opus):
            parsed = parsed.scores[0]
        parts = list(parsed.parts) if isinstance(parsed, stream.Score) else []
        measures = [m for m in (parts[0] if parts else parsed).getElementsByClass(stream.Measure) if m.notesAndRests]
        if not measures:
            return False
        for i, measure in enumerate(measures):
            sig = measure.timeSignature or measure.getContextByClass(meter.TimeSignature)
            want, got = Fraction(sig.barDuration.quarterLength), Fraction(measure.duration.quarterLength)
            inner = 0 < i < len(measures) - 1
            if (got != want) if inner else not 0 < got <= want:
                return False
        return True
    except Exception:  # music21 raises many unrelated types on broken ABC
        return False


def score_valid(score: Score, bars: int) -> bool:
    """Whether a generated score has notes and lasts ``bars`` bars (or one more, for a ringing last note)."""
    return score.note_count > 0 and bars <= bar_count(score) <= bars + 1


def track_summary(per_piece: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Track metrics of many pieces: overall means, per track name, per tonal-distance pair."""
    by_name: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    pairs: dict[str, list] = defaultdict(list)
    for piece in per_piece:
        for track in piece["tracks"]:
            for key in TRACK_FIELDS:
                by_name[track["name"]][key].append(track[key])
        for pair, value in piece["tonal_distance"].items():
            pairs[pair].append(value)
    out: dict[str, Any] = {key: _mean(v for t in by_name.values() for v in t[key]) for key in TRACK_FIELDS}
    out["tonal_distance"] = _mean(v for values in pairs.values() for v in values)
    out["tracks"] = {name: {key: _mean(values[key]) for key in TRACK_FIELDS} for name, values in by_name.items()}
    out["tonal_distance_pairs"] = {pair: _mean(values) for pair, values in pairs.items()}
    return out


def copy_runs(pieces: Sequence[Score], index: CopyIndex) -> dict[str, float | None]:
    """The longest run of notes each piece shares with the training set: max and mean."""
    runs = [index.longest_run(note_events(p)) for p in pieces]
    return {"max": max(runs, default=None), "mean": _mean(runs)}


def describe(pieces: Sequence[Score], bars: int, features: Sequence[Mapping[str, np.ndarray]] | None = None
             ) -> dict[str, Any]:
    """The metrics of a set that need no other set: feature means, track metrics, in-key share."""
    features = features if features is not None else [piece_features(p) for p in pieces]
    means = {name: _mean(f[name][0] for f in features) for name in SCALAR_FEATURES}
    return {"features": means, **track_summary([track_metrics(p, bars) for p in pieces]),
            "in_key": _mean(in_key_share(p) for p in pieces)}


def summarize(name: str, pieces: Sequence[Score], valid: Sequence[bool], reference: Sequence[Mapping[str, np.ndarray]],
              bars: int, copying: Mapping[str, Any],
              features: Sequence[Mapping[str, np.ndarray]] | None = None) -> dict[str, Any]:
    """The report fields of one set of pieces against the reference features (``features``: the pieces', if known)."""
    features = features if features is not None else [piece_features(p) for p in pieces]
    overlaps = compare_sets(features, reference)
    mean = overlap_mean(overlaps)
    return {
        "model": name, "samples": len(pieces), "validity": _mean(valid),
        "overlap_mean": None if mean is None else round(mean, 4),
        "metrics": {"overlap": {k: None if v is None else round(v, 4) for k, v in overlaps.items()},
                    **describe(pieces, bars, features), "longest_copied_run": dict(copying)},
    }
