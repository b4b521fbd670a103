"""Objective metrics of symbolic music (numpy and scipy; no torch, no Qt).

* ``features``: MGEval's per-piece features (Yang and Lerch 2018);
* ``sets``: intra-set and inter-set distances and the overlapping area of
  their kernel-density estimates, per feature and as a mean;
* ``tracks``: MuseGAN's per-track metrics (Dong et al. 2018) and the tonal
  distance between tracks;
* ``checks``: the in-key share and the copying check (longest run of notes
  shared with the training set), also of note events read from ABC text.
"""

from models.metrics.checks import CopyIndex, abc_note_events, event_id, in_key_share, key_scale, note_events
from models.metrics.features import FEATURES, LENGTH_CLASSES, SCALAR_FEATURES, piece_features
from models.metrics.sets import compare_sets, feature_overlap, inter_set_distances, intra_set_distances, overlap_area, overlap_mean
from models.metrics.tracks import TONAL_MATRIX, track_metrics

__all__ = [
    "FEATURES", "LENGTH_CLASSES", "SCALAR_FEATURES", "TONAL_MATRIX", "CopyIndex", "abc_note_events", "compare_sets",
    "event_id", "feature_overlap", "in_key_share", "inter_set_distances", "intra_set_distances", "key_scale",
    "note_events", "overlap_area", "overlap_mean", "piece_features", "track_metrics",
]
