"""The metronome in the app: heard in the sketch's playback (captured from the null sink), not in auditions;
its toggle, volume and accent in the transport bar, kept in the settings."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from app.core.metronome import Metronome
from app.core.score import Note, Score, TempoChange, Track
from app.services.player import Player
from app.settings import Settings

from pulse import RATE, pulse_server  # noqa: F401 (the session fixture)
from test_playback import player  # noqa: F401 (a Player on the test sink)

WINDOW = RATE // 20  # 50 ms


def one_note() -> Score:
    """Two bars of 4/4 at 120 BPM with one short A4 on beat one; the other seven beats are silent."""
    notes = (Note(start=0, pitch=69, duration=240, velocity=90), Note(start=3840 - 10, pitch=69, duration=10,
                                                                      velocity=1))
    return Score(tracks=(Track("piano", 0, False, notes),), tempos=(TempoChange(0, 120.0),))


def level(audio: np.ndarray, second: float) -> float:
    part = audio[int(second * RATE):int(second * RATE) + WINDOW]
    return float(np.sqrt(np.mean(np.square(part, dtype=np.float64)))) if len(part) else 0.0


def capture_play(qtbot, player, pulse_server, with_metronome: bool) -> np.ndarray:  # noqa: F811
    score = one_note()
    with pulse_server.capture() as capture:
        with qtbot.waitSignal(player.started, timeout=20000):
            player.play(lambda: score, 0, with_metronome=with_metronome)
        with qtbot.waitSignal(player.stopped, timeout=20000):
            pass
    audio = capture.audio
    loud = np.flatnonzero(np.abs(audio).max(axis=1) > 0.01)
    assert len(loud), "nothing was heard"
    return audio[loud[0]:]  # from the note (and the first click) on beat one


def test_playback_with_the_metronome_clicks_on_the_silent_beats_and_an_audition_does_not(
        qtbot, player, pulse_server):  # noqa: F811
    player.set_metronome(Metronome(enabled=True, volume=1.0, accent=True))
    clicked = capture_play(qtbot, player, pulse_server, with_metronome=True)
    for beat in range(1, 8):
        assert level(clicked, beat * 0.5) > 0.01, beat  # a click on every beat
        assert level(clicked, beat * 0.5) > 10 * level(clicked, beat * 0.5 + 0.25), beat  # none between
    assert level(clicked, 2.0) > 1.3 * level(clicked, 2.5)  # beat one of bar two accented
    audition = capture_play(qtbot, player, pulse_server, with_metronome=False)
    for beat in range(2, 8):
        assert level(audition, beat * 0.5) < 1e-3, beat


def test_the_metronome_setting_is_kept_between_sessions(qapp, settings):
    first = Player(settings)
    assert first.metronome == Metronome(enabled=False, volume=0.7, accent=True)  # the defaults
    first.set_metronome(Metronome(enabled=True, volume=0.35, accent=False))
    settings.sync()
    again = Player(Settings(settings.store))
    assert again.metronome == Metronome(enabled=True, volume=0.35, accent=False)


def test_the_transport_toggle_volume_and_accent_change_the_metronome(qtbot):
    from app.ui.actions import SPECS, Actions
    from app.ui.transport import TransportBar

    window, roll = QWidget(), QWidget()
    qtbot.addWidget(window)
    actions = Actions(window, roll)
    bar = TransportBar(actions, QWidget(), window)
    bar.show_metronome(Metronome(enabled=False, volume=0.7, accent=True))
    assert not actions["metronome"].isChecked() and bar.metronome_volume.value() == 70
    assert bar.metronome_accent.isChecked()
    seen = []
    bar.metronome_changed.connect(seen.append)
    actions["metronome"].trigger()
    bar.metronome_volume.setValue(40)
    bar.metronome_accent.trigger()
    assert seen == [Metronome(True, 0.7, True), Metronome(True, 0.4, True), Metronome(True, 0.4, False)]
    assert bar.widgetForAction(actions["metronome"]).menu() is bar.metronome_menu
    assert actions["metronome"].shortcut().toString() == "C"
    shortcuts = [str(s.shortcut) for s in SPECS if s.shortcut is not None]
    assert shortcuts.count("C") == 1


def test_the_window_wires_the_toggle_to_the_player_and_the_settings(qtbot, settings, tmp_path, monkeypatch):
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    settings.metronome_volume = 55
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.transport.metronome_volume.value() == 55
    window.actions["metronome"].trigger()
    assert window.player.metronome == Metronome(True, 0.55, True) and settings.metronome_enabled
    calls = []
    monkeypatch.setattr(window.player, "play", lambda *a, **k: calls.append(k))
    from app import commands

    window.doc.undo_stack.push(commands.NotesCommand(window.doc, 0, [], [Note(0, 60, 480)], "Draw"))
    window.playback.play()
    assert calls == [{"with_metronome": True}]  # the sketch's playback asks for the clicks
    window.doc.mark_saved()
    window.close()
