"""``cadenza bench``: every benchmark in ``benchmarks/``, side by side with its alternative, as one JSON object.

The runner is ``benchmarks/run_all.py`` of the source tree (benchmarks are
not part of an installed application).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from app.core.errors import CadenzaError

RUNNER = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"
COMMANDS = ("bench",)  # what register() adds


def register(sub) -> None:
    """Add bench to the subparsers ``sub``."""
    p = sub.add_parser("bench", help="run the benchmarks (each beside the alternative) and print one JSON object")
    p.add_argument("--quick", action="store_true", help="short runs (about half a minute on two cores)")
    p.add_argument("--json", action="store_true", help="print only the JSON object (no progress lines)")
    p.add_argument("--only", metavar="NAMES", help="comma-separated benchmarks to run (default: all)")
    p.add_argument("--jobs", type=int, help="benchmarks run at once (default: 2 with --quick, else 1)")
    p.set_defaults(func=cmd_bench)


def load_runner():
    """The ``benchmarks/run_all.py`` module of the source tree."""
    if not RUNNER.is_file():
        raise CadenzaError(f"The benchmarks are not installed ({RUNNER} is missing); run cadenza bench from a source checkout.")
    spec = importlib.util.spec_from_file_location("cadenza_bench_run_all", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cmd_bench(args: argparse.Namespace) -> int:
    runner = load_runner()
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    say = None if args.json else (lambda name: print(f"running {name}", file=sys.stderr, flush=True))
    try:
        results = runner.run_all(quick=args.quick, only=only, on_progress=say, jobs=args.jobs)
    except ValueError as exc:  # an unknown --only name
        raise CadenzaError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    print(json.dumps(results, indent=2))
    errors = results.get("errors", {})
    for name, reason in errors.items():
        print(f"error: benchmark {name} failed: {reason}", file=sys.stderr)
    return 1 if errors else 0
