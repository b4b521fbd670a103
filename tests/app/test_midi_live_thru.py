"""MIDI thru for real: a key played into "Cadenza in" (JACK dummy server) is heard at the PulseAudio null sink
at once, in the active track's instrument; the Preferences toggle turns it off and is kept; with no MIDI system
everything is heard through FluidSynth and the controls say why in one sentence."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np

from app.audio import midi_ports
from app.core.score import Note, Score, Track
from app.ui.dialogs.preferences import PreferencesDialog
from jack import jack_server  # noqa: F401 (the session fixture)
from pulse import SINK, SINK_DESCRIPTION, pulse_server  # noqa: F401 (the session fixture)
from test_midi_window import window  # noqa: F401 (a main window that closes without asking)

THRU_WITHIN_S = 0.05  # key-down to sound at the sink (measured: under 10 ms, see docs/BENCHMARKS.md)


def _bench():
    """benchmarks/midi_latency_bench.py: its TimedCapture places the sink's samples on the monotonic clock."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "midi_latency_bench.py"
    spec = importlib.util.spec_from_file_location("midi_latency_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _strike(keyboard, pitch: int) -> float:
    time.sleep(0.1)
    down = time.monotonic()
    keyboard.send_message([0x90, pitch, 110])
    time.sleep(0.15)
    keyboard.send_message([0x80, pitch, 0])
    time.sleep(0.1)
    return down


def test_a_key_played_while_stopped_is_heard_at_once_until_thru_is_turned_off_in_preferences(
        window, qtbot, settings, pulse_server, jack_server):  # noqa: F811
    bench = _bench()
    window.doc.replace_all(Score(tracks=(Track("Flute", 73, False, ()),)))
    assert settings.midi_thru  # on by default
    settings.audio_device = SINK_DESCRIPTION  # thru plays on the output chosen in Preferences (the sink's name)
    window.show()  # MIDI opens once the window shows, and the live synth loads
    qtbot.waitUntil(lambda: window.recording.midi.available(), timeout=3000)
    assert window.recording.midi.thru_ready(5.0), window.recording.midi.thru_status
    keyboard = bench.open_keyboard(jack_server)
    try:
        with bench.TimedCapture(pulse_server) as capture:  # one capture: parec takes seconds to start
            down = _strike(keyboard, 72)
            assert not window.player.is_playing() and window.recording.midi._thru.device == SINK
            assert window.recording.midi._thru.channel == 0 and window.recording.midi._thru._instrument == (73, False)
            dialog = PreferencesDialog(settings, [], window, recording=window.recording)
            assert dialog.midi_thru.isChecked() and dialog.play_through.currentData() == "fluidsynth"
            dialog.midi_thru.setChecked(False)
            dialog.accept()
            silent = _strike(keyboard, 72)
    finally:
        keyboard.delete()
    onset = capture.onset(down)
    assert onset is not None and onset - down < THRU_WITHIN_S
    sound = capture.audio[int((onset - capture.offset) * bench.RATE):][:4096, 0]
    spectrum = np.abs(np.fft.rfft(sound * np.hanning(len(sound))))
    c5 = spectrum[int(505 * len(sound) / bench.RATE):int(545 * len(sound) / bench.RATE)]
    assert c5.max() > 0.3 * spectrum.max()  # C5, the key played, is a main partial
    assert capture.onset(silent) is None and not settings.midi_thru


def test_without_a_midi_system_everything_is_heard_through_fluidsynth_and_the_controls_say_why(
        qapp, qtbot, settings, tmp_path, monkeypatch):
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("JACK_DEFAULT_SERVER", "cadenza-no-such-server")
    monkeypatch.setattr(midi_ports.os.path, "exists", lambda path: False)  # no /dev/snd/seq
    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    settings.play_through = "midi"  # chosen on a machine with MIDI
    w = MainWindow(settings)
    try:
        w.show()
        qtbot.waitUntil(lambda: w.recording.midi.status == midi_ports.NO_MIDI, timeout=3000)
        assert not w.player.synth_silent  # nowhere to send it: heard through FluidSynth
        dialog = PreferencesDialog(settings, [], w, recording=w.recording)
        assert not dialog.midi_box.isEnabled() and dialog.midi_reason.text() == midi_ports.NO_MIDI
        assert dialog.midi_thru.isChecked() and dialog.play_through.currentData() == "midi"  # kept for later
        dialog.reject()
        w.recording.menu.aboutToShow.emit()
        assert [a.text() for a in w.recording.menu.actions() if not a.isEnabled()] == [midi_ports.NO_MIDI]
        assert not w.recording.midi.send(Score(tracks=(Track("Piano", 0, False, (Note(start=0, pitch=69,
                                                                                       duration=480),)),)), 0)
    finally:
        w.doc.mark_saved()
        w.close()
