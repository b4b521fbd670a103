"""Variable-order Markov (n-gram) model with Witten-Bell interpolation, over any token ids.

Shared by the model folders: the Markov-chain model counts note tokens with it,
and the ABC model's evaluation baseline counts characters with it.

P_k(w | h) = (c(h, w) + T(h) * P_{k-1}(w | h')) / (c(h) + T(h)), where h' drops
the oldest token of h, T(h) counts the distinct tokens seen after h, and P_0 is
add-one smoothed unigram. The order K is chosen on validation data (lowest
cross-entropy). Counts are stored as integer arrays in safetensors (numpy).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np


@dataclass
class MarkovConfig:
    vocab_size: int
    max_order: int = 8


class MarkovModel:
    """Counts of next tokens after every context of length 1..max_order."""

    def __init__(self, config: MarkovConfig) -> None:
        self.config = config
        self.order = config.max_order
        self.unigram = np.ones(config.vocab_size, dtype=np.float64)  # add-one
        self.tables: list[dict[tuple[int, ...], Counter]] = [defaultdict(Counter) for _ in range(config.max_order + 1)]
        self._unigram_p = self.unigram / self.unigram.sum()
        self._cache: dict[int, dict] = {}

    def fit(self, sequences: Iterable[Sequence[int]]) -> "MarkovModel":
        for seq in sequences:
            for i, tok in enumerate(seq):
                self.unigram[tok] += 1
                for k in range(1, self.config.max_order + 1):
                    if i - k < 0:
                        break
                    self.tables[k][tuple(seq[i - k:i])][tok] += 1
        self._unigram_p = self.unigram / self.unigram.sum()
        self._cache = {}
        return self

    def prob(self, context: Sequence[int], token: int, order: int | None = None) -> float:
        """P(token | context) with interpolation up to ``order`` (default: the chosen one)."""
        order = self.order if order is None else order
        p = float(self._unigram_p[token])
        for k in range(1, min(order, len(context)) + 1):
            ctx = tuple(context[len(context) - k:])
            counts = self.tables[k].get(ctx)
            if not counts:
                break
            _, _, total, distinct = self._frozen(k, ctx)
            p = (counts.get(token, 0) + distinct * p) / (total + distinct)
        return p

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """The whole next-token distribution (V,) at the chosen order."""
        p = self._unigram_p
        for k in range(1, min(self.order, len(context)) + 1):
            frozen = self._frozen(k, tuple(context[len(context) - k:]))
            if frozen is None:
                break
            toks, counts, total, distinct = frozen
            mixed = distinct * p
            mixed[toks] += counts
            p = mixed / (total + distinct)
        return p.copy() if p is self._unigram_p else p

    def _frozen(self, k: int, ctx: tuple[int, ...]):
        """(tokens, counts, total, distinct) arrays of one context, built once."""
        cache = self._cache.setdefault(k, {})
        if ctx not in cache:
            counts = self.tables[k].get(ctx)
            cache[ctx] = None if not counts else (
                np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)),
                np.fromiter(counts.values(), dtype=np.float64, count=len(counts)),
                float(sum(counts.values())), float(len(counts)))
        return cache[ctx]

    def evaluate(self, sequences: Iterable[Sequence[int]], order: int | None = None) -> dict[str, float]:
        """Mean cross-entropy (nats/token) and next-token accuracy on held-out sequences."""
        nll, hits, count = 0.0, 0, 0
        for seq in sequences:
            for i in range(1, len(seq)):
                ctx = seq[max(0, i - self.config.max_order):i]
                nll -= math.log(max(self.prob(ctx, seq[i], order), 1e-12))
                count += 1
            hits += self._hits(seq, order)
        count = max(count, 1)
        return {"cross_entropy": nll / count, "accuracy": hits / count, "tokens": count}

    def _hits(self, seq: Sequence[int], order: int | None) -> int:
        saved, self.order = self.order, self.order if order is None else order
        try:
            return sum(int(np.argmax(self.distribution(seq[max(0, i - self.order):i])) == seq[i]) for i in range(1, len(seq)))
        finally:
            self.order = saved

    def choose_order(self, validation: list[Sequence[int]]) -> dict[int, float]:
        """Set ``order`` to the one with the lowest validation cross-entropy."""
        scores = {}
        for k in range(1, self.config.max_order + 1):
            nll, count = 0.0, 0
            for seq in validation:
                for i in range(1, len(seq)):
                    nll -= math.log(max(self.prob(seq[max(0, i - k):i], seq[i], k), 1e-12))
                    count += 1
            scores[k] = nll / max(count, 1)
        self.order = min(scores, key=scores.get)
        return scores

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Counts up to the chosen order only (higher orders are never consulted)."""
        arrays = {"unigram": self.unigram.astype(np.float64), "order": np.array([self.order], dtype=np.int64)}
        for k in range(1, self.order + 1):
            rows = [(ctx, tok, c) for ctx, counts in self.tables[k].items() for tok, c in counts.items()]
            arrays[f"ctx{k}"] = np.array([r[0] for r in rows], dtype=np.int32).reshape(-1, k)
            arrays[f"next{k}"] = np.array([r[1] for r in rows], dtype=np.int32)
            arrays[f"count{k}"] = np.array([r[2] for r in rows], dtype=np.int32)
        return arrays

    @classmethod
    def from_arrays(cls, config: MarkovConfig, arrays: dict[str, np.ndarray]) -> "MarkovModel":
        model = cls(config)
        model.unigram = arrays["unigram"].astype(np.float64)
        model._unigram_p = model.unigram / model.unigram.sum()
        model.order = int(arrays["order"][0])
        for k in range(1, model.order + 1):
            table = model.tables[k]
            for ctx, tok, c in zip(arrays[f"ctx{k}"].tolist(), arrays[f"next{k}"].tolist(), arrays[f"count{k}"].tolist()):
                table[tuple(ctx)][tok] = c
        return model
