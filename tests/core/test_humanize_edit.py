"""The pure Humanize edit: each note replaced by its performance, and nothing else touched."""

from dataclasses import replace

import pytest

from app.core.edits import humanize_notes
from app.core.score import Note, Score, Track

LINE = (Note(0, 60, 480, 90), Note(480, 64, 480, 90), Note(960, 67, 480, 90), Note(960, 72, 480, 90))
BASS = (Note(0, 36, 1920, 80),)


def score() -> Score:
    return Score(tracks=(Track("Piano", 0, False, LINE), Track("Bass", 32, False, BASS)))


def played(notes):
    """A performance: velocities spread, starts and ends a few ticks off the grid."""
    return [replace(n, start=n.start + (7 if i % 2 else 0), duration=n.duration - 11, velocity=50 + 17 * i)
            for i, n in enumerate(notes)]


def test_each_note_becomes_its_performance_and_the_other_track_and_notes_stay():
    before = score()
    old = list(LINE[1:])  # a selection: the first note is not in it
    after = humanize_notes(before, 0, old, played(old))
    assert after.tracks[1] is before.tracks[1]
    assert sorted(after.tracks[0].notes) == sorted([LINE[0], *played(old)])
    assert sorted(n.pitch for n in after.tracks[0].notes) == sorted(n.pitch for n in LINE)  # a chord may spread


def test_the_swapped_edit_restores_the_exact_notes():
    before = score()
    new = played(LINE)
    after = humanize_notes(before, 0, LINE, new)
    assert humanize_notes(after, 0, new, LINE) == before


def test_a_performance_that_changes_a_pitch_or_the_count_is_refused():
    with pytest.raises(ValueError, match="note 2 of the performance plays pitch 65, not 64"):
        humanize_notes(score(), 0, LINE, [LINE[0], replace(LINE[1], pitch=65), *LINE[2:]])
    with pytest.raises(ValueError, match="a performance of 4 note"):
        humanize_notes(score(), 0, LINE, LINE[:3])


def test_notes_no_longer_in_the_track_are_a_stale_edit():
    with pytest.raises(ValueError, match="not in track 0"):
        humanize_notes(score(), 0, [Note(5, 60, 10, 90)], [Note(6, 60, 10, 70)])
