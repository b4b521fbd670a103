"""Help ▸ About shows the one version (pyproject's, through app.__version__)."""

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__


@pytest.fixture
def window(qtbot, settings, tmp_path, monkeypatch):
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_help_about_shows_the_version(window, qtbot):
    help_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&Help")
    assert window.actions["about"] in help_menu.actions()
    window.actions["about"].trigger()
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert box.windowTitle() == "About Cadenza"
    assert f"Cadenza {__version__}" in box.text()
    box.accept()
