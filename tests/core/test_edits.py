"""Pure edits: each returns a new score, and swapping its arguments undoes it."""

import pytest

from app.core import edits
from app.core.score import Note, Score, TempoChange, Track


def score():
    return Score(tracks=(Track("A", 0, False, (Note(0, 60, 480), Note(480, 62, 480), Note(480, 62, 480))),
                         Track("B", 33, False, (Note(0, 40, 960),))),
                 tempos=(TempoChange(0, 100.0), TempoChange(1920, 50.0)))


def test_replace_notes_and_its_inverse():
    s = score()
    moved = edits.replace_notes(s, 0, [Note(480, 62, 480)], [Note(960, 64, 240)])
    assert moved.tracks[0].notes == (Note(0, 60, 480), Note(480, 62, 480), Note(960, 64, 240))  # one of two equal notes
    assert moved.tracks[1] is s.tracks[1]
    assert edits.replace_notes(moved, 0, [Note(960, 64, 240)], [Note(480, 62, 480)]) == s
    with pytest.raises(ValueError, match="not in track 0"):
        edits.replace_notes(s, 0, [Note(5, 60, 480)], [])


def test_track_list_edits():
    s = score()
    assert edits.set_track(s, 1, mute=True, volume=64).tracks[1].volume == 64
    assert [t.name for t in edits.move_track(s, 0, 1).tracks] == ["B", "A"]
    assert [t.name for t in edits.insert_track(s, 1, Track("D", 0, True)).tracks] == ["A", "D", "B"]
    assert [t.name for t in edits.remove_track(s, 0).tracks] == ["B"]
    with pytest.raises(ValueError):
        edits.set_track(s, 0, notes=())


def test_selection_operations():
    notes = [Note(10, 60, 470, 80), Note(500, 127, 100)]
    assert edits.transpose_notes(notes, 1) is None
    assert [n.pitch for n in edits.transpose_notes(notes, -12)] == [48, 115]
    assert [n.start for n in edits.shift_notes(notes, -100)] == [0, 490]  # stops at 0 as a block
    assert [(n.start, n.duration) for n in edits.quantize_notes(notes, 120)] == [(0, 480), (480, 120)]
    half = edits.quantize_notes([Note(100, 60, 100)], 120, strength=0.5)[0]
    assert half.start == 110
    assert [n.start for n in edits.duplicate_notes(notes, 480)] == [970, 1460]  # span 590 -> 960
    assert [n.start for n in edits.paste_notes(notes, 1000)] == [1000, 1490]
