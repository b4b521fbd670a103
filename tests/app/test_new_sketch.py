"""New Sketch starts afresh: the untitled title, the playhead at 0 (transport and spectrogram too), no loop."""

from pathlib import Path

import pytest

from app.commands import set_marker_command
from plain_window import plain_window  # noqa: F401 (fixture)

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def window(plain_window):
    plain_window.show()
    return plain_window


def test_new_sketch_resets_the_title_and_the_playhead(window, qtbot):
    with qtbot.waitSignal(window.files.opened, timeout=20000):
        window.files.open_path(DATA / "abc" / "multi_tune.abc", ask=False)
    assert window.doc.score.title and window.windowTitle().startswith("multi_tune.abc")
    window.roll.ruler.playhead_moved.emit(3 * 1920)  # the musician clicks the ruler at bar 4
    window.roll.set_loop_region((0, 1920))
    assert window.transport.position.text().startswith("4.1")
    window.actions["new"].trigger()
    assert window.doc.path is None and window.doc.score.note_count == 0
    assert window.windowTitle() == "Untitled[*] — Cadenza" and not window.isWindowModified()
    assert window.roll.playhead() == 0 and window.spectrogram.playhead() == 0.0
    assert window.transport.position.text() == "1.1  0:00.0" and window.roll.loop_region() is None


def test_a_cancelled_new_sketch_keeps_everything(window, qtbot):
    window.roll.ruler.playhead_moved.emit(1920)
    window.doc.undo_stack.push(set_marker_command(window.doc, "tempo", 0, 90))
    window.files.ask_save = lambda: "cancel"
    window.actions["new"].trigger()
    assert window.doc.score.tempos[0].bpm == 90 and window.roll.playhead() == 1920
