"""Quitting an idle window (a file opened and played) ends the process within 1 s, on a real process.

The child (``idle_quit_child.py``) is ``cadenza FILE``: it opens a seed, plays it, stops, and closes the
window after a few idle seconds, by which time the spectrogram's audio analysis and the Generate panel's
model (torch) are loaded. The time runs from the close until the process has ended. The settings the
window writes on close must still be on disk.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pulse import pulse_server  # noqa: F401 (the session fixture)

CHILD = Path(__file__).with_name("idle_quit_child.py")
SEED = Path(__file__).resolve().parents[2] / "resources" / "seeds" / "afton-water.abc"
LIMIT_S = 1.0


def test_quitting_an_idle_window_after_playing_ends_the_process_within_1_s(tmp_path, pulse_server):  # noqa: F811
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "CADENZA_MODELS_DIR": str(tmp_path / "models"),
           "CADENZA_AUTOSAVE_DIR": str(tmp_path / "autosave")}
    with open(tmp_path / "stderr.txt", "w+") as err:  # a file, not a pipe: nothing a child leaves may hold it
        proc = subprocess.Popen([sys.executable, str(CHILD), str(SEED)], stdout=subprocess.PIPE, stderr=err,
                                text=True, env=env)
        line = proc.stdout.readline()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ended = time.time()
        err.seek(0)
        stderr = err.read()
    report = json.loads(line) if line.strip() else {}
    assert report.get("played"), stderr[-3000:]
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    settings = [p for p in (tmp_path / "config").rglob("*") if p.is_file()]
    assert any("geometry" in p.read_text(errors="replace") for p in settings), settings  # written on close
    seconds = ended - report["closing_at"]
    print(f"\nquit when idle: the process ended {seconds:.2f} s after the window was closed")
    assert seconds < LIMIT_S
