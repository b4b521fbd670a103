"""``cadenza train``: drive a model's training with a progress bar or JSON lines.

Stopping a run keeps it: Ctrl+C (SIGINT), or the line ``pause`` on stdin with
``--json-progress`` (how the editor pauses a run on every platform), stops at
the next step and saves the resume state; ``--resume DIR`` continues it. A
second Ctrl+C, or one before the first step, stops at once. ``--fine-tune``
starts from a bundled or user checkpoint's weights (and its sizes and
vocabulary).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import signal
import sys
import threading
import time
from dataclasses import asdict, fields
from pathlib import Path

from app.core.errors import CadenzaError

MARKOV_REFUSES = ("epochs", "batch_size", "lr", "max_steps", "seed", "hidden", "layers", "fine_tune", "resume", "roles")
MODEL_CONFIGS = {"note-lstm": "models.note_lstm.model:NoteLSTMConfig",
                 "abc-lstm": "models.abc_lstm.model:AbcLSTMConfig",
                 "vae-nn": "models.vae_nn.model:VaeNNConfig"}
POSITIVE = ("epochs", "batch_size", "lr", "hidden", "layers")


def default_out(model: str) -> Path:
    from app.core.paths import user_models_dir

    return user_models_dir() / f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def run_training(args: argparse.Namespace) -> int:
    command = shlex.join(["cadenza", *getattr(args, "argv", [])])
    out = Path(args.resume or args.out or default_out(args.model))
    if args.model == "markov":
        given = [_flag(k) for k in MARKOV_REFUSES if getattr(args, k, None) is not None]
        if given:
            raise CadenzaError(f"The markov model trains in one pass: it takes no {', '.join(given)}.")
        from models.markov.train import train_markov

        say = (lambda m: print(json.dumps({"message": m}), flush=True)) if args.json_progress else (lambda m: print(m, file=sys.stderr))
        card = train_markov(args.data, out, command=command, on_progress=say)
        _report(out, card, args.json_progress)
        return 0
    return _train_neural(args, out, command)


def _train_neural(args: argparse.Namespace, out: Path, command: str) -> int:
    from models.common.train_loop import TrainConfig

    for name in POSITIVE + ("max_steps",):
        value = getattr(args, name, None)
        if value is not None and (value < 0 or (value == 0 and name in POSITIVE)):
            raise CadenzaError(f"{_flag(name)} must be {'positive' if name in POSITIVE else 'zero or more'}.")
    settings = {k: getattr(args, k, None) for k in ("epochs", "batch_size", "lr", "max_steps", "seed")}
    cfg = TrainConfig(device=args.device, init_from=_base_folder(args.fine_tune, args.model),
                      **{k: v for k, v in settings.items() if v is not None})
    if getattr(args, "roles", None) and args.model != "vae-nn":
        raise CadenzaError("--roles is a vae-nn option (it maps a score's tracks to the model's tracks).")
    run = _start(args.model, args.data, out, cfg, _model_overrides(args), command, bool(args.resume),
                 getattr(args, "roles", None))
    metrics = _drive(run, args.json_progress)
    from models.common.card import read_card

    _report(out, read_card(out) if (out / "config.json").exists() else {"metrics": metrics}, args.json_progress)
    return 0


def _base_folder(spec: str | None, model: str) -> str:
    """The checkpoint folder ``--fine-tune`` names (a folder, or a bundled or user model's name), checked."""
    if not spec:
        return ""
    from models.common.card import verified_weights
    from models.common.train_loop import base_card
    from models.registry import find_checkpoint

    folder = Path(spec).expanduser() if Path(spec).expanduser().is_dir() else find_checkpoint(spec)
    verified_weights(folder, base_card(folder, model))  # a broken base is refused before the data loads
    return str(folder)


def _model_overrides(args: argparse.Namespace) -> dict:
    """``--hidden`` / ``--layers`` as fields of the model's config, refused where it has no such field."""
    given = {k: getattr(args, k, None) for k in ("hidden", "layers") if getattr(args, k, None) is not None}
    if not given:
        return {}
    module, name = MODEL_CONFIGS[args.model].split(":")
    known = {f.name for f in fields(getattr(importlib.import_module(module), name))}
    for key in given:
        if key not in known:
            raise CadenzaError(f"The {args.model} model has no {_flag(key)} option.")
    return given


def _start(model: str, data, out: Path, cfg, overrides: dict, command: str, resume: bool, roles: str | None = None):
    if model == "note-lstm":
        from models.note_lstm.train import train_note_lstm

        return train_note_lstm(data, out, cfg, overrides, command=command, resume=resume)
    if model == "abc-lstm":
        from models.abc_lstm.train import train_abc_lstm

        return train_abc_lstm(data, out, cfg, command=command, resume=resume, model=overrides)
    from models.vae_nn.train import train_vae_nn

    return train_vae_nn(data, out, cfg, overrides, command=command, resume=resume, roles=roles)


class _StopRequest:
    """SIGINT or a ``pause`` line on stdin: stop at the next step (a signal before the first step,
    or a second one, stops at once)."""

    def __init__(self) -> None:
        self.asked = False
        self.started = False

    def on_signal(self, signum, frame) -> None:
        if self.asked or not self.started:
            raise KeyboardInterrupt
        self.asked = True

    def watch_stdin(self) -> None:
        """Read the raw descriptor, not ``sys.stdin``: a thread blocked holding sys.stdin's lock would
        deadlock the corpus parser's forked children, which close sys.stdin as they start."""
        try:
            fd, seen = sys.stdin.fileno(), b""
            while b"pause" not in seen:
                chunk = os.read(fd, 64)
                if not chunk:
                    return
                seen = (seen + chunk)[-64:]
            self.asked = True
        except (OSError, ValueError, AttributeError):  # no readable stdin (captured, closed)
            return


def _drive(run, json_lines: bool) -> dict:
    """Consume the training generator; a stop request saves resumable state and says how to go on."""
    stop, bar = _StopRequest(), None
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, stop.on_signal) if main_thread else None
    if json_lines:
        threading.Thread(target=stop.watch_stdin, name="pause-watch", daemon=True).start()
    elif sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="step", dynamic_ncols=True)
    try:
        while True:
            try:
                p = next(run)
            except StopIteration as done:
                return done.value or {}
            stop.started = stop.started or p.total_steps > 0
            _show(p, json_lines, bar)
            if stop.asked and stop.started:
                run.close()  # saves the resume state
                raise CadenzaError("Training was paused with its state saved; continue with --resume.")
    except KeyboardInterrupt:
        run.close()
        if not stop.started:
            raise CadenzaError("Training was stopped before its first step; nothing was saved.") from None
        raise CadenzaError("Training was stopped; continue from its last saved state with --resume.") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()


def _show(p, json_lines: bool, bar) -> None:
    if json_lines:
        print(json.dumps(asdict(p)), flush=True)
    elif bar is not None:
        bar.total = p.total_steps
        bar.n = p.step
        loss = f"{p.train_loss:.3f}" if p.train_loss is not None else "-"
        bar.set_postfix(loss=loss, val=p.valid_loss, refresh=False)
        bar.refresh()
    elif p.valid_loss is not None:
        train = f"{p.train_loss:.4f}" if p.train_loss is not None else "-"
        print(f"step {p.step}/{p.total_steps} epoch {p.epoch} train {train} valid {p.valid_loss:.4f}", file=sys.stderr)


def _report(out: Path, card: dict, json_lines: bool) -> None:
    if json_lines:
        print(json.dumps({"done": True, "out": str(out), "metrics": card.get("metrics", {})}), flush=True)
    else:
        metrics = ", ".join(f"{k} {v}" for k, v in card.get("metrics", {}).items())
        print(f"wrote {out} ({metrics})")
