"""Generating with harmony-cnn: two bars of 4/4 (a 32-step segment) at a time.

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

Meters: the networks learned segments of two 4/4 bars. The steps written are cut at the real bar
lines of the answer's meter map (``meter_regions``: under a lead, the seed's map, changes kept;
continuing, the meter in force at the seed's end); each run of bars of one meter is written in
segments that begin at its first bar line and hold as many whole bars of that meter as fit in 32
steps, at the start of the networks' window, the rest silent (two bars of 3/4 in 24 steps), and
``bar_fill`` fills that meter's bars. The bars before a segment lie in the window ending where the
segment's bars end (the seed's last bars, or the last bars written before a meter change). In any
meter but 4/4 the variations say so (``seed_note``). A 4/4 piece is written exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from app.core.errors import CheckpointError, GenerationError
from app.core.score import Score, TimeSignature
from models.common.band_roll import LEAD, ROLES, BandPlan, band_tracks, meter_steps, plan_band, step_ticks
from models.common.checkpoint import load_checkpoint
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.meter_regions import meter_regions
from models.common.sampling import make_generator

from models.harmony_cnn import SPEC
from models.harmony_cnn.bar_fill import BAR_STEPS, fill_empty_bars, shares_from_card
from models.harmony_cnn.model import STEPS, HarmonyCNN, HarmonyCNNConfig

VELOCITY = 80


@dataclass(frozen=True)
class Run:
    """Steps ``start`` to ``end`` of bars of one meter, ``per_bar`` steps each, written ``bars`` bars a segment."""

    start: int
    end: int
    per_bar: int
    bars: int
    meter: str

    @property
    def used(self) -> int:
        """Steps of music at the start of each 32-step segment."""
        return self.per_bar * self.bars

    def note(self) -> str | None:
        """What the variations say about this meter (None in 4/4's bar of 16 steps)."""
        if self.per_bar == BAR_STEPS:
            return None
        bars = f"{self.bars} bar{'s' * (self.bars != 1)}"
        return (f"harmony-cnn learned its bands in 4/4; in {self.meter} it writes {bars} at a time into the first "
                f"{self.used} of its {STEPS} steps.")


def meter_runs(plan: BandPlan) -> list[Run]:
    """The runs of bars of one meter over the plan's written steps, on the real bar lines of ``plan.like``."""
    step = step_ticks(plan.like.ppq)
    runs = []
    for region in meter_regions(plan.like, max(plan.steps, 1) * step):
        start, end = round(region.start / step), min(round(region.end / step), plan.steps)
        if end > start:
            per_bar = _bar_steps(region.signature, plan.like.ppq)
            runs.append(Run(start, end, per_bar, STEPS // per_bar,
                            f"{region.signature.numerator}/{region.signature.denominator}"))
    return runs


def _bar_steps(sig: TimeSignature, ppq: int) -> int:
    """Steps per bar of ``sig``; GenerationError in one sentence when a bar is longer than a segment."""
    per_bar = meter_steps(sig, ppq)
    if per_bar > STEPS:
        raise GenerationError(f"harmony-cnn writes at most {STEPS} sixteenths at a time, and a bar of "
                              f"{sig.numerator}/{sig.denominator} is longer.")
    return per_bar


def sample_segment(logits: torch.Tensor, random: torch.Generator, temperature: float = 1.0,
                   sound: torch.Tensor | None = None, empty_share: float | None = None,
                   bar_steps: int = BAR_STEPS) -> torch.Tensor:
    """Bool notes ``(B, 32, 128)`` of logits ``(B, 32, 128)``: one uniform draw per pitch held over the segment.
    With ``empty_share``, the empty bars (``bar_steps`` steps each) of the variations where ``sound`` ``(B,)`` is
    true are filled (``bar_fill.fill_empty_bars``)."""
    probs = torch.sigmoid(logits.float() / temperature)
    draw = torch.rand(logits.shape[0], 1, logits.shape[2], generator=random, device=logits.device)
    notes = probs > draw
    if empty_share is None or sound is None:
        return notes
    return fill_empty_bars(notes, probs, draw, sound, empty_share, random, bar_steps)


def _window(roll: np.ndarray, used: int) -> np.ndarray:
    """``(..., steps, 128)`` -> ``(..., 32, 128)``: the last ``used`` steps (or fewer) ending at step ``used``,
    silence around them."""
    out = np.zeros((*roll.shape[:-2], STEPS, roll.shape[-1]), dtype=bool)
    last = roll[..., max(roll.shape[-2] - used, 0):, :]
    out[..., used - last.shape[-2]: used, :] = last
    return out


def _segments(roll: np.ndarray, count: int, used: int = STEPS) -> np.ndarray:
    """``(steps, 128)`` -> ``(count, 32, 128)``: ``used`` steps at the start of each segment, padded with silence."""
    out = np.zeros((count * used, roll.shape[1]), dtype=bool)
    out[: min(len(roll), count * used)] = roll[: count * used]
    segs = np.zeros((count, STEPS, roll.shape[1]), dtype=bool)
    segs[:, :used] = out.reshape(count, used, -1)
    return segs


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
        """Rolls ``(batch, 6, steps, 128)`` bool: the lead (given, or MelodyCNN's) and the band, each run of bars
        of one meter (``meter_runs``) in segments from its first bar line."""
        last = plan.context[:, -STEPS:]
        done = np.broadcast_to(last, (batch, *last.shape))  # the last steps before the next run's first bar line
        # which tracks should sound: every band role under a lead (the band was asked for), else those the seed plays
        plays = [plan.accompany or bool(plan.context[k].any()) for k in range(len(ROLES) + 1)]
        sound = [torch.full((batch,), p, dtype=torch.bool, device=self.device) for p in plays]
        shares = self.empty_share or {}
        written: list[np.ndarray] = []
        for run in meter_runs(plan):
            before = torch.from_numpy(_window(done, run.used)).float().to(self.device)  # (B, 6, 32, 128)
            count = -(-(run.end - run.start) // run.used)
            given = torch.from_numpy(_segments(plan.lead[run.start: run.end], count, run.used)).float().to(self.device)
            out = []
            for s in range(count):
                if plan.accompany:
                    lead = given[s][None].expand(batch, -1, -1)
                else:
                    lead = self._quiet(sample_segment(self.model.melody(before[:, 0]), random, temperature, sound[0],
                                                      shares.get(LEAD), run.per_bar), run.used)
                parts = [lead] + [self._quiet(sample_segment(net(lead, before[:, k]), random, temperature, sound[k],
                                                             shares.get(ROLES[k - 1]), run.per_bar), run.used)
                                  for k, net in enumerate(self.model.harmony, start=1)]
                before = torch.stack(parts, dim=1)  # (B, 6, 32, 128)
                out.append(before[:, :, : run.used].bool())
            written.append(torch.cat(out, dim=2)[:, :, : run.end - run.start].cpu().numpy())
            done = np.concatenate([done, written[-1]], axis=2)[:, :, -STEPS:]
        return np.concatenate(written, axis=2)[:, :, : plan.steps]

    @staticmethod
    def _quiet(notes: torch.Tensor, used: int) -> torch.Tensor:
        """Float notes ``(B, 32, 128)`` with the steps past the segment's bars silent (a 4/4 piece's padding)."""
        notes = notes.float()
        notes[:, used:] = 0.0
        return notes

    def generate(self, request: GenerationRequest) -> GenerationRun:
        """``request.variations`` bands under the seed's lead, or ``request.bars`` bars of lead and band after it."""
        request = self.check_request(request)
        timer = Timer()
        plan = plan_band(request.seed, request.bars)
        runs = meter_runs(plan)
        notes = {run.note(): None for run in runs if run.note()}
        if notes:
            request = replace(request, seed_note=" ".join(filter(None, (request.seed_note, *notes))))
        yield Progress(0, 2, "accompanying the lead" if plan.accompany else "continuing the seed")
        with gpu_memory_guard("ask for fewer variations, or run on the CPU"):
            random = make_generator(request.random_seed, self.device)
            rolls = self.sample(plan, request.variations, random, request.options.temperature)
        yield Progress(1, 2, f"{sum(-(-(r.end - r.start) // r.used) for r in runs)} segments written")
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
