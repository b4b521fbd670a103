"""Recording from the MIDI input for real: notes sent into "Cadenza in" over the JACK dummy server."""

from __future__ import annotations

import time

import pytest
import rtmidi

from app.audio.midi_ports import MidiMessage
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from app.services import recording
from app.services.midi_io import MidiIO
from jack import jack_server  # noqa: F401 (the session fixture)
from pulse import pulse_server  # noqa: F401 (the session fixture)
from test_playback import player  # noqa: F401 (a Player on the test sink)

TICKS_PER_10_MS = 480 * 2 * 0.010  # 120 BPM, ppq 480: 960 ticks a second


@pytest.fixture
def midi(qapp, jack_server):
    io = MidiIO()
    assert io.start(), io.status
    yield io
    io.close()


@pytest.fixture
def keyboard(midi, jack_server):
    """A test program playing into "Cadenza in"."""
    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "test keyboard")
    out.open_port(out.get_ports().index("Cadenza in:Cadenza in"), "keys")
    jack_server.wait_connected("test keyboard:keys", "Cadenza in:Cadenza in")
    yield out
    out.delete()


def _recorder(doc, midi, **options):
    """A Recorder whose takes are pushed as the window pushes them (one NotesCommand)."""
    from app.commands import NotesCommand

    recorder = recording.Recorder(doc, midi)
    recorder.options = recording.RecordOptions(**options)
    recorder.take_recorded.connect(
        lambda track, old, new: doc.undo_stack.push(NotesCommand(doc, track, old, new, "Record")))
    return recorder


def test_notes_played_in_are_recorded_with_their_timing_and_velocities_as_one_undo_step(doc, midi, keyboard, qtbot):
    doc.replace_all(Score(tracks=(Track("Piano", 0, False, (Note(start=0, pitch=48, duration=480, velocity=80),)),)))
    recorder = _recorder(doc, midi, count_in=0, quantize="off", mode="overdub")
    assert recorder.start(1920)
    origin = recorder.origin
    played = []  # (pitch, velocity, on second, off second) relative to the origin
    for pitch, velocity, at, length in ((60, 100, 0.05, 0.10), (64, 37, 0.30, 0.05), (67, 127, 0.42, 0.20)):
        while time.monotonic() < origin + at:
            qtbot.wait(1)
        on = time.monotonic()
        keyboard.send_message([0x90, pitch, velocity])
        while time.monotonic() < on + length:
            qtbot.wait(1)
        off = time.monotonic()
        keyboard.send_message([0x80, pitch, 0])
        played.append((pitch, velocity, on - origin, off - origin))
    qtbot.wait(30)  # the last JACK cycles
    assert recorder.stop() == 3
    track = doc.score.tracks[0]
    recorded = [n for n in track.notes if n.pitch != 48]
    assert [(n.pitch, n.velocity) for n in recorded] == [(p, v) for p, v, _on, _off in played]
    for note, (_p, _v, on, off) in zip(recorded, played):
        assert abs(note.start - (1920 + on * 960)) <= TICKS_PER_10_MS
        assert abs(note.end - (1920 + off * 960)) <= TICKS_PER_10_MS
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert [n.pitch for n in doc.score.tracks[0].notes] == [48]


def test_replace_mode_removes_the_notes_under_the_take_and_quantize_snaps_it(doc, midi):
    old = (Note(start=0, pitch=50, duration=240, velocity=80), Note(start=960, pitch=52, duration=240, velocity=80),
           Note(start=4800, pitch=53, duration=240, velocity=80))
    doc.replace_all(Score(tracks=(Track("Piano", 0, False, old),)))
    recorder = _recorder(doc, midi, count_in=0, quantize="1/16T", mode="replace")
    recorder.start(0)
    t = recorder.origin
    recorder._messages = [MidiMessage(t + 0.083, (0x90, 70, 90)), MidiMessage(t + 0.40, (0x80, 70, 0)),
                          MidiMessage(t + 1.02, (0x91, 72, 64)), MidiMessage(t + 1.2, (0x91, 72, 0))]
    recorder.stop()
    notes = doc.score.tracks[0].notes
    assert [(n.start, n.pitch, n.velocity) for n in notes] == [(80, 70, 90), (960, 72, 64), (4800, 53, 80)]
    assert notes[0].end % 80 == 0 and notes[1].end % 80 == 0  # 1/16 triplets: 80 ticks


def test_take_follows_the_tempo_map_and_ignores_the_count_in():
    score = Score(tracks=(Track("Piano"),), tempos=(TempoChange(0, 120.0), TempoChange(960, 60.0)))
    messages = [MidiMessage(9.5, (0x90, 1, 5)), MidiMessage(10.0, (0x90, 60, 99)), MidiMessage(11.5, (0x80, 60, 0)),
                MidiMessage(11.0, (0x90, 62, 10))]
    notes = recording.take_notes(messages, score, 0, origin=10.0, until=12.0)
    # 0-1 s at 120 BPM is ticks 0-960; then 60 BPM: 480 ticks a second
    assert [(n.start, n.end, n.pitch) for n in notes] == [(0, 1200, 60), (960, 1440, 62)]


def test_count_in_is_bars_of_clicks_before_the_score_from_the_playhead():
    score = Score(tracks=(Track("Piano", 0, False, (Note(start=2400, pitch=60, duration=480, velocity=90),)),),
                  time_signatures=(TimeSignature(0, 3, 4),))
    played, play_from, lead = recording.count_in_score(score, 1440, 2)
    assert play_from == 0 and lead == 2 * 1440
    clicks = played.tracks[-1]
    assert clicks.is_drum and [n.start for n in clicks.notes] == list(range(0, 2880, 480))
    assert [n.pitch for n in clicks.notes][:4] == [76, 77, 77, 76]  # accent on each beat one
    assert [n.start for n in played.tracks[0].notes] == [2400 - 1440 + 2880]
    played, play_from, lead = recording.count_in_score(score, 1920, 1)  # mid-bar: beat two of bar two
    assert (play_from, lead) == (480, 1440 + 480)  # from beat two of the bar before, bar lines in step
    assert [(n.start, n.pitch) for n in played.tracks[-1].notes] == [(0, 76), (480, 77), (960, 77), (1440, 76)]
    assert [n.start for n in played.tracks[0].notes] == [2400 - 1920 + 1920]
    assert recording.quantize_step("1/8", 480) == 240 and recording.quantize_step("1/8T", 480) == 160


def test_the_origin_follows_the_sound_the_player_reports(doc, midi, qapp):
    from PySide6.QtCore import QObject, Signal

    class Player(QObject):  # the player's signals and calls, without a sound card
        started, stopped, position_changed = Signal(), Signal(), Signal(int)
        plays = []

        def play(self, provider, start, **kwargs):
            self.plays.append((provider(), start, kwargs))

        def stop(self):
            pass

        def is_playing(self):
            return True

    player = Player()
    doc.replace_all(Score(tracks=(Track("Piano"),)))
    recorder = recording.Recorder(doc, midi, player)
    recorder.options = recording.RecordOptions(count_in=1)
    moved = []
    recorder.position_changed.connect(moved.append)
    recorder.start(1920)  # a bar line: the count-in is the bar before
    played, start, kwargs = player.plays[0]
    assert played.tracks[-1].name == "Count-in" and start == 0 and kwargs == {"with_metronome": True}
    player.position_changed.emit(480)  # a quarter (0.5 s) of the 2 s count-in heard
    first = recorder.origin
    assert abs(first - (time.monotonic() - 0.5 + 2.0)) < 0.05
    player.position_changed.emit(480)  # a stale position: the earlier estimate stays
    assert recorder.origin == first
    player.position_changed.emit(1920 + 960)  # half a bar after the count-in
    assert moved == [1920 + 960]
    recorder.stop()


def test_the_count_in_clicks_are_heard_before_the_score_even_with_the_metronome_off(
        doc, midi, qtbot, player, pulse_server):  # noqa: F811
    import numpy as np

    from pulse import RATE

    doc.replace_all(Score(tracks=(Track("Piano", 0, False, (Note(start=480, pitch=69, duration=240, velocity=100),)),),
                          tempos=(TempoChange(0, 240.0),)))  # a bar is 1 s, a beat 0.25 s
    assert not player.metronome.enabled
    recorder = _recorder(doc, midi, count_in=1)
    recorder.player = player
    with pulse_server.capture() as capture:
        with qtbot.waitSignal(player.started, timeout=20000):
            recorder.start(480)
        with qtbot.waitSignal(recorder.recording_started, timeout=5000):
            pass
        with qtbot.waitSignal(player.stopped, timeout=5000):  # the count-in and the note have been heard
            pass
        recorder.stop()
    audio = np.abs(capture.audio).max(axis=1)
    first = np.flatnonzero(audio > 0.01)[0]

    def level(second: float) -> float:
        return float(audio[first + int(second * RATE):first + int((second + 0.05) * RATE)].max())

    for beat in range(4):
        assert level(beat * 0.25) > 0.01 and level(beat * 0.25 + 0.12) < level(beat * 0.25) / 10, beat
    assert level(1.0) > 0.01  # the note at the playhead, right after the count-in
