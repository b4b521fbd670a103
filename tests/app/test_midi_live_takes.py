"""Loop recording keeps takes, and auditions go to MIDI out: over the JACK dummy server and the null sink."""

from __future__ import annotations

import time

import numpy as np
import rtmidi

from app.audio.midi_ports import MidiMessage
from app.core.score import Note, Score, TempoChange, Track
from app.services import recording
from app.ui.generation.audition import Audition
from jack import jack_server  # noqa: F401 (the session fixture)
from pulse import pulse_server  # noqa: F401 (the session fixture)
from test_midi_window import _listen_to, window  # noqa: F401 (a window fixture)

TICKS_PER_S = 1920  # 240 BPM, ppq 480
TOLERANCE = 0.06 * TICKS_PER_S  # the origin follows the sound card's clock: its buffer may move it


def test_loop_takes_split_the_passes_cut_held_notes_at_the_loop_end_and_leave_out_empty_passes():
    score = Score(tracks=(Track("Piano", 0, False, ()),), tempos=(TempoChange(0, 240.0),))
    at = [(0.10, (0x90, 60, 90)), (0.20, (0x80, 60, 0)),  # pass 1 (each pass 0.5 s)
          (0.40, (0x90, 62, 80)), (0.70, (0x80, 62, 0)),  # held over the loop end: cut there
          (1.60, (0x90, 64, 70)), (1.65, (0x80, 64, 0))]  # pass 4; passes 2 and 3 stay empty
    takes = recording.loop_takes([MidiMessage(100.0 + s, d) for s, d in at], score, (1920, 2880), 100.0, 101.8)
    assert [[(n.pitch, n.start, n.end, n.velocity) for n in take] for take in takes] == [
        [(60, 2112, 2304, 90), (62, 2688, 2880, 80)], [(64, 2112, 2208, 70)]]


def test_loop_recording_over_two_passes_keeps_two_takes_as_one_undo_step(window, qtbot, jack_server):  # noqa: F811
    bass = Track("Bass", 33, False, (Note(start=0, pitch=40, duration=240, velocity=80),))
    window.doc.replace_all(Score(tracks=(bass,), tempos=(TempoChange(0, 240.0),)))
    before = window.doc.score
    window.roll.set_loop_region((0, 960))  # two beats: half a second a pass
    window.actions["loop"].setChecked(True)
    window.recording.recorder.options.count_in = 0
    assert window.recording.midi.start()
    window.player.synth(window.player.playback_rate())  # loaded now, so the loop sounds as soon as Record is pressed
    keyboard = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "test keyboard")
    try:
        keyboard.open_port(keyboard.get_ports().index("Cadenza in:Cadenza in"), "keys")
        jack_server.wait_connected("test keyboard:keys", "Cadenza in:Cadenza in")
        window.actions["record"].trigger()
        origin = window.recording.recorder.origin
        for pitch, velocity, at in ((60, 100, 0.10), (64, 70, 0.30), (67, 90, 0.60)):  # 2 in pass 1, 1 in pass 2
            qtbot.waitUntil(lambda: time.monotonic() >= origin + at, timeout=2000)
            keyboard.send_message([0x90, pitch, velocity])
            qtbot.wait(50)
            keyboard.send_message([0x80, pitch, 0])
        qtbot.waitUntil(lambda: time.monotonic() >= origin + 0.85, timeout=2000)
        window.actions["record"].trigger()
    finally:
        keyboard.delete()
    tracks = window.doc.score.tracks
    assert [(t.name, t.program, t.mute) for t in tracks] == [("Bass", 33, False), ("Take 1", 33, True)]
    played = {60: 0.10, 64: 0.30, 67: 0.10}  # seconds into its pass
    last, first = tracks[0].notes, tracks[1].notes
    assert [(n.pitch, n.velocity) for n in last] == [(40, 80), (67, 90)]  # overdub: the bass note stays
    assert [(n.pitch, n.velocity) for n in first] == [(60, 100), (64, 70)]
    for note in (*last[1:], *first):
        assert abs(note.start - played[note.pitch] * TICKS_PER_S) <= TOLERANCE, note
    assert window.doc.undo_stack.count() == 1 and window.doc.undo_stack.undoText() == "Record 2 takes"
    window.doc.undo_stack.undo()
    assert window.doc.score == before
    window.doc.undo_stack.redo()
    assert [t.name for t in window.doc.score.tracks] == ["Bass", "Take 1"]


def test_an_audition_played_through_midi_out_alone_arrives_there_and_is_silent_here(
        window, qtbot, settings, jack_server, pulse_server):  # noqa: F811
    window.recording.set_play_through("midi")
    assert settings.play_through == "midi" and window.player.synth_silent
    window.recording.menu.aboutToShow.emit()  # the transport's record menu shows the choice
    through = next(a.menu() for a in window.recording.menu.actions() if a.text() == "Play &Through")
    assert [a.text() for a in through.actions() if a.isChecked()] == ["MIDI Out"]
    window.recording.midi.output()
    reader, received = _listen_to(jack_server, "Cadenza out:Cadenza out")
    variation = Score(tracks=(Track("Organ", 19, False, (Note(start=0, pitch=60, duration=240, velocity=90),
                                                         Note(start=240, pitch=67, duration=240, velocity=70))),),
                      tempos=(TempoChange(0, 240.0),))
    audition = Audition(window.player, window.doc, window.roll)
    try:
        with pulse_server.capture() as capture:
            audition.play("card 1", variation)
            qtbot.waitUntil(lambda: (0x80, 67, 0) in [d for _t, d in received], timeout=4000)
            audition.stop()
            qtbot.waitUntil(lambda: any(d[:2] == (0xBF, 123) for _t, d in received), timeout=2000)
    finally:
        reader.close()
    data = [d for _t, d in received]
    assert (0xC0, 19) in data  # the organ's program on channel 1
    assert [d for d in data if d[0] & 0xF0 in (0x80, 0x90)] == [(0x90, 60, 90), (0x80, 60, 0), (0x90, 67, 70),
                                                                 (0x80, 67, 0)]
    assert {d[0] & 0x0F for d in data if d[0] & 0xF0 == 0xB0 and d[1] == 123} == set(range(16))  # all notes off
    assert np.abs(capture.audio).max() < 1e-3  # nothing through FluidSynth


def test_the_metronome_goes_out_with_the_music_when_midi_out_alone_plays_it(
        window, qtbot, settings, jack_server, pulse_server):  # noqa: F811
    from app.core.metronome import ACCENT_KEY, BEAT_KEY, Metronome

    window.recording.set_play_through("midi")
    window.player.set_metronome(Metronome(enabled=True, volume=1.0, accent=True))
    window.doc.replace_all(Score(tracks=(Track("Piano", 0, False, (Note(start=0, pitch=60, duration=1920, velocity=90),)),),
                                 tempos=(TempoChange(0, 240.0),)))  # one 4/4 bar at 240 BPM: a second
    window.recording.midi.output()
    reader, received = _listen_to(jack_server, "Cadenza out:Cadenza out")
    try:
        window.player.play(lambda: window.doc.score, 0, None, None, with_metronome=True)
        qtbot.waitUntil(lambda: (0x80, 60, 0) in [d for _t, d in received], timeout=4000)
        window.player.stop()
    finally:
        reader.close()
    ons = [d for _t, d in received if d[0] & 0xF0 == 0x90]
    assert [d[1] for d in ons if d[0] == 0x99] == [ACCENT_KEY, BEAT_KEY, BEAT_KEY, BEAT_KEY]  # channel 10
    assert (0x90, 60, 90) in ons
