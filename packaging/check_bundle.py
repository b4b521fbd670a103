"""Check the built bundle (``make package-check`` runs this after ``make package``).

Runs dist/Cadenza/cadenza offscreen: ``--version`` (pyproject's version), ``info seed:afton-water`` (its
title and notes) and ``render`` of that seed (a WAV of the right length that is not silent); then prints the
figures: bundle and tarball size, and the start-up time of ``cadenza --version``, ``info`` and of the GUI (its
window up with the seed open, offscreen, timed by the start-up probe) for the bundle and for the venv (what
``make run`` starts). Exits 1 with the failures listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from array import array
from pathlib import Path

from make_tarball import ROOT, tarball_name, version

BUNDLE = ROOT / "dist" / "Cadenza" / "cadenza"
VENV = [str(ROOT / ".venv" / "bin" / "python"), "-m", "app"]
SEED = "seed:afton-water"


def run(command: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    return done, time.perf_counter() - start


def best_of(command: list[str], env: dict, times: int = 3) -> float:
    return round(min(run(command, env)[1] for _ in range(times)), 2)


def gui_start(command: list[str], env: dict, probe: Path) -> float:
    """Seconds from starting ``command`` (the GUI opening the seed) to its window up with the seed open,
    as the GUI's start-up probe reports (app/ui/startup_probe.py); the process then quits by itself."""
    probe.unlink(missing_ok=True)
    started = time.time()
    subprocess.run(command + [SEED], capture_output=True, env={**env, "CADENZA_STARTUP_PROBE": str(probe)},
                   timeout=300)
    report = json.loads(probe.read_text(encoding="utf-8")) if probe.is_file() else {}
    if not report.get("opened"):
        raise RuntimeError(f"{command[0]} did not open {SEED} in its window")
    return report["ready_at"] - started


def best_gui_start(command: list[str], env: dict, probe: Path, times: int = 3) -> float:
    return round(min(gui_start(command, env, probe) for _ in range(times)), 2)


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return round(sum(p.stat().st_size for p in files) / 1e6, 1)


def wav_problem(path: Path, seconds: float) -> str | None:
    if not path.is_file():
        return "render wrote no file"
    with wave.open(str(path)) as w:
        duration = w.getnframes() / w.getframerate()
        samples = array("h", w.readframes(w.getnframes()))
    if not seconds <= duration <= seconds + 5:
        return f"render lasts {duration:.2f} s, the seed {seconds} s"
    if max(map(abs, samples), default=0) < 100:
        return "render is silent"
    return None


def licence_problems(internal: Path) -> list[str]:
    """The bundle's licences folder says what is under which licence, and carries the GPL text and the exact
    Debian versions that Readline (linked by libfluidsynth) obliges it to (packaging/LICENCES.txt)."""
    licences = internal / "licences"
    problems = [f"{name} is missing" for name in ("LICENCES.txt", "cadenza/LICENSE", "debian-packages.txt",
                                                  "common-licenses/GPL-3", "libreadline8/copyright")
                if not (licences / name).is_file()]
    if not problems:
        listed = (licences / "debian-packages.txt").read_text(encoding="utf-8")
        problems += [f"debian-packages.txt does not list {p}" for p in ("libreadline8 ", "libfluidsynth3 ")
                     if p not in listed]
    return problems


def main() -> int:
    failures = licence_problems(BUNDLE.parent / "_internal")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": tmp, "XDG_CONFIG_HOME": f"{tmp}/config",
               "XDG_CACHE_HOME": f"{tmp}/cache", "XDG_DATA_HOME": f"{tmp}/data"}
        done, _ = run([str(BUNDLE), "--version"], env)
        if done.stdout.strip() != f"cadenza {version()}":
            failures.append(f"--version said {done.stdout.strip()!r} {done.stderr.strip()!r}")
        done, _ = run([str(BUNDLE), "info", SEED], env)
        if "Afton Water" not in done.stdout or "Notes:           32" not in done.stdout:
            failures.append(f"info said {done.stdout!r} {done.stderr.strip()!r}")
        wav = Path(tmp) / "afton.wav"
        done, render_s = run([str(BUNDLE), "render", SEED, "--out", str(wav)], env)
        problem = wav_problem(wav, 17.33) if done.returncode == 0 else f"render failed: {done.stderr.strip()}"
        if problem:
            failures.append(problem)
        figures = {
            "version": version(),
            "bundle_mb": size_mb(BUNDLE.parent),
            "tarball_mb": size_mb(ROOT / "dist" / f"{tarball_name(version())}.tar.gz"),
            "render_s": round(render_s, 2),
            "start_version_s": {"bundle": best_of([str(BUNDLE), "--version"], env),
                                "venv": best_of(VENV + ["--version"], env)},
            "start_info_s": {"bundle": best_of([str(BUNDLE), "info", SEED], env),
                             "venv": best_of(VENV + ["info", SEED], env)},
        }
        try:  # the window up with the seed open: what a musician waits for after a click in the menu
            probe = Path(tmp) / "startup.json"
            figures["start_gui_s"] = {"bundle": best_gui_start([str(BUNDLE)], env, probe),
                                      "venv": best_gui_start(VENV, env, probe)}
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            failures.append(f"GUI start-up: {exc}")
    print(json.dumps(figures, indent=1))
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
