"""MuseGAN's band metrics (models/metrics/band.py) on hand-made rolls and scores with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.score import Note, Score, Track
from models.common.band_roll import track_role
from models.metrics.band import (band_metrics, band_summary, drum_pattern, empty_bars, qualified_notes,
                                 used_pitch_classes_per_bar)

PPQ = 480
BAR = 96  # steps of a 4/4 bar at 24 steps per beat


def test_drum_pattern_of_a_bar_of_sixteenths_is_one():
    onsets = np.zeros(BAR)
    onsets[::6] = 1  # every 16th note
    assert drum_pattern(onsets) == 1.0


def test_drum_pattern_of_triplets_counts_only_the_beats():
    onsets = np.zeros(BAR)
    onsets[::8] = 1  # eighth-note triplets: 12 onsets, 4 on the beat, the others 2 steps off the grid
    assert drum_pattern(onsets) == pytest.approx(4 / 12)


def test_drum_pattern_one_step_off_counts_a_tenth_and_none_without_drums():
    onsets = np.zeros((BAR, 128))
    onsets[1, 36] = onsets[6, 38] = 1
    assert drum_pattern(onsets) == pytest.approx((0.1 + 1.0) / 2)
    assert drum_pattern(np.zeros(BAR)) is None


def test_used_pitch_classes_of_a_c_major_triad_is_three():
    roll = np.zeros((2 * BAR, 128), dtype=bool)
    roll[:BAR, [60, 64, 67, 72]] = True  # C E G and the octave C: three pitch classes
    bars = [(0, BAR), (BAR, 2 * BAR)]
    assert used_pitch_classes_per_bar(roll[:BAR], bars[:1]) == 3
    assert used_pitch_classes_per_bar(roll, bars) == 1.5  # an empty bar counts 0
    assert empty_bars(roll, bars) == 0.5


def test_qualified_notes_are_a_32nd_or_longer():
    assert qualified_notes([3, 6, 24, 1, 2]) == pytest.approx(3 / 5)
    assert qualified_notes([]) is None


def _band(lead, bass, drums, bars=2):
    return Score(tracks=(Track("Lead", 73, False, tuple(lead)), Track("Bass", 33, False, tuple(bass)),
                         Track("Drums", 0, True, tuple(drums))), ppq=PPQ)


def test_band_metrics_of_a_hand_made_band():
    sixteenth = PPQ // 4
    lead = [Note(start=0, pitch=72, duration=PPQ * 4), Note(start=PPQ * 4, pitch=76, duration=30)]  # 30 ticks: 1.5 steps
    bass = [Note(start=0, pitch=36, duration=PPQ * 4)]  # C, then an empty bar
    drums = [Note(start=i * sixteenth, pitch=42, duration=sixteenth) for i in range(16)]
    figures = band_metrics(_band(lead, bass, drums), bars=2)
    roles = figures["roles"]
    assert list(roles) == ["lead", "drums", "bass"]
    assert roles["drums"]["drum_pattern"] == 1.0 and roles["drums"]["empty_bars"] == 0.5
    assert roles["drums"]["used_pitch_classes"] is None
    assert roles["bass"] == {"empty_bars": 0.5, "used_pitch_classes": 0.5, "qualified_notes": 1.0, "drum_pattern": None}
    assert roles["lead"]["qualified_notes"] == 0.5 and roles["lead"]["used_pitch_classes"] == 1.0
    assert figures["tonal_distance"] == {"lead / bass": pytest.approx(0.0)}  # C against C


def test_band_metrics_tonal_distance_of_c_against_f_sharp():
    lead = [Note(start=0, pitch=72, duration=PPQ)]
    bass = [Note(start=0, pitch=42, duration=PPQ)]
    figures = band_metrics(_band(lead, bass, []), bars=1)
    assert "drums" not in figures["roles"]  # a band without drums has no drum figures
    assert figures["tonal_distance"]["lead / bass"] == pytest.approx(2 * np.sqrt(2))


def test_roles_by_name_then_program_and_the_summary():
    assert track_role(Track("Lead", 73, False, ())) == "lead"
    assert track_role(Track("Comping", 27, False, ())) == "guitar"
    assert track_role(Track("Kit", 0, True, ())) == "drums"
    assert track_role(Track("Sitar", 104, False, ())) is None
    one = {"roles": {"bass": {"empty_bars": 0.0, "used_pitch_classes": 1.0, "qualified_notes": 1.0,
                              "drum_pattern": None}}, "tonal_distance": {"lead / bass": 1.0}}
    two = {"roles": {"bass": {"empty_bars": 1.0, "used_pitch_classes": 0.0, "qualified_notes": None,
                              "drum_pattern": None}}, "tonal_distance": {"lead / bass": None}}
    summary = band_summary([one, two])
    assert summary["roles"]["bass"] == {"empty_bars": 0.5, "used_pitch_classes": 0.5, "qualified_notes": 1.0,
                                        "drum_pattern": None, "pieces": 2}
    assert summary["tonal_distance"] == {"lead / bass": 1.0} and summary["pieces"] == 2


def test_the_eval_band_table_puts_each_set_beside_the_data():
    from models.evaluation.band import band_table, measure

    sixteenth = PPQ // 4
    band = _band([Note(start=0, pitch=72, duration=PPQ * 8)], [Note(start=0, pitch=36, duration=PPQ * 8)],
                 [Note(start=i * sixteenth, pitch=42, duration=sixteenth) for i in range(32)])
    lone = Score(tracks=(Track("Piano", 0, False, (Note(start=0, pitch=60, duration=PPQ),)),), ppq=PPQ)
    report = {"bars": 2, "timed_bars": 8, "sets": {
        "tiny-band": {**measure([band], 2), "seconds": 0.25, "tracks_written": 3},
        "markov": {**measure([lone], 2), "seconds": 0.05, "tracks_written": 1},
        "held-out": measure([band, band], 2)}}
    assert report["sets"]["held-out"]["roles"]["drums"]["drum_pattern"] == 1.0
    lines = band_table(report)
    assert lines[2].split() == ["lead", "drums", "bass", "piano"]
    assert lines[3].split() == ["tiny-band", "EB", "0.00", "0.00", "0.00", "-"]
    assert any(line.split() == ["markov", "EB", "-", "-", "-", "0.50"] for line in lines)
    assert any(line.split() == ["held-out", "DP", "-", "1.00", "-", "-"] for line in lines)
    assert lines[-2:] == ["  tiny-band: 0.25 s, 3 tracks", "  markov: 0.05 s, 1 track"]


def test_musegans_published_lpd5_figures_are_read_into_the_same_shape():
    from models.evaluation.band import MUSEGAN_LPD5

    data = MUSEGAN_LPD5["MuseGAN: LPD-5 data"]
    assert data["roles"]["drums"] == {"empty_bars": 0.0806, "used_pitch_classes": None, "qualified_notes": None,
                                      "drum_pattern": 0.886}
    assert data["roles"]["piano"] == {"empty_bars": 0.248, "used_pitch_classes": 3.28, "qualified_notes": 0.884,
                                      "drum_pattern": None}
    assert data["tonal_distance"]["bass / piano"] == 1.51 and data["tonal_distance"]["guitar / piano"] == 1.02
