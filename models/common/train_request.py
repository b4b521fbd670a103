"""The one request every model's trainer takes (``SPEC.training.entry(request)``).

The CLI and the Training dialog build a :class:`TrainRequest` the same way for
every model and read the same ``TrainProgress`` back; :func:`check_request`
refuses, in one sentence naming the option, what the model's spec says it
does not take.

Resuming: a run's request is kept beside it (``train_request.json``,
:func:`record_request`). :func:`resume_request` runs before any data is
loaded: it refuses a folder without a complete training state, refuses
options that differ from the run's (they would change the result), and fills
in the ones not given. Only :data:`RESUME_FREE` may change, since they cannot
change the result: how often the state is saved, and how progress is shown.
Pure: no torch.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from app.core.errors import CadenzaError

HYPERPARAMETERS = ("epochs", "batch_size", "lr", "max_steps", "seed", "keep")
KEEPS = ("best", "last")  # --keep: the model a run writes
CHECKPOINTING = ("checkpoint_every", "checkpoint_minutes")  # how often the resume state is saved
POSITIVE = ("epochs", "batch_size", "lr", *CHECKPOINTING)
RUN_RECORD = "train_request.json"
RESUME_FREE = ("checkpoint_every", "checkpoint_minutes", "command")  # may differ when resuming
FLAGS = {"checkpoint_minutes": "--checkpoint-every", "fine_tune": "--fine-tune", "data": "--data",
         "model": "--model"}


@dataclass(frozen=True)
class TrainRequest:
    """A training run: what to learn from, where to write, and how (None: the model's default)."""

    data: tuple[str, ...] | None  # corpus:NAME or folders; None: the model's default data
    out: Path
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    max_steps: int | None = None
    seed: int | None = None
    keep: str | None = None  # "best" (lowest validation loss, the default) or "last" (the final step)
    checkpoint_every: int | None = None  # steps between resume states (None: the loop's default)
    checkpoint_minutes: float | None = None  # or minutes between them
    device: str = "auto"
    resume: bool = False  # continue the run saved in ``out``
    fine_tune: str = ""  # a checkpoint folder whose weights (and sizes, vocabulary) start the run
    sizes: Mapping[str, Any] = field(default_factory=dict)  # overrides of the model config's size fields
    extras: Mapping[str, str] = field(default_factory=dict)  # the model's own training options
    command: str = ""  # the command line that reproduces the run (for the card)

    def hyperparameters(self) -> dict[str, Any]:
        """The optimisation and checkpointing settings given (for ``TrainConfig``)."""
        given = {k: getattr(self, k) for k in (*HYPERPARAMETERS, *CHECKPOINTING) if getattr(self, k) is not None}
        if self.checkpoint_minutes is not None:  # a time interval replaces the step interval
            given["checkpoint_every"] = 0
        return given


def flag(name: str) -> str:
    return FLAGS.get(name) or "--" + name.replace("_", "-")


_INTERVAL = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(m|min|minutes?)?\s*", re.IGNORECASE)


def parse_interval(text: str) -> tuple[int | None, float | None]:
    """``--checkpoint-every``: ``"200"`` (steps) -> (200, None); ``"10m"`` (minutes) -> (None, 10.0)."""
    match = _INTERVAL.fullmatch(str(text))
    if match is None or (match.group(2) is None and "." in match.group(1)):
        raise CadenzaError(f"--checkpoint-every takes a number of steps (200) or of minutes (10m), not '{text}'.")
    number = float(match.group(1))
    if number <= 0 or not math.isfinite(number):
        raise CadenzaError("--checkpoint-every must be more than zero.")
    return (None, number) if match.group(2) else (int(number), None)


def interval_text(steps: int | None, minutes: float | None) -> str | None:
    """The ``--checkpoint-every`` value of an interval (None: not given)."""
    if minutes is not None:
        return f"{minutes:g}m"
    return None if steps is None else str(steps)


def check_request(spec, request: TrainRequest) -> None:
    """Refuse what ``spec`` (a ModelSpec) does not take, and impossible values, in one sentence."""
    training = spec.training
    if training is None:
        raise CadenzaError(f"The {spec.name} model cannot be trained.")
    given = request.hyperparameters()
    if not training.hyperparameters:
        refused = [flag(k) for k in given] + (["--fine-tune"] if request.fine_tune else []) + \
                  (["--resume"] if request.resume else []) + [flag(k) for k in request.sizes]
        if refused:
            raise CadenzaError(f"The {spec.name} model {training.one_pass_words or 'trains in one pass'}: "
                               f"it takes no {', '.join(refused)}.")
    if request.resume and not training.resume:
        raise CadenzaError(f"The {spec.name} model cannot resume a run.")
    if request.fine_tune and not training.fine_tune:
        raise CadenzaError(f"The {spec.name} model cannot be fine-tuned.")
    for name, value in given.items():
        if name == "checkpoint_every" and request.checkpoint_minutes is not None:
            continue
        if name == "keep":
            if value not in KEEPS:
                raise CadenzaError(f"--keep must be one of {', '.join(KEEPS)}.")
            continue
        if value < 0 or (value == 0 and name in POSITIVE):
            raise CadenzaError(f"{flag(name)} must be {'positive' if name in POSITIVE else 'zero or more'}.")
    for name, value in request.sizes.items():
        size = training.size(name)
        if size is None:
            raise CadenzaError(f"The {spec.name} model has no {flag(name)} option.")
        if size.kind == "choice" and value not in size.choices:
            raise CadenzaError(f"{size.flag} must be one of {', '.join(size.choices)}.")
        if size.kind == "int" and not (isinstance(value, int) and size.low <= value <= size.high):
            raise CadenzaError(f"{size.flag} must be between {size.low:,} and {size.high:,}.")
    known = {e.name for e in training.extras}
    for name in request.extras:
        if name not in known:
            raise CadenzaError(f"The {spec.name} model has no {flag(name)} option.")


# -- resuming ---------------------------------------------------------------------------------

def _record(request: TrainRequest, model: str) -> dict[str, Any]:
    """What a run was started with, as given (folders made absolute)."""
    data = None if request.data is None else [_data_spec(d) for d in request.data]
    saved = {f.name: getattr(request, f.name) for f in fields(request)
             if f.name not in ("out", "resume", "command", "data", "sizes", "extras")}
    return dict(saved, model=model, data=data, sizes=dict(request.sizes), extras=dict(request.extras))


def _data_spec(spec: str) -> str:
    return spec if spec.startswith("corpus:") else str(Path(spec).expanduser().resolve())


def record_request(request: TrainRequest, model: str) -> None:
    """Keep a new run's request beside it (``train_request.json``), for :func:`resume_request`."""
    from app.core.atomic import atomic_write_bytes

    out = Path(request.out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"version": 1, "request": _record(request, model)}
    atomic_write_bytes(out / RUN_RECORD, json.dumps(doc, indent=1, default=str).encode(), keep_backup=False)


def has_training_state(folder: str | Path) -> bool:
    """Whether ``folder`` holds a complete resume state (per its manifest; older runs: both files)."""
    from models.common import file_unit

    folder = Path(folder)
    try:
        manifest = file_unit.read_manifest(folder)
    except CadenzaError:
        return True  # damaged: let the resume itself say so
    names = ("resume.safetensors", "resume.json")
    if manifest is not None:
        return all(n in manifest["files"] and file_unit.resolve(folder, n).is_file() for n in names)
    return all((folder / n).is_file() for n in names)


def saved_settings(folder: str | Path) -> dict[str, Any]:
    """The training loop's settings of the saved state (``TrainConfig`` as saved; {} for older runs)."""
    from models.common import file_unit

    try:
        doc = json.loads(file_unit.resolve(folder, "resume.json").read_text(encoding="utf-8"))
        config = doc["info"].get("config")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return config if isinstance(config, dict) else {}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return a == b


def _shown(value: Any) -> str:
    if value is None:
        return "the model's default"
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value))
    return str(value)


def resume_request(request: TrainRequest, model: str) -> TrainRequest:
    """The request that continues the run in ``request.out``, checked before any data is loaded.

    Refuses a folder with no training state, and any option given now that differs from the run's
    (one sentence naming each); options not given are the run's. Runs saved before requests were
    kept are resumed as given (the training loop still refuses other settings).
    """
    out = Path(request.out)
    if not out.is_dir():
        raise CadenzaError(f"{out} does not exist, so there is no training run to resume there.")
    if not has_training_state(out):
        raise CadenzaError(f"{out} has no training state to resume from.")
    try:
        saved = json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))["request"]
        if not isinstance(saved, dict):
            raise TypeError
    except FileNotFoundError:
        return request
    except (OSError, ValueError, KeyError, TypeError):
        raise CadenzaError(f"The run's settings in {out / RUN_RECORD} are damaged; start a new run.") from None
    effective = saved_settings(out)
    now = _record(request, model)
    differ = []
    for name, value in now.items():
        if name in RESUME_FREE or value in (None, "", {}) or name not in saved:
            continue
        if name in ("sizes", "extras"):
            for key, item in value.items():
                before = saved[name].get(key) if isinstance(saved[name], dict) else None
                if not _same(before, item):
                    differ.append((flag(key), before, item))
            continue
        before = saved[name]
        if before is None and name in effective:
            before = effective[name]
        if name == "device" and value == "auto" and before != "auto":
            continue  # not given: the default (the run's device is kept below)
        if not _same(before, value):
            differ.append((flag(name), before, value))
    if differ:
        parts = [f"{name} was {_shown(before)} (now {_shown(after)})" for name, before, after in differ]
        raise CadenzaError(f"The run in {out} cannot continue with other settings: {'; '.join(parts)}; "
                           "resume with the run's own settings, or start a new run in another folder.")
    merged = {name: saved.get(name) for name in now if name not in RESUME_FREE and name not in ("model",)}
    merged["data"] = tuple(saved["data"]) if saved.get("data") is not None else None
    merged["sizes"], merged["extras"] = dict(saved.get("sizes") or {}), dict(saved.get("extras") or {})
    given = any(getattr(request, name) is not None for name in CHECKPOINTING)
    for name in CHECKPOINTING:  # a new interval may be given; else the run's own
        merged[name] = getattr(request, name) if given else saved.get(name)
    known = {f.name for f in fields(TrainRequest)}
    return replace(request, **{k: v for k, v in merged.items() if k in known})
