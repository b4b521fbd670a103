"""Every benchmark of ``benchmarks/`` in one run, merged into one JSON object (``cadenza bench``).

Each ``benchmarks/NAME_bench.py`` has ``run(quick) -> dict``; the nested dicts
are merged key by key (a benchmark that returns a flat dict naming itself
under ``"benchmark"`` is nested under that name). Each benchmark runs in a
fresh process of this interpreter (so one that sets up Qt, audio or
environment variables leaves nothing behind for the next). A benchmark that
fails does not stop the others: its one-line reason goes under ``errors``.
``machine`` says where the figures were measured (CPU, cores, GPU,
versions); ``timing`` how long each benchmark took, in seconds.

The full run takes medians of repeated runs, one benchmark at a time on a
quiet machine. ``--quick`` runs every benchmark's short form (one repeat,
smaller inputs) and, to finish in well under a minute on two cores, two
benchmarks at once, each on one compute thread; the UI-stall benchmark
(:data:`SOLO`) still runs alone. Each figure compares ours and the
alternative measured in the same process under the same load, so the ratios
hold; absolute times of a quick run are rougher. ``--only`` runs
some benchmarks (by NAME, comma-separated), ``--jobs`` sets how many run at
once.

    .venv/bin/python benchmarks/run_all.py --quick
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
MARK = "CADENZA_BENCH_RESULT "  # the child's result line
#: Benchmarks whose figures suffer from a busy second core (UI stalls while generating in a worker thread):
#: they run alone, before the others.
SOLO = frozenset({"ui_responsiveness", "midi_latency"})  # and MIDI timing
#: Rough seconds of each ``--quick`` benchmark on one core, to start the longest first.
TYPICAL_QUICK_S = {"music_transformer": 12.0, "note_lstm": 15.6, "performance_rnn": 8.0, "abc_corpus": 13.7, "vae_nn": 8.6, "train": 6.3, "render": 2.7,
                   "startup": 2.4, "pianoroll_scroll": 1.6}
if str(ROOT) not in sys.path:  # run as a script: make `app` and `models` importable
    sys.path.insert(0, str(ROOT))


def benchmark_names() -> list[str]:
    """The NAME of every ``NAME_bench.py``, sorted."""
    return sorted(p.name[: -len("_bench.py")] for p in BENCH_DIR.glob("*_bench.py"))


def load_benchmark(path: Path):
    """Import a ``NAME_bench.py`` file as a module."""
    spec = importlib.util.spec_from_file_location(f"cadenza_bench_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def merge(into: dict, new: dict) -> dict:
    """Merge nested dict ``new`` into ``into`` (dicts recursively, other values replaced)."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value
    return into


def nested(result: dict) -> dict:
    """A flat result naming itself (``{"benchmark": "startup", ...}``) nested under its name."""
    if "benchmark" in result and not any(isinstance(v, dict) for v in result.values()):
        rest = {k: v for k, v in result.items() if k != "benchmark"}
        return {str(result["benchmark"]): rest}
    return result


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "processor\t: arm")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True)
        if out.stdout.strip():
            return out.stdout.strip()
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _gpu() -> tuple[str | None, str | None]:
    """(GPU name, CUDA version) when torch sees a CUDA device; torch is imported only where a GPU may be."""
    if not (Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi")):
        return None, None
    import torch

    if not torch.cuda.is_available():
        return None, None
    return torch.cuda.get_device_name(0), torch.version.cuda


def machine_info() -> dict[str, Any]:
    """Where the figures come from: platform, CPU, cores, GPU, library versions."""
    from app import __version__

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu, cuda = _gpu()
    info = {"platform": platform.platform(), "machine": platform.machine(), "cpu": _cpu_model(),
            "cores": os.cpu_count(), "cores_usable": usable, "gpu": gpu, "cuda": cuda,
            "python": platform.python_version(), "cadenza": __version__}
    for dist in ("numpy", "torch", "PySide6", "music21", "scipy", "pyfluidsynth"):
        info[dist.lower()] = _version(dist)
    return info


def _run_in_child(path: Path, quick: bool, threads: int | None) -> dict:
    """Run one benchmark file in a fresh process: ``{"result": dict}`` or ``{"error": sentence}``."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")  # benchmarks that show widgets run headless
    if threads:
        env.setdefault("OMP_NUM_THREADS", str(threads))
        env.setdefault("MKL_NUM_THREADS", str(threads))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(path)] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"the benchmark process exited with code {out.returncode}: {tail}"}


def _run_here(path: Path, quick: bool) -> dict:
    """The child's side: import and run one benchmark file."""
    try:
        return {"result": nested(load_benchmark(path).run(quick))}
    except Exception as exc:  # one broken benchmark (no SoundFont, no display...) must not hide the others
        text = str(exc) if type(exc).__module__.startswith("app.") else f"{type(exc).__name__}: {exc}"
        return {"error": text}


def run_all(quick: bool = False, only: Iterable[str] | None = None,
            on_progress: Callable[[str], None] | None = None, jobs: int | None = None) -> dict[str, Any]:
    """Run the benchmarks (all, or ``only`` these names) and merge their results into one dict.

    Each runs in its own process. ``jobs`` (default: 2 with ``quick``, else 1)
    benchmarks run at once, each with one compute thread when more than one
    runs; the benchmarks of :data:`SOLO` always run alone, first.
    """
    names = benchmark_names()
    if only is not None:
        wanted = list(only)
        unknown = [n for n in wanted if n not in names]
        if unknown:
            raise ValueError(f"no benchmark named {', '.join(unknown)} (there are: {', '.join(names)})")
        names = [n for n in names if n in wanted]
    jobs = jobs or (2 if quick else 1)
    shared = sorted((n for n in names if n not in SOLO), key=lambda n: -TYPICAL_QUICK_S.get(n, 5.0))
    outcomes: dict[str, tuple[dict, float]] = {}

    def one(name: str, threads: int | None) -> None:
        if on_progress is not None:
            on_progress(name)
        start = time.perf_counter()
        outcome = _run_in_child(BENCH_DIR / f"{name}_bench.py", quick, threads)
        outcomes[name] = (outcome, round(time.perf_counter() - start, 2))

    started = time.perf_counter()
    for name in names:
        if name in SOLO:
            one(name, None)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda n: one(n, 1 if jobs > 1 else None), shared))
    results: dict[str, Any] = {"quick": quick, "jobs": jobs, "machine": machine_info()}
    errors = {}
    for name in names:  # merged in name order, whatever order they finished in
        outcome, _ = outcomes[name]
        if "error" in outcome:
            errors[name] = outcome["error"]
        else:
            merge(results, outcome["result"])
    results["timing"] = dict({n: outcomes[n][1] for n in names}, total=round(time.perf_counter() - started, 2))
    if errors:
        results["errors"] = errors
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (one repeat, smaller inputs)")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--jobs", type=int, help="benchmarks at once (default: 2 with --quick, else 1)")
    parser.add_argument("--one", metavar="FILE", help=argparse.SUPPRESS)  # the child process of run_all
    args = parser.parse_args(argv)
    if args.one:
        outcome = _run_here(Path(args.one), args.quick)
        print(MARK + json.dumps(outcome, default=lambda v: v.item() if hasattr(v, "item") else str(v)), flush=True)
        return 0
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    results = run_all(args.quick, only, lambda name: print(f"running {name}", file=sys.stderr, flush=True), args.jobs)
    print(json.dumps(results, indent=2))
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
