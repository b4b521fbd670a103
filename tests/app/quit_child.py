"""Child of test_quit_during_generation: ``cadenza``'s own GUI entry closed while it generates.

``python quit_child.py WHEN`` runs :func:`app.ui.main_window.run_gui` as ``cadenza`` does (offscreen; the
test points HOME, the settings, autosaves and user models at a temporary folder). Once the window is up it
starts a 16 x 64-bar run of the bundled note-lstm on the CPU in the window's generation service, and
closes the window WHEN the run is sampling ("sampling": after its third progress report with steps done)
or while the model still loads ("loading": right after the run starts). ``run_gui`` then returns and the
process exits with its code. Before closing, the child prints one JSON line (wall-clock times) and flushes;
the parent measures from ``closing_at`` until the process has ended.
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def start(when: str) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.services.generation import Job
    from app.ui.main_window import MainWindow
    from models.common.options import resolve_options
    from models.registry import BUNDLED_DIR, get_spec

    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    spec = get_spec("note-lstm")
    job = Job("note-lstm", str(BUNDLED_DIR / "note-lstm"), resolve_options(spec.name, spec.options, {}),
              bars=64, variations=16, random_seed=1, device="cpu")
    report: dict = {"reports": 0}

    def close() -> None:
        if "closing_at" not in report:
            report["closing_at"] = time.time()
            print(json.dumps(report), flush=True)
            window.close()

    def on_progress(p) -> None:
        report["reports"] += 1
        report["done"], report["total"] = p.done, p.total
        if when == "sampling" and p.done > 0 and report["reports"] >= 3:
            QTimer.singleShot(0, close)

    window.generation.progress.connect(on_progress)
    window.generation.generate(job)
    report["started_at"] = time.time()
    if when == "loading":
        QTimer.singleShot(100, close)
    QTimer.singleShot(180_000, close)  # a safety net: the test then fails on the times, it never hangs


if __name__ == "__main__":
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import run_gui

    app = QApplication(sys.argv[:1])
    QTimer.singleShot(500, lambda: start(sys.argv[1]))
    sys.exit(run_gui([]))
