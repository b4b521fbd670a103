"""Generating ABC tunes with abc-lstm under the whole-tune grammar.

All variations are one batch: every step runs the LSTM once for the batch,
carrying (h, c), masks each row's logits to the characters its
:class:`TuneConstraint` allows, and samples with a seeded generator. Every
finished text is a valid tune (see ``grammar.py``); it is parsed into a Score
and kept verbatim in the provenance (``abc``) for ``.abc`` output.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from app.core.errors import GenerationError
from models.abc_lstm import SPEC
from models.common.checkpoint import load_checkpoint
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.sampling import make_generator, sample_next

from models.abc_lstm.codec import CharVocab
from models.abc_lstm.constraint import TuneConstraint
from models.abc_lstm.model import AbcLSTM, AbcLSTMConfig
from models.abc_lstm.seed import seed_tune
from models.abc_lstm.spelling import respell_tune

CHARS_PER_BAR_BUDGET = 80


class AbcLSTMGenerator(Generator):
    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        state, self.card = load_checkpoint(checkpoint_dir, self.device)
        self.checkpoint_dir = Path(checkpoint_dir)
        self.vocab = CharVocab(self.card["vocabulary"])
        self.model = AbcLSTM(AbcLSTMConfig(**self.card["config"])).to(self.device)
        self.model.load_state_dict(state)
        self.model.eval()
        self._fallback_id = self.vocab.index.get(" ", self.vocab.end_id)

    def constraints(self, request: GenerationRequest) -> list[TuneConstraint]:
        """One constraint per variation, with the seed's fields forced."""
        fields, body = self._seed(request)
        return [TuneConstraint(request.bars, meter=fields.get("M"), key=fields.get("K"), title=fields.get("T"),
                               seed_body=body, unit=fields.get("L"), chars=request.tokens)
                for _ in range(request.variations)]

    def _seed(self, request: GenerationRequest) -> tuple[dict[str, str], str]:
        """The seed as ABC the grammar continues: an ABC seed's own text when the grammar reads it,
        else the seed's melody normalised (see ``seed.py``)."""
        return seed_tune(request.seed_text, request.seed)

    def generate(self, request: GenerationRequest) -> GenerationRun:
        request = self.check_request(request)
        timer = Timer()
        rows = self.constraints(request)
        texts = [respell_tune(text) for text in (yield from self._sample(rows, request))]  # ^F, not _G, in G minor
        return [with_provenance(self._to_score(text), replace(self.provenance(request, i), abc=text), timer.elapsed())
                for i, text in enumerate(texts)]

    def _sample(self, rows: list[TuneConstraint], request: GenerationRequest):
        gen = make_generator(request.random_seed, self.device)
        goal = request.tokens + CHARS_PER_BAR_BUDGET if request.tokens else CHARS_PER_BAR_BUDGET * request.bars
        budget = 400 + goal + len(rows[0].seed_body)
        with torch.no_grad(), gpu_memory_guard("generate fewer variations at once, or run on the CPU"):
            logits, state = self._prefill(rows)  # (B, V): the forced header and seed read in one pass
            for step in range(budget):
                allowed, forced = self._masks(rows)
                ids = sample_next(logits, gen, request.options.temperature, request.options.top_k,
                                  request.options.top_p, allowed)  # (B,)
                last = self._feed(rows, ids, forced)
                if all(r.done for r in rows):
                    break
                logits, state = self.model.step(last, state)  # (B, V), carried (h, c)
                if step % 64 == 0:
                    yield _progress(rows, request)
        return [r.finish() if not r.done or r.out_of_chars else r.text for r in rows]

    def _prefill(self, rows: list[TuneConstraint]):
        """Feed every row the characters all of them are forced to write first (the seed's fields and
        bars), and read them with one pass of the network instead of one step each: the next logits
        (B, V) and the state, repeated per row."""
        ids = [self.vocab.end_id]
        while not rows[0].done:
            allowed = rows[0].allowed()
            ch = next(iter(allowed)) if len(allowed) == 1 else None
            if ch is None or ch not in self.vocab.index or any(r.allowed() != allowed for r in rows[1:]):
                break
            for r in rows:
                r.feed(ch)
            ids.append(self.vocab.index[ch])
        return self._read(ids, len(rows))

    def _read(self, ids: list[int], batch: int):
        """The logits after ``ids`` (B, V) and the state, for ``batch`` rows that all read them."""
        logits, state = self.model(torch.tensor([ids], device=self.device))  # (1, T, V)
        state = state if isinstance(state, tuple) else (state,)
        return logits[:, -1].expand(batch, -1), tuple(s.expand(-1, batch, -1).contiguous() for s in state)

    def _masks(self, rows: list[TuneConstraint]) -> tuple[torch.Tensor, dict[int, str]]:
        """(B, V) allowed characters; rows whose allowed chars are all outside the vocabulary are forced."""
        mask = torch.zeros(len(rows), len(self.vocab), dtype=torch.bool)
        forced: dict[int, str] = {}
        for i, row in enumerate(rows):
            if row.done:
                mask[i, self.vocab.end_id] = True
                continue
            allowed = row.allowed()
            ids = [self.vocab.index[c] for c in allowed if c in self.vocab.index]
            if ids:
                mask[i, ids] = True
            else:
                forced[i] = sorted(allowed)[0]
                mask[i, self._fallback_id] = True
        return mask.to(self.device), forced

    def _feed(self, rows: list[TuneConstraint], ids: torch.Tensor, forced: dict[int, str]) -> torch.Tensor:
        for i, (row, tok) in enumerate(zip(rows, ids.tolist())):
            if not row.done:
                row.feed(forced.get(i, self.vocab.chars[tok]))
        return ids

    def _to_score(self, text: str):
        from app.core.abc.read import read_abc_text

        try:
            score = read_abc_text(text, name="the generated tune")
        except Exception as exc:  # the grammar makes this unreachable; say so clearly if not
            raise GenerationError(f"A generated tune could not be read back ({exc}).") from None
        return replace(score, tracks=tuple(t if t.name else replace(t, name="Melody") for t in score.tracks))


def _progress(rows: list[TuneConstraint], request: GenerationRequest) -> Progress:
    """Bars (or, with ``request.tokens``, body characters) written over all rows."""
    if request.tokens:
        done = sum(min(request.tokens, r.body_chars) for r in rows)
        return Progress(done, len(rows) * request.tokens, "writing")
    return Progress(sum(r.body.bars_written if r.body else 0 for r in rows), len(rows) * request.bars, "writing")
