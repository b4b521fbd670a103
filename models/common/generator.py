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
from typing import Any, Callable, ClassVar, Generator as PyGenerator, Mapping

from app.core.errors import CadenzaError, GenerationError
from app.core.score import Score

OPTION_NAMES = ("temperature", "top_k", "top_p", "noise_sd", "style", "style_alpha",
                "track_noise_sd", "track_style_alpha")


class Cancelled(CadenzaError):
    """The caller cancelled a generation or a training run."""

    def __init__(self, what: str = "The generation") -> None:
        super().__init__(f"{what} was cancelled.")


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate. Options a model lacks must be left at ``None``."""

    seed: Score | None = None
    seed_text: str | None = None  # e.g. ABC header fields / first bars for abc-lstm
    bars: int = 8
    tokens: int | None = None
    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    noise_sd: float | None = None
    style: Score | None = None
    style_alpha: float | None = None
    track_noise_sd: Mapping[str, float] | None = None  # per-track overrides of noise_sd (a style mixer)
    track_style_alpha: Mapping[str, float] | None = None  # per-track overrides of style_alpha
    variations: int = 1
    random_seed: int = 0
    device: str = "auto"

    def sliders(self) -> dict[str, Any]:
        """The option values that shape the output (for provenance)."""
        values = {k: getattr(self, k) for k in OPTION_NAMES if k != "style"}
        return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` steps, with a short message."""

    done: int
    total: int
    message: str = ""


GenerationRun = PyGenerator[Progress, None, list[Score]]


class Generator(ABC):
    """Base class: a loaded model ready to generate."""

    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()
    card: dict[str, Any]
    checkpoint_dir: Path | None

    def check_request(self, request: GenerationRequest) -> None:
        """Refuse options this model does not have, and out-of-range values, in one sentence."""
        values = {k: getattr(request, k) for k in OPTION_NAMES}
        for name, value in values.items():
            if value is not None and name not in self.options:
                flag = "--" + name.replace("_", "-")
                raise GenerationError(f"The {self.name} model has no {flag} option (it takes: {self.option_list()}).")
        if request.temperature is not None and not 0.05 <= request.temperature <= 5.0:
            raise GenerationError("The temperature must be between 0.05 and 5.")
        if request.top_p is not None and not 0.0 < request.top_p <= 1.0:
            raise GenerationError("top-p must be above 0 and at most 1.")
        if request.top_k is not None and request.top_k < 0:
            raise GenerationError("top-k must be 0 (off) or a positive count.")
        if not 1 <= request.variations <= 64:
            raise GenerationError("The number of variations must be between 1 and 64.")
        if not 1 <= request.bars <= 256:
            raise GenerationError("The length must be between 1 and 256 bars.")
        for sd in [request.noise_sd, *(request.track_noise_sd or {}).values()]:
            if sd is not None and not 0.0 <= sd <= 5.0:
                raise GenerationError("The latent noise sd must be between 0 and 5.")
        for alpha in [request.style_alpha, *(request.track_style_alpha or {}).values()]:
            if alpha is not None and not 0.0 <= alpha <= 1.0:
                raise GenerationError("Style alpha must be between 0 and 1.")
        if request.tokens is not None and not 1 <= request.tokens <= 20000:
            raise GenerationError("The length must be between 1 and 20,000 tokens.")

    def option_list(self) -> str:
        names = ["--" + o.replace("_", "-") for o in OPTION_NAMES if o in self.options]
        return ", ".join(names) or "no sampling options"

    def provenance(self, request: GenerationRequest, index: int) -> dict[str, Any]:
        """Everything needed to regenerate variation ``index`` exactly."""
        return {
            "model": self.name,
            "checkpoint": str(self.checkpoint_dir) if self.checkpoint_dir else None,
            "checkpoint_sha256": self.card.get("weights_sha256"),
            "seed": request.seed.title if request.seed is not None else None,
            "seed_text": request.seed_text,
            "sliders": request.sliders(),
            "bars": request.bars,
            "random_seed": request.random_seed,
            "variation": index + 1,
            "variations": request.variations,
        }

    @abstractmethod
    def generate(self, request: GenerationRequest) -> GenerationRun:
        """Yield Progress; return the variations."""


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


def with_provenance(score: Score, provenance: dict[str, Any], seconds: float | None = None) -> Score:
    prov = dict(provenance)
    if seconds is not None:
        prov["generation_seconds"] = round(seconds, 4)
    return replace(score, provenance=prov)


@dataclass
class Timer:
    """Wall-clock stopwatch for provenance and benchmarks."""

    start: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
