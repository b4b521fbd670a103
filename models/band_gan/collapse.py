"""Mode collapse, measured: how many different bands a generator writes for 100 noise vectors.

Tham & Kim's GAN collapsed ("100 samples generated from different noise vectors ... mostly
similar"). :func:`distinct_outputs` asks the same question of band-gan: for one condition (the
lead, previous bars and chords of a held-out segment) it generates from ``n`` noise vectors,
binarises as generation does, and counts the distinct segments (exactly equal ones are one) and
the segments that differ from one another by at least a tenth of their notes (greedily: each
output closer than that to an earlier kept one is dropped), with the mean Jaccard distance between
pairs (0: identical notes, 1: no note in common) and the mean number of sounding cells. :func:`collapse_report` does it on a checkpoint, for several held-out
conditions, for the model card, and again with the previous band silenced (a lead and chords alone).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from models.band_gan.model import BEATS, CHROMA, CONDITION, PITCHES, STEPS, BandGenerator

CONDITIONS = 5  # held-out conditions the card's figures average over
NEAR = 0.1  # outputs closer than this (Jaccard distance: a tenth of their notes differ) count as one


@torch.inference_mode()
def distinct_outputs(generator: BandGenerator, n: int = 100, condition: torch.Tensor | None = None,
                     chords: torch.Tensor | None = None, seed: int = 0) -> dict[str, float]:
    """Generate from ``n`` noise vectors (seeded) for one ``condition (6, 32, 128)`` and ``chords (8, 12)``
    (silence and no chords when None): distinct binarised outputs, mean pairwise Jaccard distance, notes."""
    was_training = generator.training
    generator.eval()
    noise = torch.randn(n, generator.cfg.noise, generator=torch.Generator().manual_seed(seed))
    if generator.cfg.conditioned:
        condition = torch.zeros(CONDITION, STEPS, PITCHES) if condition is None else condition.float()
        chords = torch.zeros(BEATS, CHROMA) if chords is None else chords.float()
        out = generator(noise, condition.expand(n, -1, -1, -1), chords.expand(n, -1, -1))
    else:
        out = generator(noise)
    generator.train(was_training)
    flat = (out > 0.5).flatten(1).numpy()  # (n, 5 * 32 * 128)
    distinct = len({row.tobytes() for row in np.packbits(flat, axis=1)})
    x = torch.from_numpy(flat).float()
    both = x @ x.T
    union = x.sum(1, keepdim=True) + x.sum(1) - both
    jaccard = torch.where(union > 0, 1 - both / union.clamp_min(1), torch.zeros_like(union))
    pairs = n * (n - 1)
    return {"noise_vectors": n, "distinct": distinct, "differing_by_a_tenth": _representatives(jaccard),
            "mean_pairwise_jaccard_distance": round(float(jaccard.sum()) / pairs, 4) if pairs else 0.0,
            "mean_sounding_cells": round(float(x.sum(1).mean()), 1)}


def _representatives(jaccard: torch.Tensor, apart: float = NEAR) -> int:
    """Outputs kept when each one within ``apart`` (Jaccard distance) of an earlier kept one is dropped."""
    kept: list[int] = []
    for i in range(jaccard.shape[0]):
        if all(float(jaccard[i, k]) >= apart for k in kept):
            kept.append(i)
    return len(kept)


def collapse_report(checkpoint: str | Path, pieces: Sequence[np.ndarray], n: int = 100) -> dict[str, Any]:
    """:func:`distinct_outputs` of a checkpoint's generator for the first segments of up to
    :data:`CONDITIONS` held-out pieces (their second segment: a previous one exists), and their mean; under
    ``under_lead_alone`` the same with the previous band silenced (Add a Band's first two bars)."""
    from models.band_gan.data import segments
    from models.band_gan.generate import load_networks

    model = load_networks(checkpoint, "cpu")
    runs, alone = [], []
    for rolls in list(pieces)[:CONDITIONS]:
        _, conditions, chords = segments(rolls)
        k = min(1, len(conditions) - 1)
        condition, beats = torch.from_numpy(conditions[k]), torch.from_numpy(chords[k])
        runs.append(distinct_outputs(model.generator, n, condition, beats))
        lead_only = condition.clone()
        lead_only[1:] = 0
        alone.append(distinct_outputs(model.generator, n, lead_only, beats))
    if not runs:
        runs.append(distinct_outputs(model.generator, n))
    return {"noise_vectors": n, **_summary(runs), "per_condition": runs,
            "under_lead_alone": {**_summary(alone), "per_condition": alone} if alone else None,
            "how": "for each of the first held-out pieces' second two-bar segment (its lead, previous bars and "
                   "chords), 100 noise vectors (seed 0, sd 1) through the generator, binarised at 0.5; distinct = "
                   "different segments among the 100; differing_by_a_tenth = those left when each one within "
                   "Jaccard distance 0.1 of an earlier kept one is dropped; under_lead_alone: the same segments "
                   "with the previous band silenced (the lead and chords alone, as Add a Band begins)"}


def _summary(runs: Sequence[dict[str, float]]) -> dict[str, Any]:
    """The means (and the least distinct) over conditions of :func:`distinct_outputs`' figures."""
    def mean(key: str, digits: int = 1) -> float:
        return round(float(np.mean([r[key] for r in runs])), digits)

    return {"conditions": len(runs), "distinct_mean": mean("distinct"), "distinct_min": min(r["distinct"] for r in runs),
            "differing_by_a_tenth_mean": mean("differing_by_a_tenth"),
            "mean_pairwise_jaccard_distance": mean("mean_pairwise_jaccard_distance", 4),
            "mean_sounding_cells": mean("mean_sounding_cells")}
