"""``cadenza models``: every model (its spec) and the checkpoints of each, bundled and the user's.

A model without a checkpoint says how to train one; checkpoints whose model
is not installed are listed apart.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from models.common.options import BY_NAME

COMMANDS = ("models",)  # what register() adds


def register(sub) -> None:
    """Add models to the subparsers ``sub``."""
    p = sub.add_parser("models", help="list the models (what each is for, its options and capabilities) "
                                      "and their bundled and user checkpoints")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_models)


def capabilities(spec) -> list[str]:
    """What the model can do besides generating: train, resume, fine-tune, infill."""
    found = [("train", spec.can_train), ("resume", spec.can_resume), ("fine-tune", spec.can_fine_tune),
             ("infill", spec.infill)]
    return [name for name, able in found if able]


def what_it_does(spec) -> str:
    """generate for a note model; a sound model's Audio Lab action (restyle, vary, continue)."""
    if not spec.audio_out:
        return "generate"
    return f"{spec.extra.get('action', 'work on sound')} sound (in the Audio Lab)"


def checkpoint_dict(entry) -> dict[str, Any]:
    return {"name": entry.name, "arch": entry.arch, "bundled": entry.bundled, "path": str(entry.path),
            "sha256": entry.card.get("weights_sha256"), "card": entry.card}


def spec_dict(spec, checkpoints: list[str]) -> dict[str, Any]:
    training = spec.training
    return {"name": spec.name, "title": spec.display_name, "architecture": spec.architecture,
            "description": spec.description, "good_for": spec.good_for,
            "options": {name: BY_NAME[name].flag for name in spec.options}, "seeds": sorted(spec.seeds),
            "roles": list(spec.roles), "capabilities": capabilities(spec),
            "training": None if training is None else {
                "default_data": list(training.default_data), "sizes": [s.flag for s in training.sizes],
                "extras": [e.flag for e in training.extras], "hyperparameters": training.hyperparameters},
            "checkpoints": checkpoints}


def how_to_train(spec) -> str:
    if spec.can_train:
        return f"none yet: train one with cadenza train --model {spec.name} --data FOLDER"
    return "none (this model cannot be trained here)"


def _metrics(card: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in card.get("metrics", {}).items() if isinstance(v, (int, float)))


def format_models(specs, entries) -> str:
    """The specs, each with its checkpoints, as text."""
    lines = []
    for spec in specs:
        own = [e for e in entries if e.arch == spec.name]
        options = ", ".join(BY_NAME[o].flag for o in spec.options) or "none"
        lines += [f"{spec.name} — {spec.display_name}: {spec.description}",
                  f"  good for:     {spec.good_for}",
                  f"  options:      {options}",
                  f"  seeds:        {', '.join(sorted(spec.seeds))}",
                  f"  writes:       {', '.join(spec.roles) or '-'}",
                  f"  can:          {what_it_does(spec)}, {', '.join(capabilities(spec)) or 'nothing else'}"]
        if not own:
            lines.append(f"  checkpoints:  {how_to_train(spec)}")
        else:
            lines.append("  checkpoints:")
            lines += [f"    {e.name:<24} {'bundled' if e.bundled else 'user':<8} "
                      f"{e.card.get('weights_sha256', '')[:12]}  {_metrics(e.card)}".rstrip() for e in own]
        lines.append("")
    known = {s.name for s in specs}
    strays = [e for e in entries if e.arch not in known]
    if strays:
        lines.append("Checkpoints of models that are not installed:")
        lines += [f"  {e.name:<24} {e.arch:<14} {e.path}" for e in strays]
    return "\n".join(lines).rstrip()


def cmd_models(args: argparse.Namespace) -> int:
    from models.registry import list_models, model_specs

    specs, entries = model_specs(), list_models()
    if args.json:
        models = [spec_dict(s, [e.name for e in entries if e.arch == s.name]) for s in specs]
        print(json.dumps({"models": models, "checkpoints": [checkpoint_dict(e) for e in entries]}, indent=2))
        return 0
    print(format_models(specs, entries))
    return 0
