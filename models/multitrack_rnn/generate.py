"""Generating with multitrack-rnn: the band a 16th step at a time, the recurrent state carried.

``band_roll.plan_band`` says what to write: under a lead alone, the band for the lead's bars (the
lead is read at every step); after any other seed, ``bars`` new bars (the lead silent). The seed's
last ``context`` steps (32) prime the network; then each step's logits give, per role, as many
distinct pitches as the training data's note counts draw (``counts.sample_step``: temperature,
top-k, top-p). All variations are sampled together from one generator seeded by the request's
random seed, so the same request gives the same notes on the same device.

Decoding (the card's ``decoding``; see ``count_chain``): each role's count is drawn from the
training data's counts *after the count it just played* (``count_chain.draw_next_counts``), and
the pitches from the network's logits at the request's temperature times ``pitch_temperature``
(0.2 on the bundled checkpoint). The network's per-pitch probabilities are flat (its highest is
0.04-0.17 at a step where the true notes sound), so at temperature 1 the drawn pitches spread over
the keyboard (9-10 pitch classes a bar on guitar, piano and strings; the data 4-5); 0.2 was chosen
on the validation split (overlap at 0.05 / 0.1 / 0.2 / 0.3: 0.733 / 0.792 / 0.849 / 0.779; the
card's ``decoding``). A card without ``decoding`` draws each step's count from the marginal table in the weights
(``counts.draw_counts``) at the request's temperature, as the first release did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from app.core.errors import CheckpointError
from app.core.score import Score
from models.common.band_roll import ROLES, BandPlan, band_tracks, plan_band
from models.common.checkpoint import load_checkpoint
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.sampling import make_generator

from models.multitrack_rnn import SPEC
from models.multitrack_rnn.count_chain import chain_from_card, draw_next_counts
from models.multitrack_rnn.counts import draw_counts, sample_step
from models.multitrack_rnn.model import BAND, MultitrackRNN, MultitrackRNNConfig
from models.multitrack_rnn.train import piece_arrays

VELOCITY = 80


class MultitrackRNNGenerator(Generator):
    """A loaded multitrack-rnn checkpoint."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        state, self.card = load_checkpoint(self.checkpoint_dir, self.device)
        if self.card.get("arch") != "multitrack-rnn":
            raise CheckpointError(f"{checkpoint_dir} holds a {self.card.get('arch')} model, not multitrack-rnn.")
        try:
            self.config = MultitrackRNNConfig(**self.card["config"])
            model = MultitrackRNN(self.config)
            model.load_state_dict(state)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{checkpoint_dir} does not hold a usable multitrack-rnn model ({exc}).") from None
        self.model = model.to(self.device).eval()
        decoding = self.card.get("decoding") or {}
        self.chain = chain_from_card(decoding, self.config.max_count)
        self.pitch_temperature = float(decoding.get("pitch_temperature", 1.0)) if self.chain is not None else 1.0

    @torch.inference_mode()
    def sample(self, plan: BandPlan, batch: int, random: torch.Generator, temperature: float = 1.0,
               top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
        """The written band ``(batch, steps, 640)`` bool, after the plan's context and under its lead."""
        state = None
        before = torch.zeros(batch, BAND, device=self.device)
        if plan.context.shape[1]:
            x, band = piece_arrays(plan.context[:, -self.config.context:])
            primer = torch.from_numpy(x).float().to(self.device)[None].expand(batch, -1, -1)  # (B, C, 768)
            _, state = self.model(primer, None)
            before = torch.from_numpy(band[-1]).float().to(self.device)[None].expand(batch, -1).clone()
        lead = torch.from_numpy(plan.lead).float().to(self.device)  # (steps, 128)
        out = torch.zeros(batch, plan.steps, BAND, dtype=torch.bool, device=self.device)
        table = self.model.note_counts
        for t in range(plan.steps):
            x = torch.cat([before, lead[t][None].expand(batch, -1)], dim=-1)[:, None]  # (B, 1, 768)
            logits, state = self.model(x, state)
            counts = (draw_counts(table, t, batch, random) if self.chain is None
                      else draw_next_counts(self.chain, t, before, random))  # (B, roles)
            step = sample_step(logits[:, 0], counts, random, temperature * self.pitch_temperature,
                               top_k, top_p)  # (B, 640)
            out[:, t] = step
            before = step.float()
        return out.cpu().numpy()

    def generate(self, request: GenerationRequest) -> GenerationRun:
        """``request.variations`` bands: under the seed's lead, or ``request.bars`` bars after the seed."""
        request = self.check_request(request)
        timer = Timer()
        plan = plan_band(request.seed, request.bars)
        yield Progress(0, 2, "accompanying the lead" if plan.accompany else "continuing the seed")
        options = request.options
        with gpu_memory_guard("ask for fewer variations, or run on the CPU"):
            random = make_generator(request.random_seed, self.device)
            bands = self.sample(plan, request.variations, random, options.temperature, options.top_k or 0,
                                options.top_p if options.top_p is not None else 1.0)
        yield Progress(1, 2, f"{plan.steps} steps sampled")
        like, results = plan.like, []
        for i in range(request.variations):
            rolls = {role: bands[i, :, k * 128:(k + 1) * 128] for k, role in enumerate(ROLES)}
            tracks = band_tracks(rolls, like.ppq, plan.programs, VELOCITY)
            title = f"{like.title} (multitrack-rnn {i + 1})" if like.title else f"multitrack-rnn variation {i + 1}"
            score = Score(tracks=tracks, ppq=like.ppq, tempos=like.tempos, time_signatures=like.time_signatures,
                          key=like.key, keys=like.keys, title=title)  # the seed's key map under a lead
            results.append(with_provenance(score, self.provenance(request, i), timer.elapsed()))
        yield Progress(2, 2, "done")
        return results
