"""The expression metrics cadenza eval reports for performance-rnn beside quantized models: velocity distribution
and inter-onset-interval deviation, read in seconds through the tempo map."""

import numpy as np
import pytest

from app.core.score import Note, Score, TempoChange, Track
from models.metrics.expression import expression_features, expression_overlaps, ioi_deviations, onset_seconds


def piece(tempos=(TempoChange(0, 120.0),), jitter=0, velocities=(90,)):
    rng = np.random.default_rng(len(tempos) + jitter)
    notes = [Note(max(0, i * 240 + int(rng.integers(-jitter, jitter + 1))), 60 + i % 12, 200,
                  velocities[i % len(velocities)]) for i in range(40)]
    notes += [Note(i * 960, 48, 900, velocities[0]) for i in range(10)]  # chords with the melody
    return Score(tracks=(Track("p", 0, False, tuple(notes)),), tempos=tempos)


def test_quantized_notes_at_one_tempo_deviate_by_nothing_and_rubato_or_played_timing_does():
    assert onset_seconds(piece())[:3] == pytest.approx([0.0, 0.25, 0.5])
    assert np.all(ioi_deviations(piece()) == 0)
    rubato = piece(tempos=tuple(TempoChange(i * 480, 100.0 + 7 * (i % 5)) for i in range(20)))
    assert ioi_deviations(rubato).mean() > 0.01
    assert ioi_deviations(piece(jitter=30)).mean() > 0.02


def test_overlaps_are_one_for_the_same_playing_and_low_for_one_fixed_velocity():
    played = [piece(jitter=20 + i, velocities=(40, 55, 70, 62, 48)) for i in range(6)]
    fixed = [piece() for _ in range(6)]
    same = expression_overlaps(played, played)
    assert same["velocity"]["distribution_overlap"] == pytest.approx(1.0)
    apart = expression_overlaps(fixed, played)
    assert apart["velocity"]["distribution_overlap"] == 0.0 and apart["velocity"]["mean"] == 90.0
    assert apart["ioi_deviation"]["overlap"] < same["ioi_deviation"]["overlap"]
    assert expression_features(Score())["velocity"].shape == (16,)


def test_the_controls_asked_for_and_played_are_summarised_from_the_provenance():
    from models.metrics.expression import controls_summary

    record = {"asked": {"notes_per_second": 4.0, "density_bin": 3}, "played": {"notes_per_second": 9.0, "density_bin": 4},
              "pitch_class_correlation": 0.8}
    other = dict(record, played={"notes_per_second": 5.0, "density_bin": 3}, pitch_class_correlation=0.6)
    assert controls_summary([record, other, None]) == {
        "pieces": 2, "pitch_class_correlation": 0.7, "asked_notes_per_second": 4.0, "played_notes_per_second": 7.0,
        "density_bin_hit": 0.5}
    assert controls_summary([None, {}]) is None
