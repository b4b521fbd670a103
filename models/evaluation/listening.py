"""The pieces of a listening test: human excerpts of held-out pieces and machine continuations of held-out seeds.

For each model the held-out (test) split of its training data is read as
``cadenza eval`` reads it (:mod:`models.evaluation.data`). Note models: a
machine clip continues the first ``seed_bars`` bars of a held-out piece and
keeps only the continuation; a human clip is the same ``bars`` bars (after
the first ``seed_bars``) of another held-out piece. ABC models: a machine
clip is a tune generated from a held-out tune's header; a human clip is the
opening ``bars`` bars of another held-out tune. Half the clips (rounded
down) are machine clips, shared among the models in turn; the human clips
come from the models' held-out splits in turn, or, when the user names a
corpus or folder for the human side, from its pieces (the same bars a
continuation of a note model plays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generator as PyGenerator, Sequence

import numpy as np

from app.core.errors import GenerationError
from app.core.listening.stats import HUMAN, MACHINE
from app.core.score import Score
from models.common.generator import GenerationRequest, Progress
from models.common.spec import EvalSpec
from models.evaluation.data import excerpt, load_abc_data, load_note_data


@dataclass(frozen=True)
class DrawnPiece:
    """A clip's music before rendering, and where it came from."""

    score: Score
    source: str  # HUMAN or MACHINE
    model: str
    piece: str
    random_seed: int | None = None


def shares(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` counts as equal as can be, the first ones larger."""
    return [total // parts + (i < total % parts) for i in range(parts)]


def human_pieces(specs: Sequence[str], count: int, bars: int, seed_bars: int, random_seed: int) -> list[DrawnPiece]:
    """``count`` human pieces from the datasets ``specs`` (every split: a corpus or folder the user chose):
    bars ``seed_bars + 1`` .. ``seed_bars + bars`` of pieces long enough, each piece once where there are enough."""
    from app.core.timing import bar_count
    from models.common.corpus import load_scores

    items = [i for spec in specs for i in load_scores(spec).items if bar_count(i.score) >= seed_bars + bars]
    if len(items) < count:
        raise GenerationError(f"{', '.join(specs)} has {len(items)} pieces of at least {seed_bars + bars} bars, "
                              f"fewer than the {count} human clips; ask for fewer clips or bars.")
    order = np.random.default_rng(random_seed).permutation(len(items))[:count]
    return [DrawnPiece(excerpt(items[i].score, seed_bars, bars), HUMAN, "", items[i].key) for i in order]


def draw_pieces(models: Sequence[str], clips: int, bars: int, seed_bars: int, random_seed: int,
                device: str = "auto", human_data: Sequence[str] = ()) -> PyGenerator[Progress, None, list[DrawnPiece]]:
    """Human and machine pieces for a test of ``clips`` clips (in drawing order, not shuffled); the human
    ones from ``human_data`` (datasets) when given, else from the models' held-out splits."""
    from models.registry import get_spec, load_generator

    if not models:
        raise GenerationError("A listening test needs at least one model.")
    if not 2 <= clips <= 200:
        raise GenerationError("A listening test has between 2 and 200 clips.")
    machine, human = shares(clips // 2, len(models)), shares(clips - clips // 2, len(models))
    if human_data:  # the human side from the user's own corpus or folder, not the held-out splits
        human = [0] * len(models)
    drawn: list[DrawnPiece] = []
    done = 0
    for index, name in enumerate(models):
        yield Progress(done, clips, f"loading {name} and its held-out pieces")
        gen = load_generator(name, None, device)
        specs = list(gen.card.get("training", {}).get("data") or [])
        if not specs:
            raise GenerationError(f"The {name} model's card names no training data, so it has no held-out pieces.")
        how = get_spec(gen.card["arch"]).evaluation or EvalSpec()
        need = machine[index] + human[index]
        if how.data == "abc":
            data = load_abc_data(specs, max(need, 2), bars, random_seed + index, how.text_form.load())
            humans = [(s, s.title or "a held-out tune") for s in data.reference[machine[index]:need]]
        else:
            data = load_note_data(specs, max(need, 2), bars, seed_bars, random_seed + index)
            humans = [(s, data.seeds[machine[index] + i].source)
                      for i, s in enumerate(data.reference[machine[index]:need])]
        if len(humans) < human[index]:
            raise GenerationError(f"The held-out split of {', '.join(specs)} has too few pieces for "
                                  f"{need} clips; ask for fewer clips.")
        for i, seed in enumerate(data.seeds[:machine[index]]):
            seed_number = random_seed + 1000 * index + i
            request = GenerationRequest(seed=seed.score, seed_text=seed.text, bars=bars, variations=1,
                                        random_seed=seed_number, device=device)
            run = gen.generate(request)
            while True:
                try:
                    next(run)
                except StopIteration as stop:
                    piece = list(stop.value)[0]
                    break
            drawn.append(DrawnPiece(excerpt(piece, 0, bars), MACHINE, name, seed.source, seed_number))
            done += 1
            yield Progress(done, clips, f"{name}: clip {i + 1} of {machine[index]}")
        drawn += [DrawnPiece(score, HUMAN, name, piece) for score, piece in humans[:human[index]]]
        done += human[index]
    if human_data:
        yield Progress(done, clips, f"loading the human pieces of {', '.join(human_data)}")
        drawn += human_pieces(human_data, clips - clips // 2, bars, seed_bars, random_seed)
    return drawn
