"""models.metrics on hand-made pieces with known answers."""

import math

import numpy as np
import pytest

from app.core.abc.read import read_abc_text
from app.core.score import Note, Score, TimeSignature, Track
from models.metrics import (
    CopyIndex, abc_note_events, compare_sets, in_key_share, inter_set_distances, intra_set_distances,
    note_events, overlap_area, overlap_mean, piece_features, track_metrics,
)
from models.metrics.features import LENGTH_CLASSES
from models.metrics.tracks import tonal_distance, track_roll

PPQ = 480
Q, E, S = PPQ, PPQ // 2, PPQ // 4  # quarter, eighth, sixteenth
C_MAJOR = (60, 62, 64, 65, 67, 69, 71, 72)


def piece(*tracks, key=None, meter=(4, 4)) -> Score:
    return Score(tracks=tuple(Track(f"t{i}", 0, False, tuple(notes)) for i, notes in enumerate(tracks)), ppq=PPQ,
                 time_signatures=(TimeSignature(0, *meter),), key=key)


def scale(pitches=C_MAJOR, length=E, start=0):
    return [Note(start + i * length, p, length) for i, p in enumerate(pitches)]


def test_c_major_scale_features():
    f = piece_features(piece(scale(), key="C major"))
    hist = np.zeros(12)
    hist[[0, 2, 4, 5, 7, 9, 11]] = [2, 1, 1, 1, 1, 1, 1]
    assert np.allclose(f["pitch_class_histogram"], hist / 8)
    assert f["pitch_count"][0] == 8 and f["note_count"][0] == 8 and f["pitch_range"][0] == 12
    assert f["avg_pitch_interval"][0] == pytest.approx(12 / 7)
    assert f["avg_ioi"][0] == pytest.approx(0.5)  # eighths, in quarter notes
    lengths = np.zeros(len(LENGTH_CLASSES))
    lengths[LENGTH_CLASSES.index(0.5)] = 1.0
    assert np.allclose(f["note_length_histogram"], lengths)
    matrix = f["pitch_class_transition_matrix"].reshape(12, 12)
    assert matrix.sum() == pytest.approx(1.0) and matrix[0, 2] == pytest.approx(1 / 7) and matrix[11, 0] == pytest.approx(1 / 7)
    assert f["note_length_transition_matrix"].reshape(12, 12)[3, 3] == pytest.approx(1.0)


def test_chord_transitions_and_undefined_features():
    f = piece_features(piece([Note(0, 60, Q), Note(0, 64, Q), Note(Q, 67, Q)]))
    matrix = f["pitch_class_transition_matrix"].reshape(12, 12)
    assert matrix[0, 7] == matrix[4, 7] == pytest.approx(0.5)  # both chord notes lead to G
    empty = piece_features(piece([]))
    assert math.isnan(empty["avg_ioi"][0]) and math.isnan(empty["pitch_range"][0])
    assert not empty["pitch_class_histogram"].any()


def test_empty_bar_rate_counts_empty_bars():
    notes = [Note(0, 60, Q), Note(2 * 4 * Q, 62, Q)]  # bar 1 and bar 3; bar 2 and bar 4 empty
    m = track_metrics(piece(notes), bars=4)["tracks"][0]
    assert m["empty_bar_rate"] == pytest.approx(0.5)
    held = [Note(0, 60, 8 * Q)]  # a note held over the bar line: bar 2 is not empty
    assert track_metrics(piece(held), bars=2)["tracks"][0]["empty_bar_rate"] == 0.0
    assert track_metrics(piece([]), bars=3)["tracks"][0]["empty_bar_rate"] == 1.0


def test_used_pitch_classes_per_bar():
    m = track_metrics(piece(scale()), bars=2)["tracks"][0]  # 7 pitch classes in bar 1, bar 2 empty
    assert m["used_pitch_classes"] == pytest.approx(3.5)
    assert track_metrics(piece(scale()))["tracks"][0]["used_pitch_classes"] == 7


def test_qualified_notes_need_three_sixteenths():
    notes = [Note(0, 60, 2 * S), Note(2 * S, 62, 3 * S), Note(5 * S, 64, S), Note(6 * S, 65, Q)]
    assert track_metrics(piece(notes))["tracks"][0]["qualified_note_rate"] == pytest.approx(0.5)
    assert track_metrics(piece([Note(0, 60, E)]))["tracks"][0]["qualified_note_rate"] == 0.0
    assert track_metrics(piece([]))["tracks"][0]["qualified_note_rate"] is None


def test_polyphonicity_counts_steps_with_three_pitches():
    triad = [Note(0, p, 2 * Q) for p in (60, 64, 67)]  # half the bar
    dyad = [Note(2 * Q, p, 2 * Q) for p in (60, 64)]
    assert track_metrics(piece(triad + dyad))["tracks"][0]["polyphonicity"] == pytest.approx(0.5)


def test_tonal_distance_known_values():
    c, f_sharp = [Note(0, 60, Q)], [Note(0, 66, Q)]
    assert track_metrics(piece(c, c))["tonal_distance"] == {"t0 / t1": pytest.approx(0.0)}
    assert track_metrics(piece(c, f_sharp))["tonal_distance"]["t0 / t1"] == pytest.approx(2 * math.sqrt(2))
    silent = track_roll(Track("x"), S, 16)
    assert tonal_distance(track_roll(Track("c", notes=tuple(c)), S, 16), silent) is None


def test_distances_and_overlap_of_identical_sets():
    pieces = [piece(scale(C_MAJOR[: n])) for n in range(3, 9)]
    feats = [piece_features(p) for p in pieces]
    counts = np.array([[f["note_count"][0]] for f in feats])
    intra = intra_set_distances(counts)
    assert sorted(intra) == sorted(abs(a - b) for i, a in enumerate(range(3, 9)) for b in range(3 + i + 1, 9))
    inter = inter_set_distances(counts, counts)  # every pair both ways, plus each piece to itself
    assert sorted(inter) == sorted(np.concatenate([intra, intra, np.zeros(6)]))
    assert overlap_area(intra, intra) == pytest.approx(1.0, abs=1e-3)
    overlaps = compare_sets(feats, feats)
    assert set(overlaps) == set(feats[0]) and all(0.6 < v <= 1.0 for v in overlaps.values())


def test_overlap_of_far_apart_sets_is_near_zero():
    assert overlap_area([0.0, 1.0, 2.0, 1.5], [100.0, 101.0, 102.0]) < 1e-6
    assert overlap_area([3.0, 3.0], [3.0, 3.0, 3.0]) == pytest.approx(1.0, abs=1e-3)  # no spread: narrow Gaussians
    low = [piece_features(piece(scale((60, 62)))) for _ in range(4)]
    high = [piece_features(piece(scale(tuple(range(40, 90))))) for _ in range(4)]
    assert overlap_mean(compare_sets(high, low)) < 0.5 < overlap_mean(compare_sets(low, low))


def test_in_key_share():
    assert in_key_share(piece(scale(), key="C major")) == 1.0
    assert in_key_share(piece(scale(C_MAJOR[:7] + (66,)), key="C major")) == pytest.approx(7 / 8)
    assert in_key_share(piece(scale((66, 68, 70, 71, 73)))) == 1.0  # no key: the best major scale (F#)
    assert in_key_share(piece([])) is None


def test_longest_run_shared_with_training():
    train = [note_events(piece(scale())), note_events(piece(scale((50, 52))))]
    index = CopyIndex(train)
    generated = piece(scale((40, 62, 64, 65, 41)))
    assert index.longest_run(note_events(generated)) == 3
    assert index.longest_run(note_events(piece(scale()))) == 8
    assert index.longest_run(note_events(piece(scale(C_MAJOR, length=Q)))) == 0  # same pitches, other lengths
    assert index.longest_run(note_events(piece(scale((52, 60))))) == 1  # 52 then 60 never follow each other


TUNE = """X:1
T:Test
M:3/4
L:1/8
K:D
|: A2 ^c d e2- | e2 (3fed c2 | =c B A2 A2 :|
F3/2G/ A4 |]
"""


def test_abc_note_events_match_music21():
    events = abc_note_events(TUNE)
    assert events == note_events(read_abc_text(TUNE))
    assert len(events) == 2 * 12 + 3  # the repeat is played twice; the tie joins e2-e2


def test_metrics_import_neither_torch_nor_qt():
    import subprocess
    import sys

    code = "import sys, models.metrics; print([m for m in ('torch', 'PySide6') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
