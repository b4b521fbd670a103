"""performance-rnn's encoding: a small expressive MIDI file (tempo changes, sustain pedal, dynamics) the test
writes itself, read as a performance in seconds with the pedal folded in; encode -> decode within 10 ms and one
velocity bin; the events' grammar; written back at a fixed tempo with real timing."""

import mido
import numpy as np
import pytest

from app.core.midi import read_midi
from app.core.score import Note, Score, TempoChange, Track
from models.performance_rnn.conditioning import (event_density, event_histogram, key_profile, notes_density,
                                                 notes_histogram, window_control)
from models.performance_rnn.events import (BIN_WIDTH, NOTE_OFF, TIME_SHIFT, VELOCITY, VOCAB_SIZE, PerfNote, decode,
                                           encode, velocity_bin)
from models.performance_rnn.performance import fold_pedal, file_performance, performance_score, score_performance


def expressive_midi(path, pedal=True):
    """Four notes at 480 ppq: 120 bpm for beat 1, then 60 bpm; the pedal down from beat 0.5 to beat 2.5."""
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    events = [(0, mido.MetaMessage("set_tempo", tempo=500_000)),
              (480, mido.MetaMessage("set_tempo", tempo=1_000_000)),
              (0, mido.Message("note_on", note=60, velocity=97)), (120, mido.Message("note_off", note=60)),
              (240, mido.Message("note_on", note=64, velocity=33)), (360, mido.Message("note_off", note=64)),
              (480, mido.Message("note_on", note=67, velocity=70)), (720, mido.Message("note_off", note=67)),
              (900, mido.Message("note_on", note=60, velocity=110)), (1000, mido.Message("note_off", note=60))]
    if pedal:
        events += [(240, mido.Message("control_change", control=64, value=127)),
                   (1200, mido.Message("control_change", control=64, value=0))]
    events.sort(key=lambda e: e[0])
    now = 0
    for tick, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.save(str(path))
    return path


def test_a_midi_file_becomes_seconds_with_its_tempo_changes_and_its_pedal_folded_in(tmp_path):
    path = expressive_midi(tmp_path / "piece.mid")
    notes = file_performance(path, read_midi(path))
    # ticks -> seconds: 480 ticks at 120 bpm = 0.5 s, then 1 s per beat
    by_start = [(round(n.start, 4), n.pitch, n.velocity) for n in notes]
    assert by_start == [(0.0, 60, 97), (0.25, 64, 33), (0.5, 67, 70), (1.375, 60, 110)]
    # the pedal is down from 0.25 s to 2.0 s: a note released then sounds until it comes up
    assert [round(n.end, 4) for n in notes] == [0.125, 2.0, 2.0, 2.0]
    plain = file_performance(expressive_midi(tmp_path / "dry.mid", pedal=False), read_midi(tmp_path / "dry.mid"))
    assert [round(n.end, 4) for n in plain] == [0.125, 0.375, 1.0, 1.5833]


def test_the_pedal_never_holds_a_note_past_the_same_pitch_struck_again():
    notes = [PerfNote(0.0, 0.1, 60, 80), PerfNote(0.5, 0.6, 60, 80), PerfNote(0.2, 0.3, 64, 80)]
    folded = fold_pedal(notes, [(0.05, 2.0)])
    assert [(n.pitch, n.start, n.end) for n in folded] == [(60, 0.0, 0.5), (60, 0.5, 2.0), (64, 0.2, 2.0)]


def random_performance(rng, n=200):
    notes = []
    for _ in range(n):
        start = float(rng.uniform(0, 30))
        notes.append(PerfNote(start, start + float(rng.uniform(0.004, 2.5)), int(rng.integers(21, 109)),
                              int(rng.integers(1, 128))))
    notes.sort(key=lambda n: (n.start, n.pitch))
    # a pitch sounds once at a time (overlapping unisons cannot be told apart in any event stream)
    last: dict[int, PerfNote] = {}
    kept = []
    for n in notes:
        if n.pitch in last and last[n.pitch].end + 0.02 > n.start:
            continue
        last[n.pitch] = n
        kept.append(n)
    return kept


def test_encode_then_decode_keeps_every_note_within_10_ms_and_one_velocity_bin():
    rng = np.random.default_rng(7)
    notes = random_performance(rng)
    ids = encode(notes, from_zero=True)
    assert ids.min() >= 0 and ids.max() < VOCAB_SIZE
    back = decode(ids)  # sorted by start on the grid, then pitch
    notes.sort(key=lambda n: (round(n.start * 100), n.pitch))
    assert len(back) == len(notes)
    for a, b in zip(notes, back):
        assert b.pitch == a.pitch
        assert abs(b.start - a.start) <= 0.005 + 1e-9  # rounded to the 10 ms grid
        assert abs(b.end - a.end) <= 0.01 + 1e-9 or b.end - b.start == pytest.approx(0.01)  # shorter than a step
        assert abs(b.velocity - a.velocity) < BIN_WIDTH
        assert abs(velocity_bin(b.velocity) - velocity_bin(a.velocity)) <= 1


def test_events_follow_the_grammar_velocity_only_when_it_changes_and_long_gaps_in_whole_seconds():
    notes = [PerfNote(0.0, 0.5, 60, 80), PerfNote(0.0, 0.5, 64, 80), PerfNote(2.53, 2.6, 67, 20)]
    ids = encode(notes).tolist()
    assert ids == [VELOCITY + velocity_bin(80), 60, 64, TIME_SHIFT + 49, NOTE_OFF + 60, NOTE_OFF + 64,
                   TIME_SHIFT + 99, TIME_SHIFT + 99, TIME_SHIFT + 2, VELOCITY + velocity_bin(20), 67,
                   TIME_SHIFT + 6, NOTE_OFF + 67]
    stretched = decode(encode(notes, stretch=1.05, transpose=-5))
    assert [n.pitch for n in stretched] == [55, 59, 62] and stretched[2].start == pytest.approx(2.66, abs=0.01)


def test_controls_are_measured_from_the_events_of_a_window():
    notes = [PerfNote(i * 0.25, i * 0.25 + 0.2, 60 + (7 * i) % 12, 64) for i in range(8)]  # 8 notes in 2 s
    ids = encode(notes)
    assert event_histogram(ids) == pytest.approx(notes_histogram(notes))
    assert event_density(ids) == pytest.approx(8 / 1.95, rel=0.01) and notes_density(notes) == pytest.approx(8 / 1.75)
    control = window_control(ids)
    assert control.shape == (20,) and control[12:].tolist().index(1.0) == 3  # 4-8 notes per second
    assert key_profile("G major").tolist() == pytest.approx([x / 8 for x in (1, 0, 1, 0, 1, 0, 1, 2, 0, 1, 0, 1)])


def test_a_performance_is_written_at_120_bpm_with_its_real_timing():
    notes = [PerfNote(0.0104, 0.5, 60, 93), PerfNote(1.2345, 1.3, 62, 17)]
    score = performance_score(notes, "x")
    assert score.tempos == (TempoChange(0, 120.0),) and score.ppq == 480
    assert [(n.start, n.duration, n.velocity) for n in score.tracks[0].notes] == [(10, 470, 93), (1185, 63, 17)]
    back = score_performance(score)
    assert [round(n.start, 3) for n in back] == [0.01, 1.234]
