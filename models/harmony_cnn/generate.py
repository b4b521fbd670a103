"""Generating with harmony-cnn: two bars (a 32-step segment) at a time.

``band_roll.plan_band`` says what to write. Under a lead alone (accompanying), each segment's
lead is the given one and each band role's HarmonyCNN writes the role's segment from (that lead,
the role's previous segment; silence before the first). Continuing any other seed, the seed's last
32 steps are the previous segment of every track; MelodyCNN writes the lead's next segment from
the lead's last, then the HarmonyCNNs write the band under it; the variation holds the lead too.

A segment's logits become notes by sampling that keeps notes whole: a cell sounds where
``sigmoid(logit / temperature)`` exceeds a uniform draw made once per pitch and segment, so a
pitch sounds for the run of steps the network is sure of, in proportion to its probability, and
lower temperatures approach the network's own yes/no (logit > 0). The draws come from one
generator seeded by the request's random seed: the same request gives the same notes.

Per track, a bar those draws leave empty keeps the network's most likely pitch where the track
should sound (every band role under a lead; after a seed, the tracks the seed plays, MelodyCNN's
lead too), unless a draw with the training data's empty-bar share for that track (the card's
``decoding.empty_bar_share``) keeps it empty: see ``bar_fill``. A card without it decodes as the
first release did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from app.core.errors import CheckpointError
from app.core.score import Score
from models.common.band_roll import LEAD, ROLES, BandPlan, band_tracks, plan_band
from models.common.checkpoint import load_checkpoint
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.sampling import make_generator

from models.harmony_cnn import SPEC
from models.harmony_cnn.bar_fill import fill_empty_bars, shares_from_card
from models.harmony_cnn.model import STEPS, HarmonyCNN, HarmonyCNNConfig

VELOCITY = 80


def sample_segment(logits: torch.Tensor, random: torch.Generator, temperature: float = 1.0,
                   sound: torch.Tensor | None = None, empty_share: float | None = None) -> torch.Tensor:
    """Bool notes ``(B, 32, 128)`` of logits ``(B, 32, 128)``: one uniform draw per pitch held over the segment.
    With ``empty_share``, the empty bars of the variations where ``sound`` ``(B,)`` is true are filled
    (``bar_fill.fill_empty_bars``)."""
    probs = torch.sigmoid(logits.float() / temperature)
    draw = torch.rand(logits.shape[0], 1, logits.shape[2], generator=random, device=logits.device)
    notes = probs > draw
    if empty_share is None or sound is None:
        return notes
    return fill_empty_bars(notes, probs, draw, sound, empty_share, random)


def _segments(roll: np.ndarray, count: int) -> np.ndarray:
    """``(steps, 128)`` -> ``(count, 32, 128)``, padded with silence."""
    out = np.zeros((count * STEPS, roll.shape[1]), dtype=bool)
    out[: min(len(roll), count * STEPS)] = roll[: count * STEPS]
    return out.reshape(count, STEPS, -1)


class HarmonyCNNGenerator(Generator):
    """A loaded harmony-cnn checkpoint."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        state, self.card = load_checkpoint(self.checkpoint_dir, self.device)
        if self.card.get("arch") != "harmony-cnn":
            raise CheckpointError(f"{checkpoint_dir} holds a {self.card.get('arch')} model, not harmony-cnn.")
        try:
            self.config = HarmonyCNNConfig(**self.card["config"])
            model = HarmonyCNN(self.config)
            model.load_state_dict(state)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{checkpoint_dir} does not hold a usable harmony-cnn model ({exc}).") from None
        self.model = model.to(self.device).eval()
        self.empty_share = shares_from_card(self.card.get("decoding"))

    @torch.inference_mode()
    def sample(self, plan: BandPlan, batch: int, random: torch.Generator, temperature: float = 1.0) -> np.ndarray:
        """Rolls ``(batch, 6, steps, 128)`` bool: the lead (given, or MelodyCNN's) and the band."""
        count = -(-plan.steps // STEPS)
        tail = np.zeros((plan.context.shape[0], STEPS, plan.context.shape[2]), dtype=bool)
        if plan.context.shape[1]:
            last = plan.context[:, -STEPS:]
            tail[:, STEPS - last.shape[1]:] = last  # the seed's last 32 steps, ending where the seed ends
        before = torch.from_numpy(tail).float().to(self.device)[None].expand(batch, -1, -1, -1)  # (B, 6, 32, 128)
        given = torch.from_numpy(_segments(plan.lead, count)).float().to(self.device)  # (count, 32, 128)
        # which tracks should sound: every band role under a lead (the band was asked for), else those the seed plays
        plays = [plan.accompany or bool(plan.context[k].any()) for k in range(len(ROLES) + 1)]
        sound = [torch.full((batch,), p, dtype=torch.bool, device=self.device) for p in plays]
        shares = self.empty_share or {}
        out = []
        for s in range(count):
            if plan.accompany:
                lead = given[s][None].expand(batch, -1, -1)
            else:
                lead = sample_segment(self.model.melody(before[:, 0]), random, temperature, sound[0],
                                      shares.get(LEAD)).float()
            parts = [lead] + [sample_segment(net(lead, before[:, k]), random, temperature, sound[k],
                                             shares.get(ROLES[k - 1])).float()
                              for k, net in enumerate(self.model.harmony, start=1)]
            before = torch.stack(parts, dim=1)  # (B, 6, 32, 128)
            out.append(before.bool())
        return torch.cat(out, dim=2)[:, :, : plan.steps].cpu().numpy()

    def generate(self, request: GenerationRequest) -> GenerationRun:
        """``request.variations`` bands under the seed's lead, or ``request.bars`` bars of lead and band after it."""
        request = self.check_request(request)
        timer = Timer()
        plan = plan_band(request.seed, request.bars)
        yield Progress(0, 2, "accompanying the lead" if plan.accompany else "continuing the seed")
        with gpu_memory_guard("ask for fewer variations, or run on the CPU"):
            random = make_generator(request.random_seed, self.device)
            rolls = self.sample(plan, request.variations, random, request.options.temperature)
        yield Progress(1, 2, f"{-(-plan.steps // STEPS)} segments written")
        like, results = plan.like, []
        written = ROLES if plan.accompany else (LEAD, *ROLES)
        for i in range(request.variations):
            tracks = band_tracks({name: rolls[i, k] for k, name in enumerate((LEAD, *ROLES)) if name in written},
                                 like.ppq, plan.programs, VELOCITY)
            title = f"{like.title} (harmony-cnn {i + 1})" if like.title else f"harmony-cnn variation {i + 1}"
            score = Score(tracks=tracks, ppq=like.ppq, tempos=like.tempos, time_signatures=like.time_signatures,
                          key=like.key, keys=like.keys, title=title)  # the seed's key map under a lead
            results.append(with_provenance(score, self.provenance(request, i), timer.elapsed()))
        yield Progress(2, 2, "done")
        return results
