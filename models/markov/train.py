"""Training the markov baseline: count n-grams of note tokens, choose the order on validation data."""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any, Generator

from models.common.card import save_arrays
from models.common.corpus import load_scores, measurable_splits
from models.common.ngram import MarkovConfig, MarkovModel
from models.common.note_tokens import Vocabulary, encode_score
from models.common.train_request import TrainRequest
from models.common.train_task import TrainProgress

DEFAULT_DATA = ("corpus:classical", "corpus:chorales")


def dataset_tokens(spec: str) -> tuple[list[tuple[str, str, list[str]]], dict[str, Any]]:
    """One dataset's pieces as ``(key, split, tokens)``, and its counts for the card."""
    pieces = []
    report = load_scores(spec)
    for item in report.items:
        tokens = encode_score(item.score)
        if len(tokens) >= 6:
            pieces.append((f"{spec}/{item.key}", item.split, tokens))
    return pieces, {"files": len(report.items) + report.skipped, "skipped": report.skipped,
                    "parsed": report.parsed, "cached": report.cached}


def train_run(request: TrainRequest) -> Generator[TrainProgress, None, dict[str, Any]]:
    """The shared trainer interface (``SPEC.training.entry``): one pass, no steps. Yields a message per
    dataset; fits on the train split, chooses the order on valid, writes the checkpoint to ``request.out``
    and returns the test metrics."""
    start = time.perf_counter()
    specs = list(request.data or DEFAULT_DATA)
    pieces: list[tuple[str, str, list[str]]] = []
    info = {}
    for spec in specs:
        yield TrainProgress(0, 0, 0, message=f"loading {spec}")
        found, info[spec] = dataset_tokens(spec)
        pieces += found
        yield TrainProgress(0, 0, 0, message=f"{spec}: {info[spec]['files'] - info[spec]['skipped']} scores "
                                             f"({info[spec]['skipped']} skipped)")
    chosen, note = measurable_splits([key for key, _, _ in pieces], [split for _, split, _ in pieces])
    splits: dict[str, list[list[str]]] = {"train": [], "valid": [], "test": []}
    for split, (_, _, tokens) in zip(chosen, pieces):
        splits[split].append(tokens)
    if note:
        yield TrainProgress(0, 0, 0, message=note)
    yield TrainProgress(0, 0, 0, message="counting")
    card = fit(splits, info, specs, request.out, command=request.command, started=start, held_out=note)
    return card["metrics"]


def fit(splits: dict[str, list[list[str]]], info: dict, specs: list[str], out_dir: str | Path, max_order: int = 8,
        command: str = "", started: float | None = None, held_out: str = "") -> dict[str, Any]:
    """Fit on the train split, choose the order on valid, report valid and test metrics (those of a split
    that is not empty); saves and returns the card. ``held_out`` says how a small dataset was split."""
    start = time.perf_counter() if started is None else started
    vocab = Vocabulary.build(splits["train"])
    ids = {name: [vocab.encode(seq) for seq in seqs] for name, seqs in splits.items()}
    model = MarkovModel(MarkovConfig(len(vocab), max_order)).fit(ids["train"])
    order_scores = model.choose_order(ids["valid"] or ids["train"][:20])
    valid = model.evaluate(ids["valid"]) if ids["valid"] else None
    test = model.evaluate(ids["test"]) if ids["test"] else None
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
                     "chosen_order": model.order,
                     "pieces": {k: len(v) for k, v in splits.items()}, **({"held_out": held_out} if held_out else {})},
        "metrics": {**_measured("valid", valid), **_measured("test", test)},
        "parameters": int(sum(len(c) for table in model.tables for c in table.values())),
    }
    return save_arrays(out_dir, model.to_arrays(), card)


def _measured(split: str, result: dict[str, float] | None) -> dict[str, Any]:
    """``{split}_cross_entropy``, ``_accuracy`` and ``_tokens`` (nothing for an empty split)."""
    if result is None:
        return {}
    return {f"{split}_cross_entropy": round(result["cross_entropy"], 4),
            f"{split}_accuracy": round(result["accuracy"], 4), f"{split}_tokens": result["tokens"]}
