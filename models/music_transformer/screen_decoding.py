"""Decoding options of the music-transformer measured the way ``cadenza eval`` measures its default.

Each candidate (sampling options, and the key lean's strength) generates from
the same held-out seeds with the same random seeds, and is measured against
the same held-out pieces as ``cadenza eval`` (``models.evaluation``); the
markov and training-split columns, which do not depend on the decoding, are
left out. ``--split valid`` puts the validation pieces in place of the test
pieces: how the key lean's strength (``constraints.LEAN_NATS``) was chosen,
without looking at the test split (see the card's ``decoding``)::

    python -m models.music_transformer.screen_decoding --split valid lean=0 lean=0.5 lean=1 lean=1.5
    python -m models.music_transformer.screen_decoding --data corpus:chorales temperature=0.9 top_p=0.95,lean=0

A candidate is comma-separated ``name=value`` pairs: ``temperature``,
``top_p``, ``top_k`` and ``lean`` (nats; 0: none); unnamed ones stay at the
defaults. Prints one JSON line per candidate.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from models.common.options import GenerationOptions


def _relabelled(load):
    """``load_scores`` with the validation split read as the test split (and the test split unused)."""
    def load_scores(spec, *args, **kwargs):
        report = load(spec, *args, **kwargs)
        swap = {"valid": "test", "test": "unused"}
        return replace(report, items=[replace(i, split=swap.get(i.split, i.split)) for i in report.items])
    return load_scores


def screen(candidates: list[str], data: tuple[str, ...] = (), split: str = "test", samples: int = 32,
           random_seed: int = 0, checkpoint: str | None = None):
    """Yield one result dict per candidate."""
    import models.evaluation.data as D
    from models.evaluation.run import EvalOptions, _generate, _validity
    from models.evaluation.summary import copy_runs, describe, summarize
    from models.metrics import piece_features
    from models.music_transformer import constraints
    from models.registry import load_generator

    gen = load_generator("music-transformer", checkpoint, "cpu")
    specs = list(data or gen.card["training"]["data"])
    load = D.load_scores
    if split == "valid":
        D.load_scores = _relabelled(load)
    try:
        held = D.load_note_data(specs, samples, 8, 2, random_seed)
    finally:
        D.load_scores = load
    reference = [piece_features(p) for p in held.reference]
    options = EvalOptions(model="music-transformer", samples=samples, random_seed=random_seed, device="cpu",
                          data=tuple(specs))
    plain, strength = gen.generate, constraints.LEAN_NATS
    for candidate in candidates:
        given = dict(pair.split("=", 1) for pair in candidate.split(",") if pair)
        lean = float(given.pop("lean", strength))
        sampling = GenerationOptions(**{k: (int(v) if k == "top_k" else float(v)) for k, v in given.items()})
        gen.generate = lambda request, o=sampling: plain(replace(request, options=o))
        constraints.LEAN_NATS = lean
        started = time.perf_counter()
        try:
            run = _generate(gen, held.seeds, options, 0, 0, candidate)
            while True:
                try:
                    next(run)
                except StopIteration as stop:
                    pieces = stop.value
                    break
        finally:
            gen.generate, constraints.LEAN_NATS = plain, strength
        report = summarize(candidate, pieces, _validity(pieces, 8, False), reference, 8,
                           copy_runs(pieces, held.copy_index))
        yield {"candidate": candidate, "lean_nats": lean, "data": specs, "split": split,
               "overlap_mean": report["overlap_mean"], "in_key": report["metrics"]["in_key"],
               "validity": report["validity"], "overlap": report["metrics"]["overlap"],
               "pieces_in_key": describe(held.reference, 8, reference)["in_key"],
               "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("candidates", nargs="+", help="e.g. lean=1 or temperature=0.9,lean=0")
    p.add_argument("--data", action="append", help="held-out pieces of this dataset (default: the card's data)")
    p.add_argument("--split", choices=("test", "valid"), default="test")
    p.add_argument("--samples", type=int, default=32)
    p.add_argument("--checkpoint")
    args = p.parse_args(argv)
    for row in screen(args.candidates, tuple(args.data or ()), args.split, args.samples, checkpoint=args.checkpoint):
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
