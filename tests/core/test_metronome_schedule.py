"""The metronome's click schedule: beats of the meter map in ticks, beat one marked, volume and accent."""

from __future__ import annotations

import pytest

from app.core.metronome import (ACCENT_KEY, BEAT_KEY, Click, Metronome, beat_ticks, click_notes, click_schedule,
                                is_compound)
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from app.core.timing import TempoMap


def score(sigs=((0, 4, 4),), tempos=((0, 120.0),), end: int = 4 * 1920) -> Score:
    track = Track("piano", 0, False, (Note(start=0, pitch=60, duration=end, velocity=80),))
    return Score(tracks=(track,), ppq=480, tempos=tuple(TempoChange(t, b) for t, b in tempos),
                 time_signatures=tuple(TimeSignature(*s) for s in sigs))


def test_four_four_at_120_clicks_every_quarter_with_beat_one_marked():
    clicks = click_schedule(score(), 0, 2 * 1920)
    assert [c.tick for c in clicks] == list(range(0, 3840, 480))
    assert [c.downbeat for c in clicks] == [True, False, False, False] * 2
    seconds = [TempoMap(score()).seconds(c.tick) for c in clicks]
    assert seconds == pytest.approx([0.5 * i for i in range(8)])  # 120 BPM: a click every half second


def test_three_four_then_six_eight_clicks_quarters_then_dotted_quarters():
    s = score(sigs=((0, 3, 4), (2 * 1440, 6, 8)))
    clicks = click_schedule(s, 0, 2 * 1440 + 2 * 1440)
    assert [c.tick for c in clicks] == [0, 480, 960, 1440, 1920, 2400,  # two bars of 3/4
                                        2880, 3600, 4320, 5040]  # two bars of 6/8: two dotted quarters each
    assert [c.tick for c in clicks if c.downbeat] == [0, 1440, 2880, 4320]


def test_a_tempo_change_keeps_the_ticks_and_moves_the_times():
    s = score(tempos=((0, 120.0), (1920, 60.0)))
    clicks = click_schedule(s, 0, 3840)
    assert [c.tick for c in clicks] == list(range(0, 3840, 480))
    seconds = [TempoMap(s).seconds(c.tick) for c in clicks]
    assert seconds == pytest.approx([0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0])  # a second a beat after bar 2


def test_a_range_starting_mid_bar_clicks_only_inside_it_and_beat_one_stays_beat_one():
    clicks = click_schedule(score(), 700, 2400)
    assert clicks == [Click(960, False), Click(1440, False), Click(1920, True)]
    assert click_schedule(score(), 500, 500) == []
    assert click_schedule(score(), 0, 1) == [Click(0, True)]


def test_beats_beyond_the_notes_click_too():
    s = score(end=480)  # a loop region may reach past the last note
    assert [c.tick for c in click_schedule(s, 1920, 3840)] == [1920, 2400, 2880, 3360]


@pytest.mark.parametrize("sig, compound, beat", [((0, 6, 8), True, 720), ((0, 9, 8), True, 720),
                                                 ((0, 12, 8), True, 720), ((0, 3, 8), False, 240),
                                                 ((0, 2, 2), False, 960), ((0, 5, 4), False, 480),
                                                 ((0, 6, 4), True, 1440)])
def test_beat_lengths(sig, compound, beat):
    ts = TimeSignature(*sig)
    assert is_compound(ts) is compound
    assert beat_ticks(ts, 480) == beat


def test_click_notes_accent_volume_and_off():
    s = score()
    on = click_notes(s, 0, 1920, Metronome(enabled=True, volume=1.0, accent=True))
    assert on == [(0, ACCENT_KEY, 127), (480, BEAT_KEY, 90), (960, BEAT_KEY, 90), (1440, BEAT_KEY, 90)]
    flat = click_notes(s, 0, 1920, Metronome(enabled=True, volume=1.0, accent=False))
    assert {(k, v) for _, k, v in flat} == {(BEAT_KEY, 90)}
    half = click_notes(s, 0, 1920, Metronome(enabled=True, volume=0.5))
    assert [v for _, _, v in half] == [64, 45, 45, 45]
    assert click_notes(s, 0, 1920, Metronome(enabled=False)) == []
    assert click_notes(s, 0, 1920, Metronome(enabled=True, volume=0.0)) == []
    with pytest.raises(ValueError):
        Metronome(volume=1.5)
