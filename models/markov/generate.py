"""Generating with the markov baseline (numpy only, instant on any CPU)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.markov import SPEC
from models.common.card import load_arrays
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.ngram import MarkovConfig, MarkovModel
from models.common.note_tokens import (Vocabulary, bar_steps, continuation_context, encode_score, token_pitches,
                                       tokens_to_score)
from models.common.pitch_controls import allowed_tokens


def filter_probs(p: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """Temperature, top-k and top-p on a probability vector (zeros stay zero)."""
    with np.errstate(divide="ignore"):
        logits = np.log(p) / temperature
    logits -= logits.max()
    q = np.exp(logits)
    if top_k and top_k < np.count_nonzero(q):
        q[q < np.sort(q)[-top_k]] = 0.0
    if 0 < top_p < 1:
        order = np.argsort(-q)
        cum = np.cumsum(q[order]) / q.sum()
        cut = order[np.searchsorted(cum, top_p) + 1:]
        q[cut] = 0.0
    return q / q.sum()


class MarkovGenerator(Generator):
    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "cpu") -> None:
        arrays, self.card = load_arrays(checkpoint_dir)
        self.checkpoint_dir = Path(checkpoint_dir)
        self.vocab = Vocabulary(self.card["vocabulary"])
        self.model = MarkovModel.from_arrays(MarkovConfig(**self.card["config"]), arrays)

    def generate(self, request: GenerationRequest) -> GenerationRun:
        request = self.check_request(request)
        timer = Timer()
        seed_ids = self.vocab.encode(encode_score(request.seed)) if request.seed is not None else []
        like = continuation_context(request.seed)  # tempo, meter and key where the seed ends
        target = request.bars * bar_steps(like)
        allowed = allowed_tokens(self.vocab.tokens, token_pitches, request.options, request.seed)
        results = []
        for v in range(request.variations):
            rng = np.random.default_rng([request.random_seed, v])
            tokens = self._continue(seed_ids, target, request, rng, allowed)
            score = tokens_to_score(tokens, like=like)
            results.append(with_provenance(score, self.provenance(request, v), timer.elapsed()))
            yield Progress(v + 1, request.variations, f"variation {v + 1}")
        return results

    def _continue(self, seed_ids: list[int], target: int, request: GenerationRequest, rng,
                  allowed: np.ndarray | None = None) -> list[str]:
        """Sample ``P D W`` groups until ``target`` grid steps (or ``request.tokens`` tokens) are filled.

        Steps only advance on wait tokens, so stopping there ends on a whole group.
        """
        context = list(seed_ids)
        kind = self.vocab.next_kind(self.vocab.tokens[context[-1]]) if context else "p"
        out: list[str] = []
        steps = 0
        while (len(out) < request.tokens or (out and out[-1][0] != "w")) if request.tokens else steps < target:
            p = self.model.distribution(context[-self.model.order:])
            mask = np.logical_or.reduce([self.vocab.kind_masks[k] for k in kind])
            if allowed is not None:
                mask = mask & allowed
                if not (mask & (p > 0)).any():  # the chain knows no allowed note here: any allowed one
                    p = np.where(mask, 1.0, 0.0)
            q = filter_probs(np.where(mask, p, 0.0), request.options.temperature, request.options.top_k, request.options.top_p)
            tok = int(rng.choice(len(q), p=q))
            token = self.vocab.tokens[tok]
            out.append(token)
            context.append(tok)
            steps += int(token[1:]) if token[0] == "w" else 0
            kind = self.vocab.next_kind(token)
        return out
