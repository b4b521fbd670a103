"""Generating with note-lstm: warm the state on the seed once, then carry (h, c).

Skuldur's ``predict.py`` re-runs the network over the last 100 tokens for every
new token (100x the work, and a context that forgets everything older).
Here the seed is read once; each new token is one recurrent step from the
carried state, for all variations at once (one batch row per variation).
Sampling is masked by token kind (pitch/chord -> duration -> wait ->
wait or pitch/chord), so the output always decodes, and stops per row once
the requested number of bars of waits has passed. :func:`window_refeed_generate`
does it Skuldur's way, for the benchmark.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from app.core.errors import CheckpointError
from models.note_lstm import SPEC
from models.common.checkpoint import load_checkpoint
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.note_tokens import KINDS, Vocabulary, token_kind, token_pitches
from models.common.pitch_controls import allowed_tokens
from models.common.sampling import make_generator, sample_next

from models.common.note_tokens import bar_steps, continuation_context

from models.note_lstm.codec import NoteCodec, seed_ids
from models.note_lstm.model import NoteLSTM, NoteLSTMConfig, State, expand_state

CHUNK = 32  # tokens between progress reports (at most)
STEP_SECONDS = 0.05  # ... or fewer, so a cancel (quitting the app) lands within this long
OOM_HINT = "ask for fewer variations, or run on the CPU"


class KindRules:
    """Which ids may follow each id, and how many grid steps each id waits, on the device."""

    def __init__(self, vocab: Vocabulary, device: torch.device) -> None:
        kinds = {k: torch.from_numpy(vocab.kind_masks[k]) for k in KINDS}  # each (V,) bool
        follow = []
        for token in vocab.tokens:
            mask = torch.zeros(len(vocab), dtype=torch.bool)
            for kind in vocab.next_kind(token):
                mask |= kinds[kind]
            follow.append(mask)
        self.follow = torch.stack(follow).to(device)  # (V, V): row = previous id
        waits = [int(t[1:]) if token_kind(t) == "w" else 0 for t in vocab.tokens]
        self.wait = torch.tensor(waits, dtype=torch.long, device=device)  # (V,)

    def allowed(self, last: torch.Tensor) -> torch.Tensor:
        """``last`` (B,) ids -> (B, V) bool mask of the ids that may come next."""
        return self.follow[last]

    def controlled(self, allowed: np.ndarray | None) -> "KindRules":
        """These rules with the key lock and pitch range (``allowed``, (V,) bool) applied to every row."""
        if allowed is None:
            return self
        out = object.__new__(KindRules)
        out.follow = self.follow & torch.from_numpy(allowed).to(self.follow.device)[None, :]
        out.wait = self.wait
        return out


def _warm(model: NoteLSTM, ids: Sequence[int], batch: int, device: torch.device) -> tuple[torch.Tensor, State]:
    """Read the seed once: logits for the next token (B, V) and the state, repeated per row."""
    seed = torch.as_tensor(np.asarray(ids), dtype=torch.long, device=device)[None]  # (1, T)
    logits, state = model(seed, last_only=True)  # (1, 1, V)
    return logits[:, -1].expand(batch, -1), expand_state(state, batch)


@torch.inference_mode()
def carried_state_generate(model: NoteLSTM, seed: Sequence[int], n_tokens: int, generator: torch.Generator,
                           rules: KindRules | None = None, temperature: float = 1.0, top_k: int = 0,
                           top_p: float = 1.0) -> list[int]:
    """``n_tokens`` ids after ``seed``, one recurrent step each (model in eval mode)."""
    device = next(model.parameters()).device
    logits, state = _warm(model, seed, 1, device)  # (1, V)
    last = torch.tensor([int(seed[-1])], device=device)
    out: list[int] = []
    for i in range(n_tokens):
        allowed = rules.allowed(last) if rules is not None else None
        last = sample_next(logits, generator, temperature, top_k, top_p, allowed)  # (1,)
        out.append(int(last))
        if i + 1 < n_tokens:
            logits, state = model.step(last, state)
    return out


@torch.inference_mode()
def window_refeed_generate(model: NoteLSTM, seed_ids: Sequence[int], n_tokens: int, window: int = 100,
                           generator: torch.Generator | None = None, rules: KindRules | None = None,
                           temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> list[int]:
    """Skuldur's way: for every new token, run the last ``window`` ids from a zero state."""
    device = next(model.parameters()).device
    history = [int(i) for i in seed_ids]
    for _ in range(n_tokens):
        context = torch.tensor(history[-window:], device=device)[None]  # (1, <=window)
        logits, _ = model(context, last_only=True)  # (1, 1, V)
        allowed = rules.allowed(context[:, -1]) if rules is not None else None
        history.append(int(sample_next(logits[:, -1], generator, temperature, top_k, top_p, allowed)))
    return history[len(seed_ids):]


class _Rows:
    """The batch being sampled: one row per variation, each stopping after ``target`` grid steps.

    With ``request.tokens`` set, a row stops instead at the first wait token
    once it has that many tokens (so it ends on a whole onset group).
    """

    def __init__(self, gen: "NoteLSTMGenerator", ids: np.ndarray, request: GenerationRequest, target: int) -> None:
        self.gen, self.request, self.target = gen, request, target
        tokens = gen.codec.vocab.tokens
        self.rules = gen.rules.controlled(allowed_tokens(tokens, token_pitches, request.options, request.seed))
        self.max_tokens = request.tokens
        batch, device = request.variations, gen.device
        self.random = make_generator(request.random_seed, device)
        self.logits, self.state = _warm(gen.model, ids, batch, device)  # (B, V), (L, B, H) each
        self.last = torch.full((batch,), int(ids[-1]), dtype=torch.long, device=device)  # (B,)
        self.steps = torch.zeros(batch, dtype=torch.long, device=device)  # (B,) grid steps waited
        self.done_at = torch.full((batch,), -1, dtype=torch.long, device=device)  # (B,) index of the last token
        self.tokens: list[torch.Tensor] = []  # each (B,)
        # every onset (3 tokens) waits at least 3 steps
        self.cap = request.tokens + 3 if request.tokens else target + 6
        self.finished = False

    def advance(self, n: int, seconds: float | None = None) -> None:
        """Sample up to ``n`` more tokens per row (fewer once ``seconds`` have passed)."""
        r = self.request
        until = time.perf_counter() + seconds if seconds is not None else None
        for _ in range(n):
            if self.finished or (until is not None and time.perf_counter() > until):
                return
            token = sample_next(self.logits, self.random, r.options.temperature, r.options.top_k, r.options.top_p,
                                self.rules.allowed(self.last))  # (B,)
            self.tokens.append(token)
            self.steps += self.rules.wait[token]
            newly = (self.done_at < 0) & self._reached(token)
            self.done_at = torch.where(newly, len(self.tokens) - 1, self.done_at)
            self.last = token
            self.finished = bool((self.done_at >= 0).all()) or len(self.tokens) >= self.cap
            if not self.finished:
                self.logits, self.state = self.gen.model.step(token, self.state)

    def _reached(self, token: torch.Tensor) -> torch.Tensor:
        """(B,) bool: rows whose length goal is met after ``token``."""
        if self.max_tokens:
            at_wait = self.rules.wait[token] > 0
            return at_wait & torch.tensor(len(self.tokens) >= self.max_tokens, device=token.device)
        return self.steps >= self.target

    def progress(self) -> Progress:
        """Tokens (with ``request.tokens``) or grid steps every row has reached (the slowest row)."""
        if self.max_tokens:
            done = min(len(self.tokens), self.max_tokens)
            return Progress(done, self.max_tokens, f"{done} of {self.max_tokens} tokens")
        steps = int(self.steps.clamp(max=self.target).min())
        per_bar = self.target / self.request.bars
        return Progress(steps, self.target, f"{steps / per_bar:.1f} of {self.request.bars} bars")

    def rows(self) -> list[np.ndarray]:
        """Each row's ids up to and including the wait that completed it."""
        ids = torch.stack(self.tokens, 1).cpu().numpy()  # (B, N)
        ends = self.done_at.cpu().numpy()
        return [row[: end + 1] if end >= 0 else row for row, end in zip(ids, ends)]


class NoteLSTMGenerator(Generator):
    """A loaded note-lstm checkpoint."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        state, self.card = load_checkpoint(self.checkpoint_dir, self.device)
        if self.card.get("arch") != "note-lstm":
            raise CheckpointError(f"{checkpoint_dir} holds a {self.card.get('arch')} model, not note-lstm.")
        try:
            self.config = NoteLSTMConfig(**self.card["config"])
            self.codec = NoteCodec.from_tokens(self.card["vocabulary"])
            if len(self.codec) != self.config.vocab_size:
                raise ValueError("the vocabulary does not match the config")
            model = NoteLSTM(self.config, self.card["vocabulary"])
            model.load_state_dict(state)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{checkpoint_dir} does not hold a usable note-lstm model ({exc}).") from None
        self.model = model.to(self.device).eval()
        self.rules = KindRules(self.codec.vocab, self.device)

    def generate(self, request: GenerationRequest) -> GenerationRun:
        """Yield Progress every few tokens; return ``request.variations`` continuations of the seed."""
        request = self.check_request(request)
        timer = Timer()
        like = continuation_context(request.seed)
        target = request.bars * bar_steps(like)
        with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
            rows = _Rows(self, seed_ids(self.codec, request.seed), request, target)
        while not rows.finished:
            with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
                rows.advance(CHUNK, STEP_SECONDS)
            yield rows.progress()
        results, last = [], rows.progress()
        for i, ids in enumerate(rows.rows()):
            if i:  # decoding 16 long variations takes a while: stay cancellable between them
                yield Progress(last.done, last.total, f"writing variation {i + 1} of {request.variations}")
            score = self.codec.decode(ids, like, end_steps=None if request.tokens else target)
            title = f"{like.title} (note-lstm {i + 1})" if like.title else f"note-lstm variation {i + 1}"
            results.append(with_provenance(replace(score, title=title), self.provenance(request, i), timer.elapsed()))
        return results
