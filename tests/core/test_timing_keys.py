"""Tempo map, bar lines, key names and pitch spelling."""

import pytest

from app.core.abc.header import key_from_abc, key_to_abc
from app.core.keys import key_fifths, key_to_mido, scale_pitch_classes, spell
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from app.core.timing import TempoMap, bar_count, bar_lines, duration_seconds


def test_tempo_map_piecewise():
    score = Score(tempos=(TempoChange(0, 120.0), TempoChange(960, 60.0)))
    tm = TempoMap(score)
    assert tm.seconds(480) == pytest.approx(0.5)
    assert tm.seconds(960) == pytest.approx(1.0)
    assert tm.seconds(1440) == pytest.approx(2.0)
    assert tm.tick(2.0) == pytest.approx(1440)
    assert list(tm.seconds_array([0, 480, 1440])) == pytest.approx([0, 0.5, 2.0])


def test_bars_across_meter_change():
    notes = (Note(0, 60, 480 * 4 * 2 + 480 * 3 * 2),)
    score = Score(tracks=(Track(notes=notes),), time_signatures=(TimeSignature(0, 4, 4), TimeSignature(3840, 3, 4)))
    lines = bar_lines(score)
    assert [b.tick for b in lines] == [0, 1920, 3840, 5280]
    assert [f"{b.signature.numerator}/{b.signature.denominator}" for b in lines] == ["4/4", "4/4", "3/4", "3/4"]
    assert bar_count(score) == 4
    assert duration_seconds(score) == pytest.approx(7.0)


def test_key_names():
    assert key_fifths("D major") == 2 and key_fifths("B minor") == 2 and key_fifths("E dorian") == 2
    assert key_fifths("Bb major") == -2 and key_fifths(None) == 0
    assert key_to_abc("F# minor") == "F#m" and key_to_abc("G mixolydian") == "Gmix"
    assert key_from_abc("Ador") == "A dorian" and key_from_abc("Bbmaj") == "Bb major" and key_from_abc("Em") == "E minor"
    assert key_to_mido("C minor") == "Cm" and key_to_mido("A dorian") == "G"
    assert scale_pitch_classes("G major") == frozenset({7, 9, 11, 0, 2, 4, 6})


@pytest.mark.parametrize("pitch, fifths, expected", [
    (66, 2, ("F", 1, 4)), (65, 2, ("F", 0, 4)), (70, -1, ("B", -1, 4)), (61, 0, ("C", 1, 4)),
    (63, -3, ("E", -1, 4)), (59, -7, ("C", -1, 4)), (72, 7, ("B", 1, 4)),
])
def test_spelling(pitch, fifths, expected):
    assert spell(pitch, fifths) == expected


def test_note_validation():
    with pytest.raises(ValueError):
        Note(0, 128, 10)
    with pytest.raises(ValueError):
        Note(0, 60, 0)
