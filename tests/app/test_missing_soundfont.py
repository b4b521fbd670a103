"""Without a SoundFont, Play says what to install in a dialog once per session, and the spectrogram says why
it is empty (the system's SoundFonts are hidden from the search, as tests/audio does)."""

import pytest

from app.audio import soundfonts
from app.core.score import Note, Score, Track
from pulse import pulse_server  # noqa: F401 (the session fixture)

INSTALL = "fluid-soundfont-gm"


@pytest.fixture
def window(qtbot, settings, tmp_path, monkeypatch, pulse_server):  # noqa: F811
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    monkeypatch.delenv(soundfonts.ENV_VAR, raising=False)
    monkeypatch.setattr(soundfonts, "system_candidates", lambda: [])
    w = MainWindow(settings)
    w.told = []
    w.missing_soundfont.tell = w.told.append
    qtbot.addWidget(w)
    w.show()
    yield w
    w.doc.mark_saved()
    w.close()


def melody() -> Score:
    return Score(tracks=(Track("Lead", 0, False, tuple(Note(i * 480, 60 + i, 480) for i in range(4))),))


def test_play_without_a_soundfont_says_what_to_install_once(window, qtbot):
    window.doc.replace_all(melody())
    for _ in range(3):
        with qtbot.waitSignal(window.player.stopped, timeout=20000):
            window.playback.play()
    assert len(window.told) == 1 and INSTALL in window.told[0]  # a dialog the first time, not on every Play
    assert INSTALL in window.statusBar().currentMessage()
    assert INSTALL in window.spectrogram.message() and window.spectrogram.spectrogram() is None


def test_the_spectrogram_says_why_it_is_empty(window, qtbot):
    with qtbot.waitSignal(window.spectrogram.failed, timeout=20000):
        window.doc.replace_all(melody())
    assert window.spectrogram.message() == soundfonts.NOT_FOUND  # the reason itself, in one sentence
    assert window.told == []  # no dialog before the musician asks for sound
