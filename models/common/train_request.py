"""The one request every model's trainer takes (``SPEC.training.entry(request)``).

The CLI and the Training dialog build a :class:`TrainRequest` the same way for
every model and read the same ``TrainProgress`` back; :func:`check_request`
refuses, in one sentence naming the option, what the model's spec says it
does not take. Pure: no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from app.core.errors import CadenzaError

HYPERPARAMETERS = ("epochs", "batch_size", "lr", "max_steps", "seed")
POSITIVE = ("epochs", "batch_size", "lr")


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
    device: str = "auto"
    resume: bool = False  # continue the run saved in ``out``
    fine_tune: str = ""  # a checkpoint folder whose weights (and sizes, vocabulary) start the run
    sizes: Mapping[str, Any] = field(default_factory=dict)  # overrides of the model config's size fields
    extras: Mapping[str, str] = field(default_factory=dict)  # the model's own training options
    command: str = ""  # the command line that reproduces the run (for the card)

    def hyperparameters(self) -> dict[str, Any]:
        """The optimisation settings given (for ``TrainConfig``)."""
        return {k: getattr(self, k) for k in HYPERPARAMETERS if getattr(self, k) is not None}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


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
