"""``cadenza eval``: a model's pieces from held-out seeds against the held-out split, beside two baselines.

The work is :func:`models.evaluation.evaluate`; this module parses the
options, shows progress on stderr and prints the report as JSON or a table.
The baseline is the model whose spec says so (``EvalSpec.is_baseline``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.core.errors import CadenzaError
from models.common.options import DEVICES, option
from models.registry import baseline_spec, spec_names

TRAIN_VS_HELDOUT = "train_vs_heldout"
FEATURE_LABELS = {
    "pitch_count": "pitch count", "pitch_class_histogram": "pitch-class histogram",
    "pitch_class_transition_matrix": "pitch-class transitions", "pitch_range": "pitch range",
    "avg_pitch_interval": "average pitch interval", "note_count": "note count", "avg_ioi": "average inter-onset interval",
    "note_length_histogram": "note-length histogram", "note_length_transition_matrix": "note-length transitions",
}
TRACK_LABELS = {"empty_bar_rate": "empty-bar rate", "used_pitch_classes": "used pitch classes per bar",
                "qualified_note_rate": "qualified-note rate", "polyphonicity": "polyphonicity",
                "tonal_distance": "tonal distance (track pairs)", "in_key": "in-key share"}
COMMANDS = ("eval",)  # what register() adds


def register(sub) -> None:
    """Add eval to the subparsers ``sub``."""
    base = baseline_spec()
    beside = f"the {base.name} baseline" if base is not None else "a baseline"
    bars = option("bars")
    p = sub.add_parser("eval", help=f"measure a model's pieces against the held-out split, beside {beside} "
                                    "and the training split")
    p.add_argument("--model", required=True, help=f"{', '.join(spec_names())}, or a user model's name")
    p.add_argument("--checkpoint", help="checkpoint folder (default: the bundled one)")
    p.add_argument("--samples", type=int, default=32, help="pieces to generate (default 32)")
    p.add_argument("--bars", type=int, default=bars.cli_default, help=f"bars per piece (default {bars.cli_default})")
    p.add_argument("--random-seed", type=int, default=0, help="random seed (same seed, same report)")
    p.add_argument("--data", action="append", metavar="DATA",
                   help="measure on this dataset's held-out (test) split instead of the model's own training data, "
                        "e.g. corpus:chorales, to compare models on the same pieces (repeatable)")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from models.evaluation import EvalOptions, evaluate

    options = EvalOptions(model=args.model, checkpoint=args.checkpoint, samples=args.samples, bars=args.bars,
                          random_seed=args.random_seed, device=args.device, data=tuple(args.data or ()))
    report = _drive(evaluate(options))
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def _drive(run) -> dict[str, Any]:
    """Consume the evaluation, with a progress bar on a terminal."""
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="step", dynamic_ncols=True, leave=False)
    try:
        while True:
            try:
                progress = next(run)
            except StopIteration as stop:
                return stop.value
            if bar is not None:
                bar.total, bar.n = progress.total, progress.done
                bar.set_description(progress.message[:40], refresh=True)
    except KeyboardInterrupt:
        run.close()
        raise CadenzaError("The evaluation was interrupted.") from None
    finally:
        if bar is not None:
            bar.close()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def format_report(report: dict[str, Any]) -> str:
    """The report as a table: the model, the baseline, the training split, the held-out split."""
    baseline = next(k for k in report["baselines"] if k != TRAIN_VS_HELDOUT)
    sets = [report, report["baselines"][baseline], report["baselines"][TRAIN_VS_HELDOUT]]
    held = {"metrics": report["reference"]["metrics"]}
    columns = [report["model"], baseline, "training split", "held-out"]
    rows: list[tuple[str, list[Any]]] = [
        ("validity", [s["validity"] for s in sets] + [None]),
        ("overlap with held-out (mean)", [s["overlap_mean"] for s in sets] + [None]),
    ]
    rows += [(f"  {label}", [s["metrics"]["overlap"][key] for s in sets] + [None]) for key, label in FEATURE_LABELS.items()]
    rows += [(label, [s["metrics"][key] for s in sets + [held]]) for key, label in TRACK_LABELS.items()]
    runs = [s["metrics"]["longest_copied_run"] for s in sets]
    rows.append(("longest run copied from training (max)", [r["max"] for r in runs[:2]] + [None, runs[2]["max"]]))
    rows.append(("  (mean)", [r["mean"] for r in runs[:2]] + [None, runs[2]["mean"]]))
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"{report['model']}: {report['samples']} pieces of {report['options']['bars']} bars from held-out seeds "
             f"of {', '.join(report['data'])} ({report['reference']['pieces']} held-out pieces, {report['seconds']} s)",
             "", " " * width + "".join(f"{c[:14]:>15}" for c in columns)]
    lines += [f"{label:<{width}}" + "".join(f"{_cell(v):>15}" for v in values) for label, values in rows]
    lines += ["", "Overlap: MGEval's overlapping area of the held-out intra-set and the inter-set distance densities "
                  "(1 = as close as held-out pieces are to one another).",
              "The held-out column's copied run is that of held-out pieces against the training split."]
    if "band" in report:
        from models.evaluation.band import band_table

        lines += band_table(report["band"])
    return "\n".join(lines)
