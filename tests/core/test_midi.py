"""MIDI in/out: golden files, exact round trips, overlaps, type 0, bad files."""

from pathlib import Path

import mido
import pytest
from hypothesis import given, settings, strategies as st

from app.core.errors import FileFormatError
from app.core.midi import read_midi, write_midi
from app.core.score import Note, Score, TempoChange, TimeSignature, Track

DATA = Path(__file__).parents[1] / "data" / "midi"


def notes_of(score):
    return [[(n.start, n.pitch, n.duration, n.velocity) for n in t.notes] for t in score.tracks]


def test_golden_multitrack_notes_and_meta():
    score = read_midi(DATA / "multitrack.mid")
    assert score.title == "Golden"
    assert score.ppq == 480
    assert [(t.tick, round(t.bpm, 3)) for t in score.tempos] == [(0, 120.0), (1920, 150.0)]
    assert [(s.tick, s.numerator, s.denominator) for s in score.time_signatures] == [(0, 4, 4), (1920, 3, 4)]
    assert score.key == "D major"
    assert [(t.name, t.program, t.is_drum) for t in score.tracks] == [("Piano", 0, False), ("Bass", 33, False), ("Drums", 0, True)]
    piano, bass, drums = notes_of(score)
    # the re-struck 69 ends the first one at 1200; the next note-off ends the second at 1440
    assert piano == [(0, 62, 480, 100), (0, 66, 480, 80), (960, 69, 240, 90), (1200, 69, 240, 70), (1920, 74, 1440, 127)]
    assert bass == [(0, 38, 1920, 96), (1920, 45, 1440, 96)]
    assert drums == [(i * 480, 36 if i % 2 == 0 else 38, 240, 100 - i) for i in range(8)]


def test_golden_type0_splits_channels():
    score = read_midi(DATA / "type0.mid")
    assert score.ppq == 96 and round(score.tempos[0].bpm) == 100
    progs = {t.program: notes_of(Score(tracks=(t,)))[0] for t in score.tracks}
    assert progs == {40: [(0, 76, 96, 64), (96, 79, 96, 64)], 42: [(0, 48, 192, 50)]}


@pytest.mark.parametrize("name", ["multitrack.mid", "type0.mid"])
def test_read_write_read_is_exact(tmp_path, name):
    first = read_midi(DATA / name)
    write_midi(first, tmp_path / "out.mid")
    second = read_midi(tmp_path / "out.mid")
    assert notes_of(second) == notes_of(first)
    assert second.tempos == first.tempos and second.time_signatures == first.time_signatures
    assert [(t.name, t.program, t.is_drum) for t in second.tracks] == [(t.name, t.program, t.is_drum) for t in first.tracks]


def test_type0_output_holds_everything_in_one_track(tmp_path):
    score = read_midi(DATA / "multitrack.mid")
    write_midi(score, tmp_path / "t0.mid", midi_type=0)
    assert len(mido.MidiFile(tmp_path / "t0.mid").tracks) == 1
    assert sorted(map(tuple, sum(notes_of(read_midi(tmp_path / "t0.mid")), []))) == sorted(map(tuple, sum(notes_of(score), [])))


def test_drums_written_on_channel_10_and_provenance_kept(tmp_path):
    prov = {"model": "abc-lstm", "random_seed": 7, "sliders": {"temperature": 0.9}}
    score = Score(tracks=(Track("Kit", 0, True, (Note(0, 36, 120, 100),)), Track("Lead", 81, False, (Note(0, 72, 480, 64),))),
                  provenance=prov, key="E minor", title="Groove")
    write_midi(score, tmp_path / "d.mid")
    channels = {m.channel for tr in mido.MidiFile(tmp_path / "d.mid").tracks for m in tr if m.type == "note_on"}
    assert channels == {9, 0}
    back = read_midi(tmp_path / "d.mid")
    assert back.provenance == prov and back.key == "E minor" and back.title == "Groove"
    assert back.tracks[0].is_drum and back.tracks[1].program == 81


def test_overlapping_same_pitch_in_a_score_is_cut_at_the_restrike(tmp_path):
    score = Score(tracks=(Track("p", 0, False, (Note(0, 60, 960, 80), Note(480, 60, 960, 90))),))
    write_midi(score, tmp_path / "o.mid")
    assert notes_of(read_midi(tmp_path / "o.mid")) == [[(0, 60, 480, 80), (480, 60, 960, 90)]]


note_st = st.builds(Note, start=st.integers(0, 20000), pitch=st.integers(0, 127),
                    duration=st.integers(1, 4000), velocity=st.integers(1, 127))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(note_st, max_size=40), min_size=1, max_size=4), st.integers(24, 960))
def test_property_write_read_write_is_stable(tmp_path_factory, tracks, ppq):
    """After one normalising write, a read/write cycle keeps every note exactly."""
    d = tmp_path_factory.mktemp("prop")
    score = Score(tracks=tuple(Track(f"t{i}", i, False, tuple(ns)) for i, ns in enumerate(tracks)), ppq=ppq)
    write_midi(score, d / "a.mid")
    once = read_midi(d / "a.mid")
    write_midi(once, d / "b.mid")
    assert notes_of(read_midi(d / "b.mid")) == notes_of(once)


def test_non_overlapping_scores_round_trip_exactly(tmp_path):
    notes = tuple(Note(i * 100, 40 + (i % 30), 90 + i % 7, 1 + i % 127) for i in range(300))
    score = Score(tracks=(Track("a", 5, False, notes),), tempos=(TempoChange(0, 97.0), TempoChange(5000, 143.5)),
                  time_signatures=(TimeSignature(0, 7, 8),))
    write_midi(score, tmp_path / "x.mid")
    back = read_midi(tmp_path / "x.mid")
    assert back.tracks[0].notes == notes
    assert [round(t.bpm, 2) for t in back.tempos] == [97.0, 143.5]


@pytest.mark.parametrize("data, phrase", [
    (b"", "truncated"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x10\x00\x00\x90", "truncated"),
    (b"RIFF....WAVEfmt ", "not"),
    (b"MThd\x00\x00\x00\x06\x00\x02\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00", "type 2"),
])
def test_bad_files_give_one_sentence(tmp_path, data, phrase):
    path = tmp_path / "bad.mid"
    path.write_bytes(data)
    with pytest.raises(FileFormatError) as err:
        read_midi(path)
    message = str(err.value)
    assert message.startswith(f"Cannot read {path}:") and phrase in message and "\n" not in message
