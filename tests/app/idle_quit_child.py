"""Child of test_quit_when_idle: ``cadenza FILE`` (the real entry, ``app.cli.main``) quit while idle.

``python idle_quit_child.py FILE`` opens FILE as ``cadenza FILE`` does (offscreen; the test points HOME,
the settings, autosaves and user models at a temporary folder), plays it for a second, stops, waits while
the window is idle (the spectrogram drawn, the Generate panel's model warmed up in the background), then
closes the window. Before closing it prints one JSON line (wall-clock time) and flushes; the parent
measures from ``closing_at`` until the process has ended.
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

IDLE_MS = 6000


def start() -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    report: dict = {}

    def close() -> None:
        if "closing_at" in report:
            return
        report["closing_at"] = time.time()
        report["played"] = report.get("played", False)
        print(json.dumps(report), flush=True)
        window.close()

    def on_started() -> None:
        report["played"] = True
        QTimer.singleShot(1000, window.playback.stop)
        QTimer.singleShot(1000 + IDLE_MS, close)

    window.player.started.connect(on_started)
    window.player.error_occurred.connect(lambda message: (report.setdefault("error", message), close()))
    window.files.opened.connect(lambda _opened: QTimer.singleShot(300, window.playback.play))
    if window.doc.path is not None:  # opened already
        QTimer.singleShot(300, window.playback.play)
    QTimer.singleShot(90_000, close)  # a safety net: the test then fails on what it reports, it never hangs


if __name__ == "__main__":
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.cli import main

    app = QApplication(sys.argv[:1])
    QTimer.singleShot(500, start)
    sys.exit(main(sys.argv[1:2]))
