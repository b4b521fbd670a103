"""Tally the real-world regression set: every file through the CLI, each run classified.

    .venv/bin/python tools/realworld_tally.py [--data tests/data/realworld] [--subprocess] [--json OUT]

Each file goes through ``cadenza info``, ``convert`` to ``.mid``, ``.abc`` and
``.musicxml``, and ``generate --model NAME --seed FILE --bars 4`` for the models
that read ABC text and for the baseline (from their specs; ``--models`` names others).
Each run is

- **ok**: exit 0, and what it wrote reads back (a conversion keeps the notes
  up to the format's known limits: all of them in MIDI, 90% in ABC and
  MusicXML, which quantize);
- **refused**: a clean refusal, exit 1 with one ``error:`` line (refusals
  that still hold Python words, e.g. ``TypeError``, are counted in ``py``);
- **wrong**: exit 0 but the output does not read back, or loses notes;
- **unexpected**: a traceback, "unexpected failure", a crash or a hang.

Runs are forked from this process with the CLI's ``main`` (fast: the imports
are shared), or with ``--subprocess`` started as ``python -m app`` (slower,
exactly what a user runs). The code under test is whatever ``app`` imports:
run with ``PYTHONPATH=/other/checkout`` to tally another commit. The report
adds round-trip rates (input notes found again, by pitch and onset, MIDI ->
MIDI, -> ABC, -> MusicXML; the ABC written also read by ``abc2midi`` when it
is installed), the agreement of our ABC reading with ``abc2midi``'s, and the
time and memory of the slowest run and of the largest file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "realworld"
FORMATS = {".mid": "MIDI", ".midi": "MIDI", ".abc": "ABC", ".musicxml": "MusicXML", ".xml": "MusicXML",
           ".mxl": "MusicXML", ".cadenza": "project"}
CONVERSIONS = ("info", "to .mid", "to .abc", "to .musicxml")
KEEP = {".mid": 0.99, ".abc": 0.90, ".musicxml": 0.90}  # share of notes a conversion must keep
CLASSES = ("ok", "refused", "wrong", "unexpected")
PYTHON_WORDS = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|Traceback|NoneType|not enough values to unpack|"
                          r"could not convert string|object has no attribute|unsupported operand")


@dataclass
class Run:
    file: str
    format: str
    command: str
    outcome: str = "ok"
    detail: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    max_rss_mb: float = 0.0
    python_words: bool = False
    keep_rate: float | None = None
    abc2midi_rate: float | None = None


@dataclass
class Report:
    runs: list[Run] = field(default_factory=list)
    reading_agreement: dict[str, float] = field(default_factory=dict)  # ABC file -> agreement with abc2midi


# -- running one command -----------------------------------------------------------------------

def _preload() -> None:
    """Import what every run needs once, so forked runs start at once (torch is imported, never used here)."""
    import app.cli  # noqa: F401
    import app.core.formats  # noqa: F401
    import music21  # noqa: F401
    try:
        import torch  # noqa: F401
        import models.registry  # noqa: F401
    except ImportError:
        pass


def _forked(argv: list[str], out: Path, err: Path) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: the CLI's main, output to files, its own process group (killed whole on a hang)
        os.setpgid(0, 0)
        for fd, path in ((1, out), (2, err)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        from app.cli import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:
        traceback.print_exc()
        code = 70
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


def _spawned(argv: list[str], out: Path, err: Path) -> int:
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "app", *argv], stdout=o, stderr=e, start_new_session=True,
                                cwd=out.parent,  # not a checkout: ``-m app`` then finds the code under test
                                env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(REPO))})
    return proc.pid


def run_cli(argv: list[str], timeout: float, use_subprocess: bool) -> tuple[int | None, str, str, dict]:
    """``(exit code or None on a hang/crash signal, stdout, stderr, usage)`` of one CLI run."""
    with tempfile.TemporaryDirectory(prefix="tally-") as tmp:
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        start = time.monotonic()
        pid = (_spawned if use_subprocess else _forked)(argv, out, err)
        status = usage = None
        while time.monotonic() - start < timeout:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, usage = os.wait4(pid, 0)
            status = "hang"
        seconds = time.monotonic() - start
        stdout = out.read_text(errors="replace") if out.exists() else ""
        stderr = err.read_text(errors="replace") if err.exists() else ""
    info = {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime if usage else 0.0,
            "rss_mb": usage.ru_maxrss / 1024 if usage else 0.0}
    if status == "hang":
        return None, stdout, stderr + f"\n(hang: killed after {timeout:g} s)", info
    if os.WIFSIGNALED(status):
        return None, stdout, stderr + f"\n(crash: signal {os.WTERMSIG(status)})", info
    return os.WEXITSTATUS(status), stdout, stderr, info


def classify(code: int | None, stderr: str) -> tuple[str, str, bool]:
    """``(outcome, detail, python words)`` from an exit code and the error output."""
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("note: ")]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    detail = (errors[0] if errors else (lines[-1] if lines else ""))[:300]
    words = bool(PYTHON_WORDS.search(" ".join(errors)))
    if code is None or "Traceback (most recent call last)" in stderr or "unexpected failure" in stderr:
        return "unexpected", detail, words
    if code == 0:
        return "ok", "", False
    if code == 1 and len(errors) == 1:
        return "refused", detail, words
    return "unexpected", f"exit {code}: {detail}", words


# -- notes compared -----------------------------------------------------------------------------

def note_keys(score) -> list[tuple[int, float]]:
    """(pitch, onset in quarter notes) of every note."""
    return [(n.pitch, n.start / score.ppq) for t in score.tracks for n in t.notes]


def match_rate(reference: list[tuple[int, float]], other: list[tuple[int, float]], tolerance: float = 1 / 16,
               align: bool = False) -> float:
    """Share of ``reference`` notes found in ``other`` (same pitch, onset within ``tolerance`` quarters).

    With ``align`` both start at their first note (readers that place a pickup differently still agree).
    """
    if not reference:
        return 1.0
    if align and other:
        first_ref, first_other = min(o for _, o in reference), min(o for _, o in other)
        other = [(p, o - first_other + first_ref) for p, o in other]
    by_pitch: dict[int, list[float]] = defaultdict(list)
    for pitch, onset in other:
        by_pitch[pitch].append(onset)
    found = 0
    for pitch, onsets in by_pitch.items():
        onsets.sort()
    wanted: dict[int, list[float]] = defaultdict(list)
    for pitch, onset in reference:
        wanted[pitch].append(onset)
    for pitch, onsets in wanted.items():
        onsets.sort()
        pool, j = by_pitch.get(pitch, []), 0
        for onset in onsets:
            while j < len(pool) and pool[j] < onset - tolerance:
                j += 1
            if j < len(pool) and abs(pool[j] - onset) <= tolerance:
                found += 1
                j += 1
    return found / len(reference)


def midi_keys(path: Path) -> list[tuple[int, float]]:
    """(pitch, onset in quarters) of a MIDI file's notes, read with mido alone (the reference reader)."""
    import mido

    mid = mido.MidiFile(str(path))
    keys = []
    for track in mid.tracks:
        now = 0
        for msg in track:
            now += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                keys.append((msg.note, now / mid.ticks_per_beat))
    return keys


def abc2midi_keys(abc: Path, tmp: Path) -> list[tuple[int, float]] | None:
    """The notes abc2midi plays for the first tune of ``abc`` (guitar chords off), or None without abc2midi."""
    if shutil.which("abc2midi") is None:
        return None
    text = abc.read_text(encoding="utf-8", errors="replace")
    first = re.search(r"^X:\s*(\d+)", text, re.M)
    out = tmp / (abc.stem + ".abc2midi.mid")
    args = ["abc2midi", str(abc)] + ([first[1]] if first else []) + ["-NGUI", "-silent", "-o", str(out)]
    try:
        subprocess.run(args, capture_output=True, timeout=60)
        return midi_keys(out) if out.exists() else []
    except (subprocess.SubprocessError, OSError, ValueError, EOFError, KeyError, IndexError):
        return []


def _read(path: Path):
    from app.core.formats import load_score

    return load_score(path)


def default_models() -> dict[str, str]:
    """Model name -> output extension: every model that reads ABC text (.abc) and the baseline (.mid), from the
    specs of the code under test; SystemExit with a sentence when that code has no specs (pass --models)."""
    try:
        from models.common.spec import ABC_TEXT
        from models.registry import baseline_spec, model_specs
    except ImportError:
        raise SystemExit("error: the code under test has no model specs; name the models with --models NAME[:.EXT],...")
    chosen = {s.name: ".abc" for s in model_specs() if ABC_TEXT in s.seeds}
    base = baseline_spec()
    if base is not None:
        chosen.setdefault(base.name, ".mid")
    return chosen


# -- one file ------------------------------------------------------------------------------------

def tally_file(path: Path, report: Report, timeout: float, use_subprocess: bool, commands: list[str],
               outputs: dict[str, str]) -> None:
    fmt = FORMATS.get(path.suffix.lower(), "other")
    if path.name.startswith("fuzz_"):
        fmt = "fuzzed"
    try:
        source = note_keys(_read(path))
    except Exception:  # noqa: BLE001  (a refused input: conversions are judged on their own)
        source = None
    with tempfile.TemporaryDirectory(prefix="tally-out-") as tmp:
        tmp = Path(tmp)
        if fmt == "ABC" and source is not None:
            theirs = abc2midi_keys(path, tmp)
            if theirs is not None:
                report.reading_agreement[path.name] = round(min(match_rate(source, theirs, align=True),
                                                                match_rate(theirs, source, align=True)), 3)
        for command in commands:
            argv, out = _argv(command, path, tmp, outputs)
            code, _, stderr, usage = run_cli(argv, timeout, use_subprocess)
            outcome, detail, words = classify(code, stderr)
            run = Run(path.name, fmt, command, outcome, detail, round(usage["seconds"], 2), round(usage["cpu"], 2),
                      round(usage["rss_mb"], 1), words)
            if outcome == "ok" and out is not None:
                _check_output(run, out, source, tmp)
            report.runs.append(run)
            mark = {"ok": ".", "refused": "r", "wrong": "W", "unexpected": "U"}[run.outcome]
            print(mark, end="", flush=True)


def _argv(command: str, path: Path, tmp: Path, outputs: dict[str, str]) -> tuple[list[str], Path | None]:
    if command == "info":
        return ["info", "--json", str(path)], None
    if command.startswith("to "):
        out = tmp / f"out{command[3:]}"
        return ["convert", str(path), "--out", str(out)], out
    ext = outputs.get(command, ".mid")
    out = tmp / f"gen-{command}{ext}"
    return ["generate", "--model", command, "--seed", str(path), "--bars", "4", "--random-seed", "1",
            "--out", str(out)], out


def _check_output(run: Run, out: Path, source, tmp: Path) -> None:
    """Downgrade an ok run to wrong when its file does not read back or lost notes."""
    try:
        back = _read(out)
    except Exception as exc:  # noqa: BLE001
        run.outcome, run.detail = "wrong", f"the output does not read back: {exc}"[:300]
        return
    if run.command not in CONVERSIONS:
        if back.note_count == 0:
            run.outcome, run.detail = "wrong", "the generated file holds no notes"
        return
    if source is None:
        return
    ext = out.suffix
    run.keep_rate = round(match_rate(source, note_keys(back)), 3)
    if ext == ".mid":
        run.keep_rate = round(min(run.keep_rate, match_rate(source, midi_keys(out))), 3)
    if ext == ".abc":
        theirs = abc2midi_keys(out, tmp)
        run.abc2midi_rate = None if theirs is None else round(match_rate(source, theirs, align=True), 3)
    if run.keep_rate < KEEP[ext]:
        run.outcome, run.detail = "wrong", f"kept {run.keep_rate:.0%} of the notes"


# -- the tables ----------------------------------------------------------------------------------

def tables(report: Report) -> str:
    formats = sorted({r.format for r in report.runs}, key=["MIDI", "ABC", "MusicXML", "project", "fuzzed"].index)
    commands = list(dict.fromkeys(r.command for r in report.runs))
    lines = ["ok / refused / wrong / unexpected (py: refusals in Python words)", ""]
    header = f"{'format':<9} {'files':>5} " + " ".join(f"{c:>17}" for c in commands)
    lines += [header, "-" * len(header)]
    totals = defaultdict(lambda: defaultdict(int))
    for fmt in formats + ["all"]:
        runs = [r for r in report.runs if fmt in ("all", r.format)]
        files = len({r.file for r in runs})
        cells = []
        for c in commands:
            counts = defaultdict(int)
            for r in runs:
                if r.command == c:
                    counts[r.outcome] += 1
                    counts["py"] += r.python_words
                    if fmt != "all":
                        totals[c][r.outcome] += 1
            cell = "/".join(str(counts[k]) for k in CLASSES) + (f" py{counts['py']}" if counts["py"] else "")
            cells.append(f"{cell:>17}")
        lines.append(f"{fmt:<9} {files:>5} " + " ".join(cells))
    lines += ["", "round trips (input notes found again, mean over files that converted):"]
    for fmt in formats:
        parts = []
        for c in ("to .mid", "to .abc", "to .musicxml"):
            rates = [r.keep_rate for r in report.runs if r.format == fmt and r.command == c and r.keep_rate is not None]
            if rates:
                parts.append(f"{c[3:]} {sum(rates) / len(rates):.1%} ({sum(x >= 0.999 for x in rates)}/{len(rates)} exact)")
        ref = [r.abc2midi_rate for r in report.runs if r.format == fmt and r.abc2midi_rate is not None]
        if ref:
            parts.append(f".abc by abc2midi {sum(ref) / len(ref):.1%}")
        if parts:
            lines.append(f"  {fmt:<9} " + ", ".join(parts))
    if report.reading_agreement:
        agree = report.reading_agreement
        lines.append(f"  ABC reading agrees with abc2midi: mean {sum(agree.values()) / len(agree):.1%}, "
                     f"{sum(v >= 0.999 for v in agree.values())}/{len(agree)} files exactly")
    slow = max(report.runs, key=lambda r: r.seconds)
    heavy = max(report.runs, key=lambda r: r.max_rss_mb)
    lines += ["", f"slowest run: {slow.file} {slow.command}: {slow.seconds:.1f} s ({slow.cpu_seconds:.1f} s CPU)",
              f"most memory: {heavy.file} {heavy.command}: {heavy.max_rss_mb:.0f} MB"]
    return "\n".join(lines)


def problems(report: Report) -> str:
    rows = [r for r in report.runs if r.outcome in ("wrong", "unexpected") or r.python_words]
    return "\n".join(f"  {r.outcome:<10} {r.file} [{r.command}] {r.detail}" for r in rows) or "  none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of files (default: the regression set)")
    parser.add_argument("--only", default="", help="a substring the file names must hold")
    parser.add_argument("--commands", default=",".join(CONVERSIONS), help="comma-separated subset of "
                        + ", ".join(CONVERSIONS) + " (default: all)")
    parser.add_argument("--models", default="auto", help="models to generate with, NAME[:.EXT],... (default: the "
                        "models that read ABC text, writing .abc, and the baseline, writing .mid; none: no generation)")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds before a run counts as a hang")
    parser.add_argument("--subprocess", action="store_true", help="start python -m app for every run (slower)")
    parser.add_argument("--json", type=Path, help="also write every run as JSON")
    parser.add_argument("--refusals", action="store_true", help="also list every clean refusal")
    args = parser.parse_args(argv)
    import app

    print(f"code under test: {Path(app.__file__).parent.parent}", flush=True)
    if not args.subprocess:
        _preload()
    files = sorted(p.resolve() for p in args.data.iterdir() if p.suffix.lower() in FORMATS and args.only in p.name)
    outputs = default_models() if args.models == "auto" else dict(
        (m.split(":") + [".mid"])[:2] for m in args.models.split(",") if m.strip() and m != "none")
    commands = [c.strip() for c in args.commands.split(",") if c.strip()] + list(outputs)
    report = Report()
    start = time.monotonic()
    for path in files:
        tally_file(path, report, args.timeout, args.subprocess, commands, outputs)
    print(f"\n{len(files)} files, {len(report.runs)} runs in {time.monotonic() - start:.0f} s\n")
    print(tables(report))
    print("\nwrong, unexpected, or refused in Python words:\n" + problems(report))
    if args.refusals:
        print("\nclean refusals:\n" + "\n".join(f"  {r.file} [{r.command}] {r.detail}" for r in report.runs
                                                if r.outcome == "refused"))
    if args.json:
        args.json.write_text(json.dumps({"runs": [asdict(r) for r in report.runs],
                                         "reading_agreement": report.reading_agreement}, indent=1))
    return 1 if any(r.outcome in ("wrong", "unexpected") for r in report.runs) else 0


if __name__ == "__main__":
    sys.exit(main())
