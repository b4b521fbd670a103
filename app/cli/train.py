"""``cadenza train``: one request for every model, driven with a progress bar or JSON lines.

The flags come from the specs of the models that can train: the
hyperparameters, the union of their size fields (``--hidden``, ``--layers``,
``--cell``...) and their own options (``--roles``...). The handler builds one
:class:`~models.common.train_request.TrainRequest`, lets
:func:`~models.common.train_request.check_request` refuse what the model does
not take, and drives the model's trainer (``SPEC.training.entry``), a
generator of ``TrainProgress`` that returns the final metrics.

Stopping a run keeps it: Ctrl+C (SIGINT), or the line ``pause`` on stdin with
``--json-progress`` (how the editor pauses a run on every platform), stops at
the next step and saves the resume state; ``--resume DIR`` continues it. A
second Ctrl+C, or one before the first step, stops at once. ``--fine-tune``
starts from a bundled or user checkpoint's weights (and its sizes and
vocabulary).

``--checkpoint-every N`` (steps) or ``Nm`` (minutes) sets how often the
resume state is saved; a kill loses at most that much. A run's request is
kept beside it, and ``--resume`` checks the folder's training state and the
options before any data is loaded: an option that would change the run is
refused with its name, options not given are the run's own (only
``--checkpoint-every`` may change).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

from app.core.errors import CadenzaError
from models.common.options import DEVICES
from models.common.train_request import KEEPS, flag
from models.registry import model_specs

HYPERPARAMETERS = (("epochs", int, "passes over the data"), ("batch_size", int, "sequences per step"),
                   ("lr", float, "peak learning rate"), ("max_steps", int, "stop after N steps"),
                   ("seed", int, "random seed of the run"))
KEEP_SIZES = "A fine-tuned model keeps its base model's sizes; leave out the size options."
COMMANDS = ("train",)  # what register() adds


def _union(specs, field: str) -> dict[str, tuple]:
    """Every size (or extra) option of ``specs`` by name: (the first spec's option, the models that take it)."""
    found: dict[str, tuple] = {}
    for spec in specs:
        for item in getattr(spec.training, field):
            first, takers = found.get(item.name, (item, []))
            found[item.name] = (first, takers + [spec.name])
    return found


def register(sub) -> None:
    """Add train to the subparsers ``sub``."""
    specs = [s for s in model_specs() if s.can_train]
    p = sub.add_parser("train", help="train a model on a bundled corpus or a folder")
    p.add_argument("--model", required=True, choices=[s.name for s in specs], metavar="MODEL",
                   help=f"the model to train: {', '.join(s.name for s in specs)}")
    p.add_argument("--data", action="append", metavar="DATA",
                   help="corpus:NAME (e.g. corpus:chorales) or a folder of MIDI, ABC or MusicXML files "
                        "(repeatable; default: the model's own data, see cadenza models)")
    one_pass = [s.name for s in specs if not s.training.hyperparameters]
    not_for = f" (not {', '.join(one_pass)})" if one_pass else ""
    for name, kind, text in HYPERPARAMETERS:
        p.add_argument(flag(name), type=kind, metavar="N" if kind is int else "X", help=text + not_for)
    sizes, extras = _union(specs, "sizes"), _union(specs, "extras")
    for name, (size, takers) in sizes.items():
        models = f"models: {', '.join(takers)}"
        if size.kind == "choice":
            choices = tuple(dict.fromkeys(c for s in specs for o in s.training.sizes if o.name == name
                                          for c in o.choices))
            p.add_argument(size.flag, choices=choices, help=f"{size.help} ({models})")
        else:
            p.add_argument(size.flag, type=int, metavar="N", help=f"{size.help} ({models})")
    for name, (extra, takers) in extras.items():
        p.add_argument(extra.flag, metavar=extra.metavar, help=f"{extra.help} (models: {', '.join(takers)})")
    p.add_argument("--keep", choices=KEEPS, help="the model the run writes: best (lowest validation loss, the "
                                                 "default) or last (the final step's weights)" + not_for)
    p.add_argument("--fine-tune", metavar="NAME|DIR", help="start from a bundled or user checkpoint's weights")
    p.add_argument("--out", help="output folder (default: a new user model)")
    p.add_argument("--resume", metavar="DIR", help="continue the run saved in this folder (its own options are "
                                                   "kept; only --checkpoint-every may change)")
    p.add_argument("--checkpoint-every", metavar="N|Nm",
                   help="save the resume state every N steps (default 200) or every N minutes (e.g. 10m); "
                        f"a kill loses at most that much{not_for}")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument("--json-progress", action="store_true", help="one JSON line per progress report")
    p.set_defaults(func=cmd_train, size_names=tuple(sizes), extra_names=tuple(extras))


def default_out(model: str) -> Path:
    """A new folder in the user's models folder (one sentence naming it, before any data loads, when it
    cannot be written)."""
    from app.core.paths import writable_models_dir

    return writable_models_dir() / f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"


def build_request(args: argparse.Namespace):
    """The TrainRequest of the command line (not yet checked against the model's spec)."""
    from models.common.train_request import TrainRequest, parse_interval

    given = lambda names: {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    every = getattr(args, "checkpoint_every", None)
    steps, minutes = parse_interval(every) if every is not None else (None, None)
    return TrainRequest(
        data=tuple(args.data) if args.data else None, out=Path(args.resume or args.out or default_out(args.model)),
        **given(name for name, _, _ in HYPERPARAMETERS), keep=getattr(args, "keep", None),
        checkpoint_every=steps, checkpoint_minutes=minutes,
        device=args.device, resume=bool(args.resume),
        fine_tune=args.fine_tune or "", sizes=given(args.size_names), extras=given(args.extra_names),
        command=shlex.join(["cadenza", *getattr(args, "argv", [])]))


def base_folder(name_or_dir: str, model: str) -> str:
    """The checkpoint folder ``--fine-tune`` names (a folder, or a bundled or user model's name), checked."""
    from models.common.card import verified_weights
    from models.common.run_folder import base_card
    from models.registry import find_checkpoint

    given = Path(name_or_dir).expanduser()
    folder = given if given.is_dir() else find_checkpoint(name_or_dir)
    verified_weights(folder, base_card(folder, model))  # a broken base is refused before the data loads
    return str(folder)


def cmd_train(args: argparse.Namespace) -> int:
    from models.common.card import read_card
    from models.common.file_unit import resolve
    from models.common.train_request import RUN_RECORD, check_request, record_request, resume_request
    from models.registry import get_spec

    spec = get_spec(args.model)
    request = build_request(args)
    check_request(spec, request)
    if request.fine_tune:
        if request.sizes:
            raise CadenzaError(KEEP_SIZES)
        request = replace(request, fine_tune=base_folder(request.fine_tune, spec.name))
    if request.resume:  # before the data loads (the folk corpus takes minutes)
        request = resume_request(request, spec.name)
    record = not request.resume or not (request.out / RUN_RECORD).is_file()
    run = spec.training.entry.load()(request)
    metrics = drive(run, args.json_progress, on_start=(lambda: record_request(request, spec.name)) if record else None)
    out = request.out
    report(out, read_card(out) if resolve(out, "config.json").exists() else {"metrics": metrics}, args.json_progress)
    return 0


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


def drive(run, json_lines: bool, on_start=None) -> dict:
    """Consume the training generator; a stop request saves resumable state and says how to go on.

    ``on_start`` is called once the data is loaded and the first step is about to run."""
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
            if not stop.started and p.total_steps > 0 and on_start is not None:
                on_start()
            stop.started = stop.started or p.total_steps > 0
            show(p, json_lines, bar)
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


def show(p, json_lines: bool, bar) -> None:
    """One progress report: a JSON line, the bar, or (on a pipe) the evaluations and the messages."""
    if json_lines:
        print(json.dumps(asdict(p)), flush=True)
    elif bar is not None:
        bar.total = p.total_steps
        bar.n = p.step
        loss = f"{p.train_loss:.3f}" if p.train_loss is not None else "-"
        bar.set_postfix(loss=loss, val=p.valid_loss, refresh=False)
        if p.message and not p.total_steps:
            bar.set_description(p.message[:40], refresh=False)
        bar.refresh()
    elif p.valid_loss is not None:
        train = f"{p.train_loss:.4f}" if p.train_loss is not None else "-"
        print(f"step {p.step}/{p.total_steps} epoch {p.epoch} train {train} valid {p.valid_loss:.4f}", file=sys.stderr)
    elif p.message:
        print(p.message, file=sys.stderr)


def report(out: Path, card: dict, json_lines: bool) -> None:
    if json_lines:
        print(json.dumps({"done": True, "out": str(out), "metrics": card.get("metrics", {})}), flush=True)
    else:
        metrics = ", ".join(f"{k} {v}" for k, v in card.get("metrics", {}).items())
        print(f"wrote {out} ({metrics})")
