"""Shared by the generation GUI tests: a main window with its models listed, and a generate helper.

Import the fixture into a test module (``from generation_window import gen_window``).
User models go to a temporary folder; audition starts off so runs are silent.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.core.generation_settings import bundled_source
from app.services.generation_controls import SliderState

SEED = "seed:swing-ride-in-f"
TIMEOUT_MS = 60000


@pytest.fixture
def gen_window(qtbot, settings, tmp_path, monkeypatch):
    """A shown MainWindow whose Generation panel has listed the models (markov chosen, seed chosen)."""
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    settings.generation_audition = False
    window = MainWindow(settings)
    window.files.ask_save = lambda: "discard"
    qtbot.addWidget(window)
    window.show()
    window.docks["generate"].raise_()
    panel = window.generation_ui.panel
    with qtbot.waitSignal(window.generation.models_changed, timeout=TIMEOUT_MS):
        panel.refresh_models()
    assert panel.models.select("markov")
    with qtbot.waitSignal(panel.seeds.preview_shown, timeout=TIMEOUT_MS):
        panel.seeds.choose(bundled_source(SEED))
    panel.controls.set_state(SliderState.of(temperature=1.0, bars=2, variations=3, random_seed=7, locked=True))
    yield window
    window.doc.mark_saved()
    window.close()


def generate(window, qtbot, click: bool = True) -> list:
    """Generate (clicking the button) and return the variations the service delivered."""
    panel = window.generation_ui.panel
    with qtbot.waitSignal(window.generation.variations_ready, timeout=TIMEOUT_MS) as blocker:
        if click:
            qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
        else:
            panel.generate()
    return blocker.args[0]


def notes_of(score) -> list:
    return sorted(n for t in score.tracks for n in t.notes)
