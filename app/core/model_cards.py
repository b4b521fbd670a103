"""A model card (a checkpoint's ``config.json``) summed up for a musician choosing a model.

What it was trained on, how big it is, how well it did on held-out music,
and what it is good for — each as one short line. A card may say what it is
good for itself (``"good_for"``); otherwise it is told from the training data.
Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

CORPUS_NAMES = {
    "corpus:folk-abc": "folk tunes (ABC)",
    "corpus:chorales": "Bach chorales",
    "corpus:classical": "classical pieces",
    "corpus:palestrina": "Palestrina masses",
    "corpus:piano-midi": "expressive piano (piano-midi.de)",
    "corpus:band": "band pieces (drums, bass, guitar, piano, strings, lead)",
}
CORPUS_USES = {
    "corpus:folk-abc": "folk melodies: reels, jigs, airs",
    "corpus:chorales": "chorale harmony and voice leading",
    "corpus:classical": "classical piano and chamber textures",
    "corpus:palestrina": "Renaissance vocal polyphony",
    "corpus:piano-midi": "expressive piano with dynamics and rubato",
    "corpus:band": "a rhythm section (drums, bass, comping, strings) under a melody",
}
METRICS = (
    ("test_cross_entropy", "cross-entropy {:.3f} nats"),
    ("test_bits_per_char", "{:.3f} bits/char"),
    ("test_accuracy", "accuracy {:.1%}"),
)


@dataclass(frozen=True)
class CardSummary:
    """One line per question a musician asks about a model."""

    description: str
    trained_on: str
    size: str
    metrics: str
    good_for: str


def _data_specs(card: Mapping[str, Any]) -> list[str]:
    training = card.get("training") if isinstance(card.get("training"), dict) else {}
    data = training.get("data") or card.get("data") or []
    return [str(d) for d in (data if isinstance(data, list) else [data])]


def _data_name(spec: str) -> str:
    return CORPUS_NAMES.get(spec, Path(spec).name or spec)


def _credits(card: Mapping[str, Any]) -> str:
    """The attributions a licence asks for (``training.datasets.credits``), e.g. 'Bernd Krüger, piano-midi.de,
    CC BY-SA 3.0 DE'."""
    training = card.get("training") if isinstance(card.get("training"), dict) else {}
    datasets = training.get("datasets") if isinstance(training.get("datasets"), dict) else {}
    credits = datasets.get("credits") if isinstance(datasets.get("credits"), list) else []
    return "; ".join(f"{c['attribution']}, {c['licence']}" for c in credits
                     if isinstance(c, dict) and isinstance(c.get("attribution"), str) and isinstance(c.get("licence"), str))


def human_count(n: float) -> str:
    """1427311 -> '1.4 M'; 5300 -> '5.3 k'."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:g}"


def summarize_card(card: Mapping[str, Any], weights_bytes: int | None = None) -> CardSummary:
    """The card as five short lines (missing facts say so rather than guess)."""
    specs = _data_specs(card)
    trained_on = ", ".join(_data_name(s) for s in specs) or "unknown data"
    credits = _credits(card)
    if credits:
        trained_on += f" (music by {credits})"
    parts = []
    if isinstance(card.get("parameters"), (int, float)):
        parts.append(f"{human_count(card['parameters'])} parameters")
    if weights_bytes:
        parts.append(f"{weights_bytes / 1e6:.1f} MB")
    metrics = card.get("metrics") if isinstance(card.get("metrics"), dict) else {}
    shown = [fmt.format(metrics[k]) for k, fmt in METRICS if isinstance(metrics.get(k), (int, float))]
    if not shown:
        shown = [f"{k.replace('_', ' ')} {v:g}" for k, v in list(metrics.items())[:3] if isinstance(v, (int, float))]
    good_for = card.get("good_for")
    if not isinstance(good_for, str) or not good_for:
        uses = [CORPUS_USES.get(s, f"music like {_data_name(s)}") for s in specs]
        good_for = "; ".join(uses) or "music like its training data"
    return CardSummary(description=str(card.get("description", "")).strip(), trained_on=trained_on,
                       size=", ".join(parts) or "unknown size", metrics=", ".join(shown) or "no held-out figures",
                       good_for=good_for)
