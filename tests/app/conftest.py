"""GUI tests: offscreen Qt, settings in a temporary INI file, a task runner that is shut down."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    from app.settings import Settings

    return Settings(QSettings(str(tmp_path / "cadenza.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def runner(qapp):
    from app.tasks import TaskRunner

    r = TaskRunner()
    yield r
    r.shutdown()


@pytest.fixture
def doc(qapp):
    from app.document import Document

    return Document()


@pytest.fixture
def make_roll(doc, qtbot):
    """A shown PianoRoll on ``doc`` holding ``score``, snap 1/16, scrolled to the start around ``centre``."""
    from app.ui.pianoroll import PianoRoll, editing

    def make(score, centre: int = 60):
        doc.replace_all(score)
        widget = PianoRoll(doc)
        qtbot.addWidget(widget)
        widget.resize(1000, 700)
        widget.show()
        qtbot.waitExposed(widget)
        widget.set_snap("1/16")
        widget.view.center_pitch(centre)
        widget.scroll_to_tick(0)
        editing.CLIPBOARD.clear()
        return widget

    return make
