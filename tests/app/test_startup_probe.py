"""The GUI's start-up probe (``CADENZA_STARTUP_PROBE``), which ``make package-check`` times the bundle with."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_probe_reports_when_the_window_is_up_with_its_file_open(tmp_path):
    probe = tmp_path / "probe.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "CADENZA_STARTUP_PROBE": str(probe),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "CADENZA_AUTOSAVE_DIR": str(tmp_path / "autosave"), "CADENZA_MODELS_DIR": str(tmp_path / "models")}
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "app", "seed:afton-water"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(probe.read_text(encoding="utf-8"))
    assert report["opened"] is True
    assert started < report["ready_at"] < time.time()
    assert not list((tmp_path / "autosave").glob("*"))  # quitting left no autosave behind
