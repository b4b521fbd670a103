"""A seed as a model can use it: drums left out of a model that writes pitched music, and said so.

A model's spec says which seeds it reads (``spec.seeds``). A model without
``DRUMS`` cannot hear a drum track: a drums-only seed is refused in one sentence
(never turned into unrelated pitches), and a seed with drums and pitched parts
is continued from its pitched parts, with a sentence naming what was left out.
That sentence travels with the variations (``Provenance.seed_note``): the CLI
prints it, the Generate panel shows it.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.errors import GenerationError
from app.core.score import Score

from models.common.spec import DRUMS, ModelSpec


def fit_seed(spec: ModelSpec, seed: Score | None) -> tuple[Score | None, str | None]:
    """``seed`` as ``spec``'s model can read it, and a sentence when parts were left out (else None)."""
    if seed is None or DRUMS in spec.seeds:
        return seed, None
    drums = [t for t in seed.tracks if t.is_drum and t.notes]
    if not drums:
        return seed, None
    if not any(t.notes for t in seed.tracks if not t.is_drum):
        raise GenerationError(f"The seed holds only drums, and {spec.name} writes pitched music; "
                              "choose a seed with a tune or chords in it.")
    kept = tuple(t for t in seed.tracks if not t.is_drum)
    names = _names(drums, "drums")
    return replace(seed, tracks=kept), (f"{spec.name} continues the seed's pitched parts and leaves out {names}, "
                                        "which it does not play.")


def _names(tracks, fallback: str) -> str:
    named = [f"'{t.name}'" for t in tracks if t.name.strip()]
    if not named:
        return f"its {fallback}"
    return "its drum track " + named[0] if len(named) == 1 else "its drum tracks " + ", ".join(named)
