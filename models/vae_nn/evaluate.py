"""Held-out measures of a vae-nn checkpoint, written into its model card after training.

On the test split's segment pairs (pieces as written, no transposition):

* ``recon_step_accuracy``: the share of track-steps whose decoded pitches (from
  the posterior mean, thresholded as in generation) equal the truth exactly;
* ``recon_note_f1``: F1 of the sounding (step, pitch) cells;
* ``kl_per_segment``: mean KL divergence (nats) of a segment's posterior from
  the standard normal, per track (a collapsed latent would show ~0);
* ``test_elbo_loss``: reconstruction + KL (weight 1) per track-step;
* ``prediction_mse`` of MelodyNN / the ConditionalNNs (squared distance to the
  next segment's mean, per latent dimension) beside ``copy_previous_mse``, the
  error of predicting "the same latent again".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from models.common.checkpoint import load_checkpoint

from models.vae_nn.data import VaeData, pair_batches
from models.vae_nn.decoding import decode_steps
from models.vae_nn.model import VaeNN, VaeNNConfig
from models.vae_nn.pianoroll import STEPS


@torch.inference_mode()
def heldout_metrics(folder: str | Path, data: VaeData, batch_size: int = 256) -> dict[str, Any]:
    state, card = load_checkpoint(folder)
    cfg = VaeNNConfig(**card["config"])
    model = VaeNN(cfg)
    model.load_state_dict(state)
    model.eval()
    roles = cfg.role_list()
    batches = pair_batches(data, data.test, [r.pitches for r in roles], [0] * len(data.test), None, batch_size)
    sums = {"hit": 0.0, "steps": 0.0, "tp": 0.0, "fp": 0.0, "fn": 0.0, "rec": 0.0, "segments": 0.0,
            "pred": 0.0, "copy": 0.0, "pairs": 0.0}
    kl = [0.0] * len(roles)
    for batch in batches:
        means = []
        for k, (vae, role) in enumerate(zip(model.vaes, roles)):
            flat = torch.from_numpy(batch[k]).float().flatten(0, 1)  # (2B, 32, P)
            mu, logvar = vae.encode(flat)
            logits = vae.decode(mu)
            notes, truth = decode_steps(logits, role.monophonic), flat.bool()
            sums["hit"] += float((notes == truth).all(-1).sum())
            sums["steps"] += notes.shape[0] * notes.shape[1]
            sums["tp"] += float((notes & truth).sum())
            sums["fp"] += float((notes & ~truth).sum())
            sums["fn"] += float((~notes & truth).sum())
            sums["rec"] += float(F.binary_cross_entropy_with_logits(logits, flat, reduction="sum"))
            kl_k = float((-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum())
            kl[k] += kl_k
            sums["segments"] += flat.shape[0] if k == 0 else 0
            means.append(mu.view(-1, 2, mu.shape[-1]))
        lead = model.melody(means[0][:, 0])
        errors = [(lead - means[0][:, 1]).pow(2)]
        copies = [(means[0][:, 0] - means[0][:, 1]).pow(2)]
        for k, net in enumerate(model.conditional, start=1):
            errors.append((net(means[k][:, 0], means[0][:, 1]) - means[k][:, 1]).pow(2))
            copies.append((means[k][:, 0] - means[k][:, 1]).pow(2))
        sums["pred"] += float(sum(e.mean(-1).sum() for e in errors))
        sums["copy"] += float(sum(c.mean(-1).sum() for c in copies))
        sums["pairs"] += means[0].shape[0] * len(roles)
    if not sums["steps"]:
        return {}
    precision = sums["tp"] / max(1.0, sums["tp"] + sums["fp"])
    recall = sums["tp"] / max(1.0, sums["tp"] + sums["fn"])
    segments = sums["segments"]
    elbo = (sums["rec"] + sum(kl) / STEPS) / sums["steps"]
    return {
        "recon_step_accuracy": round(sums["hit"] / sums["steps"], 4),
        "recon_note_f1": round(2 * precision * recall / max(1e-9, precision + recall), 4),
        "kl_per_segment": {r.name: round(v / segments, 3) for r, v in zip(roles, kl)},
        "test_elbo_loss": round(elbo, 4),
        "prediction_mse": round(sums["pred"] / sums["pairs"], 4),
        "copy_previous_mse": round(sums["copy"] / sums["pairs"], 4),
        "test_pairs": int(sums["pairs"] / len(roles)),
    }
