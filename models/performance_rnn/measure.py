"""Held-out measures of a performance-rnn checkpoint for its card, and what its controls do.

* **log-likelihood per event**: the mean log-probability (nats) of each held-out
  (test split) event given the events before it in windows of the trained
  length, conditioned as in training (each window on its own pitch-class
  histogram and density); also per second of music and per note.
* **controls**: without a seed, generations asking for each of 12 keys (the
  ``pitch_profile`` option) and for densities of 1-16 notes per second (the
  ``density`` option); for each, the histogram and density asked for against
  those played: the correlation of the played pitch classes with the asked
  key's profile beside their correlation with the other keys' profiles, and
  the played notes per second beside the asked.

    python -m models.performance_rnn.measure resources/checkpoints/performance-rnn [--write]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from models.common.card import read_card, update_card
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions

from models.performance_rnn.conditioning import correlation, density_bin, key_profile
from models.performance_rnn.events import STEPS_PER_SECOND, NOTE_OFF, NOTE_ON, event_steps
from models.performance_rnn.generate import PerformanceRNNGenerator, played_controls
from models.performance_rnn.performance import score_performance
from models.performance_rnn.train import SEQ_LEN, batch_of, fixed_windows, load_performances

KEYS = ("C major", "G major", "D major", "A major", "E major", "F# major", "Db major", "Ab major", "Eb major",
        "Bb major", "F major", "A minor")
DENSITIES = (1.0, 2.0, 4.0, 8.0, 16.0)  # notes per second
SECONDS = 16  # of each generation (8 bars at 120 bpm 4/4)
VARIATIONS = 3


@torch.inference_mode()
def held_out_likelihood(gen: PerformanceRNNGenerator, spec: str) -> dict[str, float]:
    """Mean log-likelihood of the test split's events (nats per event, per second, per note)."""
    pieces, _ = load_performances(spec)
    from models.common.corpus import measurable_splits

    splits, _ = measurable_splits([k for k, _, _ in pieces], [s for _, _, s in pieces])
    from models.performance_rnn.events import encode

    windows = [w for (_, notes, _), split in zip(pieces, splits) if split == "test"
               for w in fixed_windows(encode(notes), SEQ_LEN)]
    nats = events = steps = notes = 0.0
    for i in range(0, len(windows), 32):
        ids, control = batch_of(windows[i: i + 32])
        logits, _ = gen.model(ids[:, :-1].clamp(min=0), control)
        targets = ids[:, 1:]
        mask = targets >= 0
        nll = F.cross_entropy(logits.flatten(0, 1), targets.clamp(min=0).flatten(), reduction="none")
        nats += float((nll * mask.flatten()).sum())
        events += int(mask.sum())
        kept = targets[mask].numpy()
        steps += int(event_steps(kept).sum())
        notes += int(((kept >= NOTE_ON) & (kept < NOTE_OFF)).sum())
    return {"nats_per_event": round(-nats / events, 4), "nats_per_second": round(-nats / (steps / STEPS_PER_SECOND), 2),
            "nats_per_note": round(-nats / notes, 3), "events": int(events), "windows": len(windows)}


def _generate(gen: PerformanceRNNGenerator, random_seed: int, **options) -> list:
    request = GenerationRequest(options=GenerationOptions(**options), bars=SECONDS // 2, variations=VARIATIONS,
                                random_seed=random_seed)
    return [played_controls(score_performance(s)) for s in run_generation(gen.generate(request))]


def controls(gen: PerformanceRNNGenerator, seed: int = 0) -> dict[str, Any]:
    """Asked vs played, for keys and densities (see the module doc)."""
    profiles = {k: key_profile(k) for k in KEYS}
    asked_corr, other_corr, per_key = [], [], {}
    for i, key in enumerate(KEYS):
        played = _generate(gen, seed + i, pitch_profile=key, density=16)
        own = [correlation(p.histogram, profiles[key]) for p in played]
        others = [correlation(p.histogram, profiles[k]) for p in played for k in KEYS if k != key]
        asked_corr += own
        other_corr += others
        per_key[key] = round(float(np.mean(own)), 3)
    density = {}
    for j, nps in enumerate(DENSITIES):
        played = _generate(gen, seed + 100 + j, pitch_profile="C major", density=int(round(nps * 2)))
        density[f"{nps:g}"] = {"played_notes_per_second": round(float(np.mean([p.density for p in played])), 2),
                               "bin_asked": density_bin(nps),
                               "bins_played": [density_bin(p.density) for p in played]}
    return {"pitch_class_correlation_with_asked_key": round(float(np.mean(asked_corr)), 3),
            "pitch_class_correlation_with_other_keys": round(float(np.mean(other_corr)), 3),
            "per_key": per_key, "density": density,
            "how": f"{VARIATIONS} generations of {SECONDS} s per key (density 8 notes per second) and per density "
                   "(C major), no seed, temperature 1"}


def measure(folder: str | Path) -> dict[str, Any]:
    gen = PerformanceRNNGenerator(folder, device="cpu")
    out: dict[str, Any] = {"log_likelihood": {}}
    for spec in gen.card.get("training", {}).get("data", []):
        out["log_likelihood"][spec] = held_out_likelihood(gen, spec)
    out["controls"] = controls(gen)
    return out


def main(argv: list[str]) -> int:
    folder = Path(next((a for a in argv if not a.startswith("--")), "resources/checkpoints/performance-rnn"))
    figures = measure(folder)
    if "--write" in argv:
        metrics = dict(read_card(folder).get("metrics", {}), held_out=figures,
                       held_out_command=f"python -m models.performance_rnn.measure {folder} --write")
        update_card(folder, metrics=metrics)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
