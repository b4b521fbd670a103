"""Generating with Performance RNN: read the seed once, then sample one event per step, carrying (h, c).

Every step reads the asked-for controls (pitch-class histogram and density
bin, see ``conditioning.py``): the ``pitch_profile`` option (a key, 12
weights, or "seed": the seed's own pitch classes, the training windows'
mean without a seed) and the ``density`` option (notes per bar at the seed's
tempo and meter; 0: the seed's own density, the training windows' median
without a seed). A variation lasts the asked bars in seconds at the seed's
tempo and meter (120 bpm 4/4 without one) and is written as one piano track
at that one tempo and meter with its real timing and velocities (so a
continuation's bars are the seed's bars, but no note sits on a grid). Each variation's
provenance records the histogram and density it asked for and those it
played. :func:`window_refeed_generate` re-runs a window from a zero state
for every event instead (the benchmark's comparison).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from app.core.errors import CheckpointError
from app.core.score import Score
from app.core.timing import TempoMap
from models.common.checkpoint import load_checkpoint
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.note_tokens import continuation_context
from models.common.options import GenerationOptions, profile_weights
from models.common.sampling import make_generator, sample_next

from models.performance_rnn import SPEC
from models.performance_rnn.conditioning import (UNIFORM, control_vector, correlation, density_bin, key_profile,
                                                 normalise, notes_density, notes_histogram)
from models.performance_rnn.events import (STEPS_PER_SECOND, TIME_SHIFT, VOCAB_SIZE, PerfNote, decode, encode,
                                           event_steps)
from models.performance_rnn.model import PerformanceRNN, PerformanceRNNConfig, State
from models.performance_rnn.performance import performance_score, score_performance

CHUNK = 64  # events between progress reports (at most)
STEP_SECONDS = 0.05  # ... or fewer, so a cancel lands within this long
PRIMER = TIME_SHIFT  # a 10 ms shift: what the network reads first when there is no seed
OOM_HINT = "ask for fewer variations, or run on the CPU"


@dataclass(frozen=True)
class Controls:
    """What a generation asks for: pitch-class shares (12) and notes per second."""

    histogram: np.ndarray
    density: float

    def vector(self) -> np.ndarray:
        return control_vector(self.histogram, density_bin(self.density))

    def to_dict(self) -> dict:
        return {"pitch_classes": [round(float(x), 4) for x in self.histogram], "notes_per_second": round(self.density, 3),
                "density_bin": density_bin(self.density)}


def bar_seconds(like: Score) -> float:
    """Seconds of one bar at the tempo and meter of ``like`` (a continuation context)."""
    sig = like.time_signatures[0]
    return sig.bar_ticks(like.ppq) / like.ppq * 60.0 / like.tempos[0].bpm


def asked_controls(options: GenerationOptions, seed_notes: Sequence[PerfNote], card_controls: dict,
                   bar_s: float) -> Controls:
    """The controls of a request: the options, with "seed" and 0 read from the seed (or the card)."""
    profile = options.pitch_profile or "seed"
    if profile == "seed":
        histogram = notes_histogram(seed_notes) if seed_notes else normalise(card_controls.get("histogram_mean") or UNIFORM)
    else:
        weights = profile_weights(profile)
        histogram = normalise(weights) if weights is not None else key_profile(profile)
    if options.density:
        density = options.density / bar_s
    elif seed_notes:
        density = notes_density(seed_notes)
    else:
        density = float(card_controls.get("density_median") or 8.0)
    return Controls(histogram, density)


def played_controls(notes: Sequence[PerfNote]) -> Controls:
    return Controls(notes_histogram(notes), notes_density(notes))


def _warm(model: PerformanceRNN, ids: Sequence[int], control: torch.Tensor, batch: int
          ) -> tuple[torch.Tensor, State]:
    """Read the seed events once: next-event logits (B, V) and the state, repeated per row."""
    seed = torch.as_tensor(np.asarray(ids, dtype=np.int64), device=control.device)[None]  # (1, T)
    logits, (h, c) = model(seed, control[:1])  # (1, T, V)
    return logits[:, -1].expand(batch, -1), (h.expand(-1, batch, -1).contiguous(), c.expand(-1, batch, -1).contiguous())


@torch.inference_mode()
def carried_state_generate(model: PerformanceRNN, seed: Sequence[int], control: np.ndarray, n_events: int,
                           generator: torch.Generator, temperature: float = 1.0) -> list[int]:
    """``n_events`` events after ``seed``, one recurrent step each (model in eval mode)."""
    device = next(model.parameters()).device
    ctrl = torch.as_tensor(control, device=device)[None]  # (1, C)
    logits, state = _warm(model, seed, ctrl, 1)
    out: list[int] = []
    for i in range(n_events):
        token = sample_next(logits, generator, temperature)  # (1,)
        out.append(int(token))
        if i + 1 < n_events:
            logits, state = model.step(token, ctrl, state)
    return out


@torch.inference_mode()
def window_refeed_generate(model: PerformanceRNN, seed: Sequence[int], control: np.ndarray, n_events: int,
                           generator: torch.Generator, temperature: float = 1.0, window: int = 256) -> list[int]:
    """The stateless way: for every new event, run the last ``window`` events from a zero state."""
    device = next(model.parameters()).device
    ctrl = torch.as_tensor(control, device=device)[None]
    history = [int(i) for i in seed]
    for _ in range(n_events):
        context = torch.tensor(history[-window:], device=device)[None]  # (1, <=window)
        logits, _ = model(context, ctrl)
        history.append(int(sample_next(logits[:, -1], generator, temperature)))
    return history[len(seed):]


class _Rows:
    """The batch being sampled: one row per variation, each stopping once ``target`` steps of time have passed."""

    def __init__(self, gen: "PerformanceRNNGenerator", ids: Sequence[int], control: np.ndarray,
                 request: GenerationRequest, target: int) -> None:
        self.gen, self.request, self.target = gen, request, target
        batch, device = request.variations, gen.device
        self.control = torch.as_tensor(control, device=device)[None].expand(batch, -1).contiguous()  # (B, C)
        self.random = make_generator(request.random_seed, device)
        self.logits, self.state = _warm(gen.model, ids, self.control, batch)
        self.steps = torch.zeros(batch, dtype=torch.long, device=device)  # (B,) time passed
        self.done_at = torch.full((batch,), -1, dtype=torch.long, device=device)
        self.tokens: list[torch.Tensor] = []
        self.max_tokens = request.tokens
        self.cap = request.tokens or target * 8 + 64  # never more than 8 events per 10 ms on average
        self.shift = torch.as_tensor(event_steps(np.arange(VOCAB_SIZE)), device=device)  # (V,)
        self.finished = False

    def advance(self, n: int, seconds: float | None = None) -> None:
        until = time.perf_counter() + seconds if seconds is not None else None
        temperature = self.request.options.temperature or 1.0
        for _ in range(n):
            if self.finished or (until is not None and time.perf_counter() > until):
                return
            token = sample_next(self.logits, self.random, temperature)  # (B,)
            self.tokens.append(token)
            self.steps += self.shift[token]
            reached = (torch.tensor(len(self.tokens) >= self.max_tokens, device=token.device) if self.max_tokens
                       else self.steps >= self.target)
            newly = (self.done_at < 0) & reached
            self.done_at = torch.where(newly, len(self.tokens) - 1, self.done_at)
            self.finished = bool((self.done_at >= 0).all()) or len(self.tokens) >= self.cap
            if not self.finished:
                self.logits, self.state = self.gen.model.step(token, self.control, self.state)

    def progress(self) -> Progress:
        if self.max_tokens:
            done = min(len(self.tokens), self.max_tokens)
            return Progress(done, self.max_tokens, f"{done} of {self.max_tokens} events")
        done = int(self.steps.clamp(max=self.target).min())
        return Progress(done, self.target, f"{done / STEPS_PER_SECOND:.1f} of {self.target / STEPS_PER_SECOND:.0f} s")

    def rows(self) -> list[np.ndarray]:
        ids = torch.stack(self.tokens, 1).cpu().numpy()  # (B, N)
        return [row[: end + 1] if end >= 0 else row for row, end in zip(ids, self.done_at.cpu().numpy())]


def trim(notes: Sequence[PerfNote], seconds: float | None) -> list[PerfNote]:
    """Notes starting before ``seconds``, ending there at the latest (all of them when None)."""
    if seconds is None:
        return list(notes)
    return [replace(n, end=min(n.end, seconds)) for n in notes if n.start < seconds and min(n.end, seconds) > n.start]


class PerformanceRNNGenerator(Generator):
    """A loaded performance-rnn checkpoint."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        state, self.card = load_checkpoint(self.checkpoint_dir, self.device)
        if self.card.get("arch") != "performance-rnn":
            raise CheckpointError(f"{checkpoint_dir} holds a {self.card.get('arch')} model, not performance-rnn.")
        try:
            self.config = PerformanceRNNConfig(**self.card["config"])
            model = PerformanceRNN(self.config)
            model.load_state_dict(state)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{checkpoint_dir} does not hold a usable performance-rnn model ({exc}).") from None
        self.model = model.to(self.device).eval()
        self.controls = dict(self.card.get("controls") or {})

    def generate(self, request: GenerationRequest) -> GenerationRun:
        """Yield Progress every few events; return ``request.variations`` performances after the seed."""
        request = self.check_request(request)
        timer = Timer()
        like = continuation_context(request.seed)
        bar_s = bar_seconds(like)
        seed_notes = score_performance(request.seed) if request.seed is not None else []
        asked = asked_controls(request.options, seed_notes, self.controls, bar_s)
        ids = [PRIMER, *encode(seed_notes).tolist()]
        target = int(round(request.bars * bar_s * STEPS_PER_SECOND))
        with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
            rows = _Rows(self, ids, asked.vector(), request, target)
        while not rows.finished:
            with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
                rows.advance(CHUNK, STEP_SECONDS)
            yield rows.progress()
        results = []
        for i, row in enumerate(rows.rows()):
            notes = trim(decode(row), None if request.tokens else target / STEPS_PER_SECOND)
            played = played_controls(notes)
            title = f"{like.title} (performance-rnn {i + 1})" if like.title else f"performance-rnn variation {i + 1}"
            provenance = self.provenance(request, i)
            measured = {"asked": asked.to_dict(), "played": played.to_dict(),
                        "pitch_class_correlation": round(correlation(asked.histogram, played.histogram), 4)}
            provenance = replace(provenance, extra=dict(provenance.extra, controls=measured))
            score = performance_score(notes, title, bpm=like.tempos[0].bpm, meter=like.time_signatures[0], key=like.key)
            results.append(with_provenance(score, provenance, timer.elapsed()))
        return results
