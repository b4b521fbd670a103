"""What the Generation panel asks a model for, as plain values: sliders, seed and style sources.

The panel's controls become a :class:`SliderState`; :func:`request_options`
turns it into the option values of a ``GenerationRequest``, leaving every
option the model lacks at ``None`` (generators refuse any other value). A
seed or a style song is described by a JSON-able *source* record (a bundled
seed, a file, or the notes of a selection), which travels in the provenance
of every inserted phrase so the phrase can be regenerated exactly.

Pure: no Qt, no torch (reading a file goes through ``formats.load_score``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from app.core.score import Score

TEMPERATURE_RANGE = (0.05, 5.0)
NOISE_RANGE = (0.0, 4.0)
BARS_RANGE = (1, 64)
VARIATIONS_RANGE = (1, 16)
RANDOM_SEED_MAX = 2**31 - 1
DEVICES = ("auto", "cpu", "cuda", "mps")

OPTION_WORDS = {
    "temperature": "no temperature",
    "noise_sd": "no latent noise",
    "style": "no style mixing",
    "style_alpha": "no style mixing",
}
ARCH_KINDS = {"markov": "a Markov chain", "note-lstm": "an LSTM", "abc-lstm": "a character-level LSTM"}


@dataclass(frozen=True)
class SliderState:
    """The panel's numeric controls, as values."""

    temperature: float = 1.0
    noise_sd: float = 0.5
    style_alpha: float = 0.5
    bars: int = 4
    variations: int = 4
    random_seed: int = 0
    locked: bool = False
    device: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "noise_sd": self.noise_sd, "style_alpha": self.style_alpha,
                "bars": self.bars, "variations": self.variations, "random_seed": self.random_seed,
                "locked": self.locked, "device": self.device}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SliderState":
        """Read stored values, each clamped to its range; anything unreadable keeps its default."""
        base = cls()

        def value(name: str, kind, low, high):
            try:
                return max(low, min(high, kind(data.get(name, getattr(base, name)))))
            except (TypeError, ValueError):
                return getattr(base, name)

        device = str(data.get("device", "auto"))
        return cls(temperature=value("temperature", float, *TEMPERATURE_RANGE),
                   noise_sd=value("noise_sd", float, *NOISE_RANGE),
                   style_alpha=value("style_alpha", float, 0.0, 1.0),
                   bars=value("bars", int, *BARS_RANGE), variations=value("variations", int, *VARIATIONS_RANGE),
                   random_seed=value("random_seed", int, 0, RANDOM_SEED_MAX), locked=bool(data.get("locked", False)),
                   device=device if device in DEVICES else "auto")


def request_options(state: SliderState, options: frozenset[str] | set[str], has_style: bool) -> dict[str, Any]:
    """The option fields of a GenerationRequest: the model's own options set, all others None.

    Style mixing needs a style song: without one, ``style_alpha`` stays None.
    """
    return {
        "temperature": state.temperature if "temperature" in options else None,
        "top_k": None,
        "top_p": None,
        "noise_sd": state.noise_sd if "noise_sd" in options else None,
        "style_alpha": state.style_alpha if "style_alpha" in options and has_style else None,
    }


def missing_option_reason(model: str, arch: str, option: str) -> str:
    """The tooltip of a control the model lacks: 'The note-lstm model has no latent noise (it is an LSTM).'"""
    what = OPTION_WORDS.get(option, f"no {option.replace('_', ' ')}")
    kind = ARCH_KINDS.get(arch, f"a {arch} model")
    return f"The {model} model has {what} (it is {kind})."


# -- seed and style sources ---------------------------------------------------------------------

NO_SOURCE: dict[str, Any] = {"kind": "none"}


def bundled_source(spec: str) -> dict[str, Any]:
    """A bundled seed, ``seed:NAME``."""
    return {"kind": "seed", "spec": spec}


def file_source(path: str | Path) -> dict[str, Any]:
    return {"kind": "file", "spec": str(Path(path).resolve())}


def selection_source(score: Score) -> dict[str, Any]:
    """Notes taken from the piano roll, kept whole (the selection itself does not last)."""
    from app.core.project import score_to_dict

    return {"kind": "selection", "score": score_to_dict(score)}


def source_label(source: Mapping[str, Any]) -> str:
    """A short name for a source: the seed's name, the file's name, or 'the selection'."""
    kind = source.get("kind")
    if kind == "seed":
        return str(source.get("spec", ""))[len("seed:"):]
    if kind == "file":
        return Path(str(source.get("spec", ""))).name
    if kind == "selection":
        return "the selection"
    return "nothing"


def load_source(source: Mapping[str, Any]) -> Score | None:
    """The score a source names (None for none); CadenzaError in one sentence when it cannot be read."""
    kind = source.get("kind")
    if kind in ("seed", "file"):
        from app.core.formats import load_score

        return load_score(str(source["spec"]))
    if kind == "selection":
        from app.core.errors import CadenzaError
        from app.core.project import score_from_dict

        try:
            return score_from_dict(source["score"])
        except (KeyError, TypeError, ValueError):
            raise CadenzaError("The seed notes stored with this phrase are damaged.") from None
    return None


def source_seed_text(source: Mapping[str, Any]) -> str | None:
    """The ABC text ABC models continue, when the source is an ABC file (else None)."""
    if source.get("kind") in ("seed", "file"):
        return abc_seed_text(str(source["spec"]))
    return None


def abc_seed_text(spec: str | Path | None) -> str | None:
    """An ABC seed's own text (its first tune), which ABC models continue verbatim; None for other files."""
    from app.core.formats import resolve

    if not spec or resolve(spec).suffix.lower() != ".abc":
        return None
    text = resolve(spec).read_text(encoding="utf-8", errors="replace")
    tunes = text.split("\nX:")
    if tunes[0].lstrip().startswith("X:"):
        return tunes[0]
    return "X:" + tunes[1] if len(tunes) > 1 else text
