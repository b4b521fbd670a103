"""What an evaluation compares: held-out seeds and continuations, training excerpts, the training set.

The datasets are those of the model card (``training.data``), split as they
were for training (``models.common.corpus``: the test split is held out).

Note models (scores): a held-out piece long enough for ``seed_bars + bars``
bars gives a seed (its first ``seed_bars`` bars) and a reference piece (the
``bars`` bars after them: the true continuation). The training-split baseline
takes the same bars of training pieces.

ABC models (tunes): a held-out tune gives a seed (its header: X T M L K) and
a reference piece (its first ``bars`` bars, read by music21). The training
baseline takes the first ``bars`` bars of training tunes. Tunes are in the
normal form the model trains on (its spec's ``evaluation.text_form``).

Seeds and pieces are drawn with the evaluation's random seed; at most
``max(samples, 64)`` reference pieces are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from app.core.errors import CadenzaError, DatasetError
from app.core.score import Note, Score
from app.core.timing import bar_count, bar_lines
from models.common.corpus import abc_tunes, load_scores
from models.common.note_tokens import encode_score
from models.metrics import CopyIndex, abc_note_events, note_events

REFERENCE_MIN = 64


@dataclass(frozen=True)
class Seed:
    """One prompt: a score (note models) or ABC header text (ABC models), and where it came from."""

    score: Score | None
    text: str | None
    source: str


@dataclass
class EvalData:
    """Seeds, reference (held-out) pieces, training-split pieces and the training set for copying and the baseline."""

    seeds: list[Seed]
    reference: list[Score]
    train_pieces: list[Score]
    train_texts: list[str]  # ABC: the texts of ``train_pieces`` (for validity); note models: empty
    copy_index: CopyIndex
    baseline_train: list[Any]  # token lists (note models) or tune texts (ABC models)
    baseline_valid: list[Any]
    counts: dict[str, int] = field(default_factory=dict)


def excerpt(score: Score, first_bar: int, bars: int) -> Score:
    """Bars ``first_bar`` .. ``first_bar + bars - 1`` (0-based) of ``score``, moved to tick 0.

    Notes starting inside the span are kept and cut at its end; the tempo and
    meter in force at its start (and their changes inside it) come along.
    """
    lines = bar_lines(score)
    starts = [b.tick for b in lines]
    while len(starts) <= first_bar + bars:  # past the last note: bars of the last meter
        starts.append(starts[-1] + lines[-1].signature.bar_ticks(score.ppq))
    t0, t1 = starts[first_bar], starts[first_bar + bars]

    def inside(changes):
        kept = [c for c in changes if c.tick <= t0][-1:] + [c for c in changes if t0 < c.tick < t1]
        return tuple(replace(c, tick=max(c.tick - t0, 0)) for c in kept)

    tracks = tuple(t.with_notes(Note(n.start - t0, n.pitch, min(n.duration, t1 - n.start), n.velocity)
                                for n in t.notes if t0 <= n.start < t1) for t in score.tracks)
    return replace(score, tracks=tracks, tempos=inside(score.tempos), time_signatures=inside(score.time_signatures),
                   provenance={})


def _draw(count: int, available: int, rng: np.random.Generator) -> list[int]:
    """``count`` indices into ``available`` items: a random order, repeated when there are too few."""
    order = rng.permutation(available)
    return [int(order[i % available]) for i in range(count)]


def load_note_data(specs: Sequence[str], samples: int, bars: int, seed_bars: int, random_seed: int) -> EvalData:
    """Held-out seeds and continuations, and the training split, of scores datasets."""
    items = [item for spec in specs for item in load_scores(spec).items]
    split = {name: [i for i in items if i.split == name] for name in ("train", "valid", "test")}
    need = seed_bars + bars
    held = [i for i in split["test"] if bar_count(i.score) >= need]
    train_long = [i for i in split["train"] if bar_count(i.score) >= need]
    if not held or not train_long:
        which = "held-out (test)" if not held else "training"
        raise DatasetError(f"The {which} split of {', '.join(specs)} has no piece of at least {need} bars; "
                           "ask for fewer bars.")
    rng = np.random.default_rng(random_seed)
    order = _draw(len(held), len(held), rng)
    reference = [excerpt(held[i].score, seed_bars, bars) for i in order[:max(samples, REFERENCE_MIN)]]
    seeds = [Seed(excerpt(held[order[i % len(order)]].score, 0, seed_bars), None, held[order[i % len(order)]].key)
             for i in range(samples)]
    picks = _draw(min(samples, len(train_long)), len(train_long), rng)
    train_pieces = [excerpt(train_long[i].score, seed_bars, bars) for i in picks]
    tokens = {name: [t for t in (encode_score(i.score) for i in split[name]) if len(t) >= 6] for name in ("train", "valid")}
    return EvalData(seeds, reference, train_pieces, [], CopyIndex(note_events(i.score) for i in split["train"]),
                    tokens["train"], tokens["valid"],
                    {"train": len(split["train"]), "valid": len(split["valid"]), "test": len(split["test"]),
                     "test_long_enough": len(held)})


def header_text(tune: str) -> str:
    """The header lines of a normalised tune, up to and including ``K:``."""
    lines = tune.splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("K:")), len(lines) - 1)
    return "\n".join(lines[: end + 1]) + "\n"


def _abc_pieces(texts: list[str], bars: int, limit: int) -> tuple[list[Score], list[str]]:
    """Up to ``limit`` tunes read by music21 (unreadable ones skipped), cut to ``bars`` bars, with their texts."""
    from app.core.abc.read import read_abc_text

    pieces, kept = [], []
    for text in texts:
        if len(pieces) == limit:
            break
        try:
            pieces.append(excerpt(read_abc_text(text, name="a corpus tune"), 0, bars))
            kept.append(text)
        except CadenzaError:
            continue
    return pieces, kept


def load_abc_data(specs: Sequence[str], samples: int, bars: int, random_seed: int,
                  normalize_tune: Callable[[str], str]) -> EvalData:
    """Held-out tune headers and openings, and the training tunes, of ABC datasets, each tune put in the
    model's normal form by ``normalize_tune``."""
    split: dict[str, list[tuple[str, str]]] = {"train": [], "valid": [], "test": []}
    for spec in specs:
        for tune in abc_tunes(spec):
            text = normalize_tune(tune.text)
            if text:
                split[tune.split].append((tune.key, text))
    if not split["test"] or not split["train"]:
        which = "held-out (test)" if not split["test"] else "training"
        raise DatasetError(f"The {which} split of {', '.join(specs)} has no usable ABC tune.")
    rng = np.random.default_rng(random_seed)
    held = [split["test"][i] for i in _draw(len(split["test"]), len(split["test"]), rng)]
    reference, _ = _abc_pieces([t for _, t in held], bars, max(samples, REFERENCE_MIN))
    seeds = [Seed(None, header_text(held[i % len(held)][1]), held[i % len(held)][0]) for i in range(samples)]
    train_order = [split["train"][i][1] for i in _draw(len(split["train"]), len(split["train"]), rng)]
    train_pieces, train_texts = _abc_pieces(train_order, bars, samples)
    if len(reference) < 2 or len(train_pieces) < 2:
        raise DatasetError(f"Too few tunes of {', '.join(specs)} could be read to compare sets.")
    train = [t for _, t in split["train"]]
    return EvalData(seeds, reference, train_pieces, train_texts, CopyIndex(abc_note_events(t) for t in train),
                    train, [t for _, t in split["valid"]],
                    {"train": len(split["train"]), "valid": len(split["valid"]), "test": len(split["test"])})
