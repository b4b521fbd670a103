"""``cadenza train``: drive a model's training with a progress bar or JSON lines."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

from app.core.errors import CadenzaError


def default_out(model: str) -> Path:
    from app.core.paths import user_models_dir

    return user_models_dir() / f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"


def run_training(args: argparse.Namespace) -> int:
    command = shlex.join(["cadenza", *getattr(args, "argv", [])])
    out = Path(args.resume or args.out or default_out(args.model))
    if args.model == "markov":
        if args.epochs or args.batch_size or args.resume:
            raise CadenzaError("The markov model trains in one pass: it takes no --epochs, --batch-size or --resume.")
        from models.markov.train import train_markov

        say = (lambda m: print(json.dumps({"message": m}), flush=True)) if args.json_progress else (lambda m: print(m, file=sys.stderr))
        card = train_markov(args.data, out, command=command, on_progress=say)
        _report(out, card, args.json_progress)
        return 0
    return _train_neural(args, out, command)


def _train_neural(args: argparse.Namespace, out: Path, command: str) -> int:
    from models.common.train_loop import TrainConfig

    overrides = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size)) if v}
    cfg = TrainConfig(device=args.device, **overrides)
    if args.model == "note-lstm":
        from models.note_lstm.train import train_note_lstm

        run = train_note_lstm(args.data or ["corpus:classical", "corpus:chorales"], out, cfg, command=command, resume=bool(args.resume))
    else:
        from models.abc_lstm.train import train_abc_lstm

        run = train_abc_lstm(args.data or ["corpus:folk-abc"], out, cfg, command=command, resume=bool(args.resume))
    metrics = _drive(run, args.json_progress)
    from models.common.card import read_card

    _report(out, read_card(out) if (out / "config.json").exists() else {"metrics": metrics}, args.json_progress)
    return 0


def _drive(run, json_lines: bool) -> dict:
    """Consume the training generator; Ctrl+C saves resumable state and says how to go on."""
    bar = None
    if not json_lines and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="step", dynamic_ncols=True)
    try:
        while True:
            try:
                p = next(run)
            except StopIteration as stop:
                return stop.value or {}
            if json_lines:
                print(json.dumps(asdict(p)), flush=True)
            elif bar is not None:
                bar.total = p.total_steps
                bar.n = p.step
                bar.set_postfix(loss=f"{p.train_loss:.3f}", val=p.valid_loss, refresh=False)
                bar.refresh()
            elif p.valid_loss is not None:
                print(f"step {p.step}/{p.total_steps} epoch {p.epoch} train {p.train_loss:.4f} valid {p.valid_loss:.4f}", file=sys.stderr)
    except KeyboardInterrupt:
        run.close()
        raise CadenzaError("Training was interrupted; its state is saved: continue with --resume.") from None
    finally:
        if bar is not None:
            bar.close()


def _report(out: Path, card: dict, json_lines: bool) -> None:
    if json_lines:
        print(json.dumps({"done": True, "out": str(out), "metrics": card.get("metrics", {})}), flush=True)
    else:
        metrics = ", ".join(f"{k} {v}" for k, v in card.get("metrics", {}).items())
        print(f"wrote {out} ({metrics})")
