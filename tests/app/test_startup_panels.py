"""The window's first frame needs no pyqtgraph, numpy, QtMultimedia or pretty_midi; its panels come right after.

The piano roll, transport and empty docks are built before ``show()``; the
track list, the generation docks, the ABC editor and the spectrogram are
built one per event-loop turn after the first paint, or at once when asked
for (``window.tracks``), so a window that is never shown still has them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from plain_window import plain_window  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pyqtgraph", "numpy", "PySide6.QtMultimedia", "pretty_midi", "torch")
PANELS = {"tracks": "TrackList", "abc": "AbcEditor", "spectrogram": "SpectrogramView",
          "generate": "GenerationPanel", "variations": "VariationsGallery", "phrases": "PhrasesView"}

FIRST_FRAME = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.ui.main_window import MainWindow

app = QApplication([])
seen = {}

def first_turn():  # the event loop's first turn, as the start-up benchmark measures it
    seen["first"] = [name for name in HEAVY if name in sys.modules]

QTimer.singleShot(0, first_turn)
window = MainWindow()
window.files.ask_save = lambda: "discard"
window.show()

def later(tries=[0]):
    seen["later"] = {name: type(window.docks[name].widget()).__name__ for name in PANELS}
    tries[0] += 1
    if seen["later"] != PANELS and tries[0] < 300:
        QTimer.singleShot(50, later)
        return
    window.close()
    app.quit()

QTimer.singleShot(50, later)
app.exec()
print(json.dumps(seen))
"""


def test_the_first_frame_loads_no_heavy_module_and_the_panels_follow(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path),
               CADENZA_AUTOSAVE_DIR=str(tmp_path / "autosave"))
    code = f"HEAVY = {HEAVY!r}\nPANELS = {PANELS!r}\n" + FIRST_FRAME
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"first": [], "later": PANELS}


def test_a_shown_window_builds_every_panel_into_its_dock(plain_window, qtbot):
    window = plain_window
    window.show()
    qtbot.waitUntil(lambda: type(window.docks["spectrogram"].widget()).__name__ == "SpectrogramView", timeout=20000)
    assert {name: type(window.docks[name].widget()).__name__ for name in PANELS} == PANELS
    assert window.docks["tracks"].widget() is window.tracks and window.docks["abc"].widget() is window.abc
    assert window.docks["spectrogram"].widget() is window.spectrogram
    assert window.spectrogram_service is window.spectrogram.service
    assert window.docks["generate"].widget() is window.generation_ui.panel
    assert window.generation is window.generation_ui.service


def test_a_panel_asked_for_before_the_window_shows_is_built_at_once(plain_window):
    window = plain_window
    assert window.tracks.tree.topLevelItemCount() == 1  # the empty sketch's one track
    assert window.docks["tracks"].widget() is window.tracks
    assert type(window.docks["spectrogram"].widget()).__name__ == "QWidget"  # not asked for, not shown: not built
