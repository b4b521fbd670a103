"""Held-out measures of a music-transformer checkpoint for its card: bits per note, and what the right
context is worth to infill.

* **bits per note**, per dataset: the model's negative log-likelihood (base 2)
  of the held-out (test) pieces' tokens, windows of the trained length read
  as plain continuation, divided by the notes those tokens hold. It is not
  comparable with the note-token models' figures: those read a piano
  reduction (every voice merged, chords as single tokens, rhythm on a
  different grid), so their "notes" are other events; the comparable
  measures across models are those of ``cadenza eval`` on the same held-out
  pieces.
* **infill with and without the right context**: for held-out windows, a
  span of 1-4 bars on a random set of tracks is masked; the loss of the
  masked notes' tokens is measured once with the bars after the span in the
  context (what Regenerate Selection sees) and once with the window cut at
  the span's end (a left-only continuation of the same bars with the same
  tokens). With is lower when the model uses what comes after.

    python -m models.music_transformer.measure resources/checkpoints/music-transformer
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from models.common.card import update_card
from models.common.checkpoint import load_checkpoint
from models.common.corpus import load_scores

from models.music_transformer import codec as C
from models.music_transformer import vocab as V
from models.music_transformer.model import MusicTransformer, MusicTransformerConfig

WINDOWS = 48


def load_model(folder: str | Path) -> tuple[MusicTransformer, dict[str, Any]]:
    state, card = load_checkpoint(folder)
    model = MusicTransformer(MusicTransformerConfig(**card["config"]))
    model.load_state_dict(state)
    return model.eval(), card


@torch.inference_mode()
def token_nll(model: MusicTransformer, ids: list[int], start: int) -> tuple[float, int]:
    """Summed nats of ``ids[start:]`` given what precedes them, and how many tokens that is."""
    x = torch.tensor([ids[:-1]])
    logits = model(x)[0]  # (T, V)
    target = torch.tensor(ids[1:])
    nll = F.cross_entropy(logits.float(), target, reduction="none")[start - 1:]
    return float(nll.sum()), len(nll)


def test_pieces(spec: str, limit: int = 200) -> list[C.Piece]:
    items = [i for i in load_scores(spec).items if i.split == "test"][:limit]
    return [p for p in (C.from_score(i.score) for i in items) if sum(map(len, p.bars)) >= 8]


def bits_per_note(model: MusicTransformer, pieces: list[C.Piece], rng: np.random.Generator) -> float:
    nats = notes = 0.0
    for _ in range(WINDOWS):
        piece = pieces[int(rng.integers(len(pieces)))]
        ids = _fit(piece, int(rng.integers(piece.n_bars)), model.config.max_len)
        if ids is None:
            continue
        first, last, tokens = ids
        n, _ = token_nll(model, tokens, len(C.header_ids(piece)))
        nats += n
        notes += len(piece.events(first, last))
    return nats / math.log(2) / max(notes, 1)


def _fit(piece: C.Piece, start: int, max_len: int) -> tuple[int, int, list[int]] | None:
    stop = start
    while stop < piece.n_bars and len(C.encode(piece, start, stop + 1, end=False)) <= max_len:
        stop += 1
    return (start, stop, C.encode(piece, start, stop, end=False)) if stop > start else None


def infill_context(model: MusicTransformer, pieces: list[C.Piece], rng: np.random.Generator) -> dict[str, float]:
    """Mean nats per masked-note token with the bars after the span in the context, and without them."""
    with_right = without = count = 0.0
    for _ in range(WINDOWS):
        piece = pieces[int(rng.integers(len(pieces)))]
        start = int(rng.integers(max(1, piece.n_bars - 2)))
        fitted = _fit(piece, start, model.config.max_len - 200)
        if fitted is None or fitted[1] - fitted[0] < 3:
            continue
        first, last, _ = fitted
        length = int(rng.integers(1, min(4, last - first - 1) + 1))
        lo = first + int(rng.integers(last - first - length))  # at least one bar after the span
        span = range(lo, lo + length)
        tracks = sorted({e.track for e in piece.events(lo, lo + length)})
        if not tracks:
            continue
        a_ctx, a_tgt = C.encode_infill(piece, span, tracks, first, last)
        b_ctx, b_tgt = C.encode_infill(piece, span, tracks, first, lo + length)
        if len(a_ctx) + len(a_tgt) > model.config.max_len:
            continue
        a, n = token_nll(model, a_ctx + a_tgt, len(a_ctx))
        b, _ = token_nll(model, b_ctx + b_tgt, len(b_ctx))
        with_right, without, count = with_right + a, without + b, count + n
    return {"with_right_context": round(with_right / max(count, 1), 4),
            "left_context_only": round(without / max(count, 1), 4), "tokens": int(count)}


def measure(folder: str | Path, seed: int = 0) -> dict[str, Any]:
    torch.set_num_threads(max(1, torch.get_num_threads()))
    model, card = load_model(folder)
    out: dict[str, Any] = {"bits_per_note": {}, "infill_nats_per_token": {}}
    for spec in card.get("training", {}).get("data", []):
        pieces = test_pieces(spec)
        if not pieces:
            continue
        rng = np.random.default_rng(seed)
        out["bits_per_note"][spec] = round(bits_per_note(model, pieces, rng), 3)
        out["infill_nats_per_token"][spec] = infill_context(model, pieces, rng)
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("resources/checkpoints/music-transformer")
    figures = measure(folder)
    from models.common.card import read_card

    metrics = dict(read_card(folder).get("metrics", {}), held_out=figures,
                   held_out_command=f"python -m models.music_transformer.measure {folder}")
    update_card(folder, metrics=metrics)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
