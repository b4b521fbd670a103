"""abc-lstm's baselines: a variable-order character model on the same splits.

``fit_char_baseline`` is the baseline ``cadenza eval`` fits in memory beside
this model: the shared variable-order Markov model over the characters of
the training tunes (this model's vocabulary, order up to 5 chosen on
validation tunes), decoded under the same ABC grammar as this model, so its
tunes are as well-formed as the model's and only the choice of notes differs.

``markov_baseline`` below measures the same kind of model's bits per
character for the card.

abc-lstm predicts characters, so its baseline is the shared variable-order
Markov model (models.common.ngram, the one the markov model counts note tokens
with) over the same character ids, fitted on the same (untransposed) training tunes, its
order chosen on the validation tunes and measured on the same held-out tunes.
The result goes into the abc-lstm card as ``markov_test_bits_per_char``.

    python -m models.abc_lstm.baseline resources/checkpoints/abc-lstm
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from models.common.card import read_card, update_card
from models.common.corpus import abc_tunes
from models.common.ngram import MarkovConfig, MarkovModel

from models.abc_lstm.codec import END, CharVocab, normalize_tune

CHAR_MAX_ORDER = 5
CHAR_VALID_TUNES = 50  # validation tunes used to choose the character model's order


def split_ids(vocab: CharVocab, specs: list[str]) -> dict[str, list[list[int]]]:
    space = vocab.index[" "]
    out: dict[str, list[list[int]]] = {"train": [], "valid": [], "test": []}
    for spec in specs:
        for tune in abc_tunes(spec):
            text = normalize_tune(tune.text)
            if text:
                out[tune.split].append([vocab.index.get(c, space) for c in text + END])
    return out


def markov_baseline(folder: str | Path, max_order: int = 8) -> dict[str, float]:
    """Fit, choose the order, measure bits per character on the held-out tunes; update the card."""
    folder = Path(folder)
    card = read_card(folder)
    start = time.perf_counter()
    vocab = CharVocab(card["vocabulary"])
    ids = split_ids(vocab, card["training"]["data"])
    model = MarkovModel(MarkovConfig(len(vocab), max_order)).fit(ids["train"])
    model.choose_order(ids["valid"])
    nll, count = 0.0, 0
    for seq in ids["test"]:
        for i in range(1, len(seq)):
            nll -= math.log(max(model.prob(seq[max(0, i - model.order):i], seq[i]), 1e-12))
            count += 1
    result = {"markov_test_bits_per_char": round(nll / count / math.log(2), 4), "markov_order": model.order,
              "markov_seconds": round(time.perf_counter() - start, 1)}
    update_card(folder, metrics=dict(card.get("metrics", {}), **result),
                training=dict(card["training"], baseline_command=f"python -m models.abc_lstm.baseline {folder}"))
    return result


class _CharMarkovSteps:
    """A character Markov model behind the recurrent ``step(last, state)`` that the ABC sampler calls."""

    def __init__(self, model: MarkovModel) -> None:
        self.model = model

    def step(self, last, state: list[list[int]] | None):
        """``last`` (B,) ids -> logits (B, V) of the next character, and the contexts so far."""
        import torch

        contexts = state if state is not None else [[] for _ in range(len(last))]
        rows = []
        for context, token in zip(contexts, last.tolist()):
            context.append(int(token))
            rows.append(np.log(self.model.distribution(context[-self.model.order:])))
        return torch.tensor(np.stack(rows), dtype=torch.float32), contexts


def fit_char_baseline(train: Sequence[str], valid: Sequence[str], evaluated: Any, data: Sequence[str]):
    """A character Markov generator for ABC tunes in ``evaluated``'s vocabulary, decoded under the grammar."""
    import torch

    from models.abc_lstm.generate import AbcLSTMGenerator

    vocab = CharVocab(list(evaluated.card["vocabulary"]))
    space = vocab.index[" "]

    def ids(text: str) -> list[int]:
        return [vocab.index.get(c, space) for c in text + END]

    model = MarkovModel(MarkovConfig(len(vocab), CHAR_MAX_ORDER)).fit(ids(t) for t in train)
    model.choose_order([ids(t) for t in valid[:CHAR_VALID_TUNES]] or [ids(t) for t in train[:20]])

    class CharMarkovAbc(AbcLSTMGenerator):
        def __init__(self) -> None:
            self.device = torch.device("cpu")
            self.card = {"arch": "character n-gram", "name": "character n-gram",
                         "training": {"data": list(data), "chosen_order": model.order, "unit": "character",
                                      "in_memory": True}}
            self.checkpoint_dir = None
            self.vocab = vocab
            self.model = _CharMarkovSteps(model)
            self._fallback_id = vocab.index.get(" ", vocab.end_id)

        def _read(self, ids: list[int], batch: int):
            """The chain has no sequence pass: each row's context is the ids read so far."""
            return self.model.step(torch.tensor([ids[-1]] * batch), [list(ids[:-1]) for _ in range(batch)])

    return CharMarkovAbc()


if __name__ == "__main__":
    print(markov_baseline(sys.argv[1]))
