"""The window's MIDI: Record (R) and its menu, playback sent to "Cadenza out", over the JACK dummy server."""

from __future__ import annotations


import pytest
import rtmidi

from app.audio import midi_ports
from app.core.score import Note, Score, TempoChange, Track
from app.services.midi_io import MidiIO
from jack import jack_server  # noqa: F401 (the session fixture)


def _listen_to(server, port_name: str):
    """A reader of ``port_name`` (Cadenza's own input code, polling): it and the (second, bytes) it received."""
    received = []
    reader = midi_ports.MidiInput(rtmidi.API_UNIX_JACK, lambda m: received.append((m.time, m.data)), port_name)
    server.wait_connected(port_name)
    return reader, received


def test_playback_sent_to_cadenza_out_arrives_with_programs_channels_timing_and_all_notes_off(
        qapp, jack_server, qtbot):
    score = Score(tracks=(Track("Bass", 33, False, (Note(start=0, pitch=40, duration=240, velocity=90),
                                                    Note(start=480, pitch=43, duration=480, velocity=70))),
                          Track("Drums", 0, True, (Note(start=240, pitch=36, duration=120, velocity=110),)),
                          Track("Muted", 5, False, (Note(start=0, pitch=80, duration=480),), mute=True)),
                  tempos=(TempoChange(0, 240.0),))
    midi = MidiIO()
    assert midi.start()
    midi.output()  # opens "Cadenza out"
    reader, received = _listen_to(jack_server, "Cadenza out:Cadenza out")
    try:
        assert midi.send(score, 0)
        sent = midi._sender.origin
        qtbot.waitUntil(lambda: any(d == (0x80, 43, 0) for _t, d in received), timeout=3000)
        midi.stop_sending()
        qtbot.waitUntil(lambda: any(d[:2] == (0xBF, 123) for _t, d in received), timeout=2000)
    finally:
        reader.close()
        midi.close()
    data = [d for _t, d in received]
    assert (0xC0, 33) in data and (0xC9, 0) in data  # program changes before the notes
    notes = [(t - sent, d) for t, d in received if d[0] & 0xF0 in (0x80, 0x90)]
    # a note-off before a note-on at the same moment; the bass on channel 1, the drums on 10
    assert [d for _t, d in notes] == [(0x90, 40, 90), (0x80, 40, 0), (0x99, 36, 110), (0x89, 36, 0),
                                      (0x90, 43, 70), (0x80, 43, 0)]
    expected = [0.0, 0.125, 0.125, 0.1875, 0.25, 0.5]  # seconds at 240 BPM (a quarter is 0.25 s)
    assert all(abs(t - e) < 0.015 for (t, _d), e in zip(notes, expected)), notes
    assert not any(d[1:2] == (80,) for d in data)  # the muted track is not sent
    assert {d[0] & 0x0F for d in data if d[:2] == (d[0], 123) and d[0] & 0xF0 == 0xB0} == set(range(16))


@pytest.fixture
def window(qtbot, settings, tmp_path, monkeypatch):
    """A main window that closes without asking to save, even when the test fails."""
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    w = MainWindow(settings)
    yield w
    w.doc.mark_saved()
    w.close()


def test_record_button_records_into_the_active_track_and_its_menu_names_the_ports(window, qtbot, monkeypatch,
                                                                                   jack_server):
    monkeypatch.setattr(window.player, "play", lambda *a, **k: None)  # no sound here: the clicks are tested above
    assert window.actions["record"].shortcut().toString() == "R"
    window.recording.recorder.options.count_in = 0
    window.actions["record"].trigger()
    assert window.recording.recorder.is_recording()
    window.recording.menu.aboutToShow.emit()
    texts = [a.text() for a in window.recording.menu.actions()]
    assert "MIDI system: JACK" in texts and "&Send Playback to MIDI Out" in texts
    keyboard = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "test keyboard")
    try:
        keyboard.open_port(keyboard.get_ports().index("Cadenza in:Cadenza in"), "keys")
        jack_server.wait_connected("test keyboard:keys", "Cadenza in:Cadenza in")
        keyboard.send_message([0x90, 62, 77])
        qtbot.wait(60)
        keyboard.send_message([0x80, 62, 0])
        keyboard.send_message([0x90, 65, 50])  # played just as Record is pressed again: still in the take
        window.actions["record"].trigger()
    finally:
        keyboard.delete()
    assert [(n.pitch, n.velocity) for n in window.doc.score.tracks[window.doc.active_track].notes] == [(62, 77),
                                                                                                       (65, 50)]
    assert window.doc.undo_stack.undoText() == "Record 2 notes"
    window.recording.midi.send_playback = True  # "Send Playback to MIDI Out": piano keys too
    window.recording.midi.output()
    reader, received = _listen_to(jack_server, "Cadenza out:Cadenza out")
    try:
        window.roll.key_pressed.emit(64)
        window.roll.key_released.emit(64)
        qtbot.waitUntil(lambda: len(received) == 3, timeout=2000)
    finally:
        reader.close()
    assert [d for _t, d in received] == [(0xC0, 0), (0x90, 64, 100), (0x80, 64, 0)]  # the piano's channel 1


def test_without_a_midi_system_the_record_menu_says_so_in_one_sentence(window, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "cadenza-no-such-server")
    monkeypatch.setattr(midi_ports.os.path, "exists", lambda path: False)  # no /dev/snd/seq
    messages = []
    window.recording.status_message.connect(messages.append)
    window.actions["record"].trigger()
    assert messages == [midi_ports.NO_MIDI] and not window.actions["record"].isChecked()
    window.recording.menu.aboutToShow.emit()
    disabled = [a.text() for a in window.recording.menu.actions() if not a.isEnabled()]
    assert disabled == [midi_ports.NO_MIDI]
    assert "Count-in" in [a.text().replace("&", "") for a in window.recording.menu.actions()]  # the rest still works
    assert not window.recording.midi.send(Score(), 0)


def test_a_loop_sent_to_midi_out_repeats_until_stopped(qapp, jack_server, qtbot):
    score = Score(tracks=(Track("Piano", 0, False, (Note(start=0, pitch=60, duration=240, velocity=90),
                                                    Note(start=480, pitch=62, duration=240, velocity=90))),),
                  tempos=(TempoChange(0, 480.0),))  # a quarter is 0.125 s
    midi = MidiIO()
    assert midi.start()
    midi.output()
    reader, received = _listen_to(jack_server, "Cadenza out:Cadenza out")
    try:
        assert midi.send(score, 480, loop=(0, 960))  # from the second note, then round the whole loop
        qtbot.waitUntil(lambda: sum(d[:2] == (0x90, 60) for _t, d in received) == 3, timeout=3000)
        midi.stop_sending()
    finally:
        reader.close()
        midi.close()
    ons = [(t - received[0][0], d[1]) for t, d in received if d[0] == 0x90]
    assert [p for _t, p in ons][:5] == [62, 60, 62, 60, 62]
    assert all(abs(t - e) < 0.015 for (t, _p), e in zip(ons, [0.0, 0.125, 0.25, 0.375, 0.5])), ons
