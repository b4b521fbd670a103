"""The markov baseline for abc-lstm: a variable-order character model on the same splits.

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

from models.common.card import read_card, update_card
from models.common.corpus import abc_tunes
from models.common.ngram import MarkovConfig, MarkovModel

from models.abc_lstm.codec import END, CharVocab, normalize_tune


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


if __name__ == "__main__":
    print(markov_baseline(sys.argv[1]))
