"""The one generation interface every model serves.

A :class:`GenerationRequest` goes in; ``Generator.generate(request)`` is a
Python generator that yields :class:`Progress` and *returns* the list of
variations (scores carrying provenance). Callers drive it with
:func:`run_generation`, which checks a cancel callback between steps; the GUI's
worker drives it the same way off the UI thread.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, ClassVar, Generator as PyGenerator

from app.core.errors import CadenzaError, GenerationError
from app.core.provenance import Provenance
from app.core.score import Score
from models.common.options import (GenerationOptions, check_common, check_variations_can_differ, option,
                                    resolve_options)
from models.common.seed_fit import fit_seed
from models.common.spec import ModelSpec

class Cancelled(CadenzaError):
    """The caller cancelled a generation or a training run."""

    def __init__(self, what: str = "The generation") -> None:
        super().__init__(f"{what} was cancelled.")


@dataclass(frozen=True)
class Infill:
    """Regenerate bars ``first_bar`` to ``last_bar`` (0-based, end exclusive) of the seed's ``tracks``
    (indices; empty: every track), keeping everything else: the variation is the whole seed with those
    bars rewritten. Only models whose spec says ``infill`` take it."""

    first_bar: int
    last_bar: int
    tracks: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"first_bar": self.first_bar, "last_bar": self.last_bar, "tracks": list(self.tracks)}


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate: the seed, the options object (see ``models.common.options``), length and count.

    ``options`` may be partial: a generator resolves it against its spec before it runs (every option
    the model takes then holds a value, the table's default where none was given).
    """

    seed: Score | None = None
    seed_text: str | None = None  # ABC text (header fields, first bars) for models that read ABC
    style: Score | None = None  # the style song, for models that take the "style" option
    options: GenerationOptions = GenerationOptions()
    bars: int = option("bars").cli_default
    tokens: int | None = None
    variations: int = option("variations").cli_default
    random_seed: int = 0
    device: str = "auto"
    seed_note: str | None = None  # what the model left out of the seed (set by check_request, see seed_fit.py)
    infill: Infill | None = None  # regenerate a selection of the seed instead of continuing it
    accompany: bool = False  # the band request (Add a Band): a band under the seed's lead, over its bars


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` steps, with a short message."""

    done: int
    total: int
    message: str = ""


GenerationRun = PyGenerator[Progress, None, list[Score]]


class Generator(ABC):
    """Base class: a loaded model ready to generate. ``spec`` is the model's SPEC."""

    spec: ClassVar[ModelSpec]
    card: dict[str, Any]
    checkpoint_dir: Path | None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def options(self) -> tuple[str, ...]:
        return self.spec.options

    def check_request(self, request: GenerationRequest) -> GenerationRequest:
        """``request`` with its options resolved for this model; OptionError (naming the option) for an
        option the model lacks or a value out of range."""
        check_common(request.bars, request.variations, request.random_seed, request.tokens)
        given = request.options.values()
        if request.style is not None:
            given["style"] = True
        options = resolve_options(self.name, self.options, given)
        check_variations_can_differ(options, request.variations, request.style is not None)
        if request.infill is not None:
            check_infill(self.spec, request.infill, request.seed)
        seed, note = fit_seed(self.spec, request.seed)
        return replace(request, options=options, seed=seed, seed_note=note)

    def provenance(self, request: GenerationRequest, index: int) -> Provenance:
        """Everything needed to regenerate variation ``index`` exactly."""
        return Provenance(
            model=self.name, checkpoint=str(self.checkpoint_dir) if self.checkpoint_dir else None,
            checkpoint_sha256=self.card.get("weights_sha256"),
            seed=request.seed.title if request.seed is not None else None, seed_text=request.seed_text,
            options=request.options.values(), bars=request.bars, tokens=request.tokens,
            random_seed=request.random_seed, variation=index + 1, variations=request.variations,
            seed_note=request.seed_note,
            extra={**({"infill": request.infill.to_dict()} if request.infill is not None else {}),
                   **({"accompany": True} if request.accompany else {})},
        )

    @abstractmethod
    def generate(self, request: GenerationRequest) -> GenerationRun:
        """Yield Progress; return the variations."""


def check_infill(spec: ModelSpec, infill: Infill, seed: Score | None) -> None:
    """GenerationError in the user's words for a selection this model cannot regenerate."""
    if not spec.infill:
        raise GenerationError(f"The {spec.display_name} model only continues a seed; choose a model that can "
                              "regenerate a selection (Music Transformer).")
    if seed is None or not seed.tracks:
        raise GenerationError("There is nothing around the selection to regenerate it from.")
    if infill.first_bar < 0 or infill.last_bar <= infill.first_bar:
        raise GenerationError("Select at least one whole bar to regenerate.")
    bad = [t for t in infill.tracks if not 0 <= t < len(seed.tracks)]
    if bad:
        raise GenerationError(f"The selection names track {bad[0] + 1}, which the score does not have.")


def run_generation(run: GenerationRun, on_progress: Callable[[Progress], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> list[Score]:
    """Drive a generation to its end, checking ``cancelled`` between steps."""
    while True:
        if cancelled is not None and cancelled():
            run.close()
            raise Cancelled()
        try:
            progress = next(run)
        except StopIteration as stop:
            return list(stop.value or [])
        if on_progress is not None:
            on_progress(progress)


def with_provenance(score: Score, provenance: Provenance, seconds: float | None = None) -> Score:
    """``score`` carrying ``provenance`` (and the generation's wall-clock time)."""
    if seconds is not None:
        provenance = replace(provenance, generation_seconds=round(seconds, 4))
    return replace(score, provenance=provenance.to_dict())


@dataclass
class Timer:
    """Wall-clock stopwatch for provenance and benchmarks."""

    start: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
