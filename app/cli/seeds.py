"""``cadenza seeds``: the bundled seed fragments."""

from __future__ import annotations

import argparse
import json
import sys

COMMANDS = ("seeds",)  # what register() adds


def register(sub) -> None:
    """Add seeds to the subparsers ``sub``."""
    p = sub.add_parser("seeds", help="list the bundled seed fragments")
    p.add_argument("--style", help="only seeds of this style (folk, chorale, classical, groove)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_seeds)


def cmd_seeds(args: argparse.Namespace) -> int:
    from app.core.seeds import list_seeds

    seeds = list_seeds(args.style)
    if args.json:
        print(json.dumps([_seed_dict(s) for s in seeds], indent=2))
        return 0
    if not seeds:
        print(f"No seeds of style '{args.style}'.", file=sys.stderr)
        return 1
    for s in seeds:
        print(f"seed:{s.name:<34} {s.style:<10} {s.bars} bars  {s.meter:<5} {s.key or '':<12} {s.title}")
    return 0


def _seed_dict(seed) -> dict:
    from dataclasses import asdict

    data = asdict(seed)
    data["spec"] = f"seed:{seed.name}"
    data["path"] = str(seed.path)
    return data
