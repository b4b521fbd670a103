"""Start-up: process start to the main window shown, against a bare PySide6 window, same run.

Each case runs in a fresh Python process started the same way (``python -c``
with the same interpreter and environment). The parent notes the wall clock
just before starting the process; the child reports the wall clock when its
event loop first runs after ``show()`` (the window is mapped and painted in
that first pass), and whether torch was imported by then (it must not be:
models load lazily, after the window shows). Median of 5 runs each
(``--quick``: 2); prints one JSON object; ``run(quick)`` returns it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication.instance() or QApplication(sys.argv[:1])

def report():
    shown = [w for w in app.topLevelWidgets() if w.isVisible()]
    print(json.dumps({"t": time.time(), "shown": len(shown), "torch": "torch" in sys.modules}), flush=True)
    app.quit()

QTimer.singleShot(0, report)
"""

BARE = PROBE + """
from PySide6.QtWidgets import QMainWindow
window = QMainWindow()
window.resize(1400, 860)
window.show()
app.exec()
"""

CADENZA = PROBE + """
from app.ui.main_window import run_gui
run_gui([])
"""


def _once(code: str, env: dict[str, str]) -> dict:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"start-up probe failed: {out.stderr.strip()[-500:]}")
    report = json.loads(lines[-1])
    return {"seconds": report["t"] - start, "shown": report["shown"], "torch": report["torch"]}


def run(quick: bool = False) -> dict:
    runs = 2 if quick else 5
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   XDG_CONFIG_HOME=home, CADENZA_AUTOSAVE_DIR=str(Path(home) / "autosave"))
        bare, ours = [], []
        for _ in range(runs):  # interleaved, so machine load hits both alike
            bare.append(_once(BARE, env))
            ours.append(_once(CADENZA, env))
    bare_s = statistics.median(r["seconds"] for r in bare)
    ours_s = statistics.median(r["seconds"] for r in ours)
    return {
        "benchmark": "startup",
        "runs": runs,
        "bare_pyside6_window_s": round(bare_s, 3),
        "cadenza_window_s": round(ours_s, 3),
        "ratio_cadenza_over_bare": round(ours_s / bare_s, 2),
        "ratio_vs_bare_qt": round(ours_s / bare_s, 2),  # the name `cadenza bench` reports it under
        "window_shown": all(r["shown"] for r in ours),
        "torch_loaded_at_startup": any(r["torch"] for r in ours),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
