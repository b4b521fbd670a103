"""Training the markov baseline: count n-grams of note tokens, choose the order on validation data."""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any, Callable

from models.common.card import save_arrays
from models.common.corpus import load_scores
from models.common.ngram import MarkovConfig, MarkovModel
from models.common.note_tokens import Vocabulary, encode_score

DEFAULT_DATA = ("corpus:classical", "corpus:chorales")


def split_tokens(specs: list[str], on_progress: Callable[[str], None] | None = None) -> tuple[dict[str, list[list[str]]], dict]:
    """Token sequences of every dataset, by split, with counts for the card."""
    splits: dict[str, list[list[str]]] = {"train": [], "valid": [], "test": []}
    info = {}
    for spec in specs:
        report = load_scores(spec)
        for item in report.items:
            tokens = encode_score(item.score)
            if len(tokens) >= 6:
                splits[item.split].append(tokens)
        info[spec] = {"files": len(report.items) + report.skipped, "skipped": report.skipped,
                      "parsed": report.parsed, "cached": report.cached}
        if on_progress:
            on_progress(f"{spec}: {len(report.items)} scores ({report.skipped} skipped)")
    return splits, info


def train_markov(data: list[str] | None, out_dir: str | Path, max_order: int = 8, command: str = "",
                 on_progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fit on the train split, choose the order on valid, report test metrics; returns the card."""
    start = time.perf_counter()
    specs = list(data or DEFAULT_DATA)
    splits, info = split_tokens(specs, on_progress)
    vocab = Vocabulary.build(splits["train"])
    ids = {name: [vocab.encode(seq) for seq in seqs] for name, seqs in splits.items()}
    model = MarkovModel(MarkovConfig(len(vocab), max_order)).fit(ids["train"])
    order_scores = model.choose_order(ids["valid"] or ids["train"][:20])
    test = model.evaluate(ids["test"])
    seconds = time.perf_counter() - start
    card = {
        "arch": "markov",
        "name": "markov",
        "description": "Variable-order Markov model over note/chord tokens with durations and waits; "
                       "the baseline every neural model must beat, and an instant generator on any CPU.",
        "config": {"vocab_size": len(vocab), "max_order": max_order},
        "vocabulary": vocab.tokens,
        "training": {"data": specs, "datasets": info, "command": command, "seed": 0,
                     "tokens": {k: sum(map(len, v)) for k, v in splits.items()},
                     "device": f"cpu ({platform.processor() or platform.machine()})",
                     "seconds": round(seconds, 2), "order_validation_cross_entropy": order_scores,
                     "chosen_order": model.order},
        "metrics": {"test_cross_entropy": round(test["cross_entropy"], 4), "test_accuracy": round(test["accuracy"], 4),
                    "test_tokens": test["tokens"]},
        "parameters": int(sum(len(c) for table in model.tables for c in table.values())),
    }
    return save_arrays(out_dir, model.to_arrays(), card)
