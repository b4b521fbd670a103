"""Shared by GUI tests of the assembled window: a MainWindow (not shown) that never asks to save.

Import the fixture into a test module (``from plain_window import plain_window``).
"""

import pytest


@pytest.fixture
def plain_window(qtbot, settings, tmp_path, monkeypatch):
    """A MainWindow on temporary settings and autosave folder; the test shows it if it needs to."""
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    window = MainWindow(settings)
    window.files.ask_save = lambda: "discard"
    qtbot.addWidget(window)
    yield window
    window.doc.mark_saved()
    window.close()
