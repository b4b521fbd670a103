"""Take the README's screenshot of the main window with a real score, under Xvfb.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot.py [--out docs/main-window.png]

Opens a bundled Bach chorale (four tracks), waits until its spectrogram is
computed and the ABC editor shows its text, generates four variations of it
with vae-nn (``--model``; the Generation panel and the Variations gallery),
places the playhead, and saves a grab of the whole window. Settings and autosaves go to a temporary folder,
so the user's own are untouched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = "seed:bach-jesu-meine-freude"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "main-window.png"))
    parser.add_argument("--seed", default=SEED)
    parser.add_argument("--model", default="vae-nn", help="the model whose variations fill the gallery")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="cadenza-shot-")
    os.environ.update(XDG_CONFIG_HOME=home, CADENZA_AUTOSAVE_DIR=str(Path(home) / "autosave"),
                      CADENZA_MODELS_DIR=str(Path(home) / "models"))

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.formats import resolve
    from app.settings import Settings
    from app.ui.main_window import MainWindow
    from app.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = MainWindow(Settings(QSettings(str(Path(home) / "cadenza.ini"), QSettings.Format.IniFormat)))
    window.resize(1560, 940)
    window.show()

    def wait(signal, ms: int = 60000) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    window.files.open_path(resolve(args.seed), ask=False)
    wait(window.files.opened)
    wait(window.spectrogram.computed)
    generate_variations(window, args.seed, args.model, wait)
    window.doc.set_active_track(0)
    window.roll.set_playhead(window.doc.score.ppq * 6)
    window.playback.position_changed.emit(window.doc.score.ppq * 6)
    loop = QEventLoop()
    QTimer.singleShot(1500, loop.quit)  # the ABC text and the last repaints
    loop.exec()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(args.out):
        print(f"error: could not write {args.out}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    window.files.autosave.discard()
    window.doc.mark_saved()
    window.close()
    return 0


def generate_variations(window, seed: str, model: str, wait) -> None:
    """Four 4-bar variations of ``seed`` by ``model`` in the gallery (a fixed random seed: the same picture)."""
    from app.core.generation_settings import bundled_source
    from app.services.generation_controls import SliderState

    panel = window.generation_ui.panel
    window.settings.generation_audition = False
    panel.audition_button.setChecked(False)
    if not window.generation.scanned:
        panel.refresh_models()
        wait(window.generation.models_changed)
    panel.models.select(model)
    panel.seeds.choose(bundled_source(seed))
    wait(panel.seeds.preview_shown)
    panel.controls.set_state(SliderState.of(temperature=1.0, noise_sd=0.75, bars=4, variations=4, random_seed=11,
                                            locked=True))
    panel.generate()
    wait(window.generation.variations_ready)


if __name__ == "__main__":
    raise SystemExit(main())
