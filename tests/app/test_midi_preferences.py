"""MIDI ports and recording choices kept in the settings, and the MIDI section of Preferences (JACK dummy server)."""

from __future__ import annotations

import pytest
import rtmidi

from app.audio import midi_ports
from app.ui.dialogs.preferences import PreferencesDialog
from jack import jack_server  # noqa: F401 (the session fixture)

SYNTH = "test synth:in"


def test_midi_and_recording_choices_round_trip_and_bad_stored_values_fall_back(settings):
    from app.settings import Settings

    assert (settings.midi_input_port, settings.midi_output_port, settings.midi_send_playback) == ("", "", False)
    assert (settings.record_count_in, settings.record_quantize, settings.record_mode) == (1, "off", "overdub")
    settings.midi_input_port, settings.midi_output_port = "keys:out", None
    settings.midi_send_playback = True
    settings.record_count_in, settings.record_quantize, settings.record_mode = 2, "1/16T", "replace"
    settings.sync()
    again = Settings(settings.store)
    assert (again.midi_input_port, again.midi_output_port, again.midi_send_playback) == ("keys:out", "", True)
    assert (again.record_count_in, again.record_quantize, again.record_mode) == (2, "1/16T", "replace")
    for key, bad in (("record/count_in", "seven"), ("record/quantize", "1/5"), ("record/mode", "sideways"),
                     ("midi/send_playback", "maybe")):
        settings.store.setValue(key, bad)
    assert (again.record_count_in, again.record_quantize, again.record_mode, again.midi_send_playback) == (
        1, "off", "overdub", False)
    settings.store.setValue("record/count_in", 5)
    assert again.record_count_in == 1
    with pytest.raises(ValueError):
        again.record_mode = "sideways"


def _window(settings, tmp_path, monkeypatch):
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    return MainWindow(settings)


def _close(window) -> None:
    window.doc.mark_saved()
    window.close()


def _checked(menu, title: str) -> str:
    """The checked entry of the record menu's submenu ``title``."""
    sub = next(a.menu() for a in menu.actions() if a.text().replace("&", "") == title)
    return next(a.text() for a in sub.actions() if a.isChecked())


def test_output_port_chosen_in_preferences_plays_there_follows_the_menu_and_survives_a_new_window(
        qapp, qtbot, settings, tmp_path, monkeypatch, jack_server):
    synth = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "test synth")
    synth.open_virtual_port("in")
    window = _window(settings, tmp_path, monkeypatch)
    try:
        dialog = PreferencesDialog(settings, [], window, recording=window.recording)
        assert dialog.midi_box.isEnabled() and dialog.midi_output.currentText().startswith("Cadenza out")
        assert dialog.midi_input.currentText().startswith("Cadenza in")
        dialog.midi_output.setCurrentIndex(dialog.midi_output.findData(SYNTH))
        dialog.midi_send.setChecked(True)
        dialog.accept()
        midi = window.recording.midi
        assert (midi.output_port, midi.send_playback) == (SYNTH, True)  # at once, on the running MidiIO
        assert (settings.midi_output_port, settings.midi_send_playback) == (SYNTH, True)
        window.recording.menu.aboutToShow.emit()
        assert _checked(window.recording.menu, "Output Port") == SYNTH  # the record menu shows the same choice
        window.recording.menu.aboutToShow.emit()
        quantize = next(a.menu() for a in window.recording.menu.actions() if a.text() == "Input &Quantize")
        next(a for a in quantize.actions() if a.text() == "1/16").trigger()  # the menu's choices are kept too
        assert settings.record_quantize == "1/16"
        midi.output()
        jack_server.wait_connected("Cadenza out:Cadenza out", SYNTH)
        window.roll.key_pressed.emit(64)
        window.roll.key_released.emit(64)
        received = []
        qtbot.waitUntil(lambda: received.extend(iter(synth.get_message, None)) or len(received) == 3, timeout=2000)
        assert [m for m, _delta in received] == [[0xC0, 0], [0x90, 64, 100], [0x80, 64, 0]]
    finally:
        _close(window)
    settings.midi_input_port = "unplugged keyboard:out"  # a stored port that is not there any more
    window = _window(settings, tmp_path, monkeypatch)
    try:
        window.recording.menu.aboutToShow.emit()  # opens the MIDI system: the stored ports are restored
        midi = window.recording.midi
        assert (midi.output_port, midi.send_playback, midi.input_port()) == (SYNTH, True, midi_ports.VIRTUAL_IN)
        assert window.recording.recorder.options.quantize == "1/16"
        assert _checked(window.recording.menu, "Output Port") == SYNTH
        assert _checked(window.recording.menu, "Input Port").startswith("Cadenza in")
        dialog = PreferencesDialog(settings, [], window, recording=window.recording)
        assert dialog.midi_output.currentData() == SYNTH and dialog.midi_input.currentData() is None
        dialog.accept()
        assert settings.midi_input_port == "unplugged keyboard:out"  # kept for when it is plugged in again
    finally:
        _close(window)
        synth.delete()


def test_without_a_midi_system_the_preferences_midi_section_says_why_and_is_disabled(
        qapp, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "cadenza-no-such-server")
    monkeypatch.setattr(midi_ports.os.path, "exists", lambda path: False)  # no /dev/snd/seq
    window = _window(settings, tmp_path, monkeypatch)
    try:
        dialog = PreferencesDialog(settings, [], window, recording=window.recording)
        assert not dialog.midi_box.isEnabled() and dialog.midi_reason.text() == midi_ports.NO_MIDI
        dialog.autosave.setValue(45)
        dialog.accept()  # the rest of Preferences still works
        assert settings.autosave_interval_s == 45 and settings.midi_output_port == ""
    finally:
        _close(window)
