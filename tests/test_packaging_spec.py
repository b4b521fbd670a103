"""packaging/cadenza.spec is valid Python naming files that exist, and the bundle's runtime hook finds a library
in the bundle before the system's (pyfluidsynth's find_library("fluidsynth")). The build itself is
``make package-check``."""

from __future__ import annotations

import ctypes.util
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def test_spec_compiles_and_names_existing_files():
    text = (PACKAGING / "cadenza.spec").read_text()
    compile(text, "cadenza.spec", "exec")
    for name in ("cadenza_entry.py", "rthook_bundled_libs.py"):
        assert name in text and (PACKAGING / name).is_file()
    assert '"resources"' in text and (ROOT / "resources" / "checkpoints").is_dir()


def test_runtime_hook_prefers_the_bundled_library(tmp_path, monkeypatch):
    (tmp_path / "libfluidsynth.so.3").write_bytes(b"")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", ctypes.util.find_library)  # restored afterwards
    runpy.run_path(str(PACKAGING / "rthook_bundled_libs.py"))
    assert ctypes.util.find_library("fluidsynth") == str(tmp_path / "libfluidsynth.so.3")
    assert ctypes.util.find_library("libfluidsynth") == str(tmp_path / "libfluidsynth.so.3")
    assert ctypes.util.find_library("surely-no-such-library") is None
