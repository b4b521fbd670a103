"""Generating with band-gan: two bars at a time, each conditioned on the lead, the bars before and the chords.

What is written depends on the seed (the band request of ``app/services/band.py``):

* a seed holding a lead and no band (a melody alone: a track named as the lead, or a single pitched
  track, as ``band_roll.band_parts`` reads it) is **accompanied**: the band is written under the
  lead, over the lead's whole bars (the bars asked for are not used), and the answer holds the lead
  and the five band tracks;
* any other seed is **continued**: ``bars`` new bars of the five band tracks, the first two
  conditioned on the seed's last two bars, with no lead.

Chords, per beat: the chord symbols of ``seed_text`` when given (an ABC line of chord symbols over
rests, e.g. ``"C"z2 "G"z2 | "Am"z4 |``), else the lead's chords as the band corpus analyses a
melody (``chord_charts.chart_from_score``), else the pitch classes of the two bars before (the band
keeps its harmony). Noise vectors are drawn with sd ``noise_sd`` (0: one answer; the networks were
trained with sd 1), and a note sounds where ``p ** (1 / temperature) > 0.5``. Everything random comes
from one generator seeded by the request's random seed. band-gan writes 4/4 only, as it was trained.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from app.core.errors import CheckpointError, GenerationError
from app.core.score import Score, Track
from models.band_gan import SPEC
from models.common.band_corpus import ROLES
from models.common.band_roll import LEAD, bar_steps, band_parts, band_programs, band_rolls, band_tracks, step_ticks
from models.common.checkpoint import load_checkpoint
from models.common.chord_charts import chart_from_score, chord_tones
from models.common.device import resolve_device
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.note_tokens import continuation_context
from models.common.sampling import make_generator

from models.band_gan.data import chroma
from models.band_gan.model import BEATS, CHROMA, STEPS, BandGan, BandGanConfig

BAR = 16  # steps in a bar of 4/4
VELOCITY = 80
_CHORD_CELL = re.compile(r'"([^"]+)"\s*z(\d*)')


def load_networks(checkpoint: str | Path, device: str | torch.device = "cpu") -> BandGan:
    """A checkpoint's networks, in eval mode; CheckpointError in one sentence when it holds no band-gan."""
    state, card = load_checkpoint(checkpoint, device)
    if card.get("arch") != "band-gan":
        raise CheckpointError(f"{checkpoint} holds a {card.get('arch')} model, not band-gan.")
    try:
        model = BandGan(BandGanConfig(**card["config"]))
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{checkpoint} does not hold a usable band-gan model ({exc}).") from None
    return model.to(device).eval()


def symbol_chords(text: str | None, bars: int) -> np.ndarray | None:
    """``(bars * 4, 12)`` chord tones per beat from an ABC line of chord symbols over rests, or None."""
    if not text:
        return None
    body = "\n".join(line for line in text.splitlines() if not re.match(r"^[A-Za-z]:", line))
    beats: list[frozenset[int]] = []
    for cell in body.split("|")[:bars]:
        for name, length in _CHORD_CELL.findall(cell):
            try:
                tones = chord_tones(name)
            except ValueError:
                raise GenerationError(f"'{name}' is not a chord symbol band-gan can read (C, Am, G7, F#m7...).") from None
            beats += [tones] * int(length or 1)
    if not beats:
        return None
    beats += [beats[-1]] * (bars * 4 - len(beats))
    out = np.zeros((bars * 4, CHROMA), dtype=np.float32)
    for i, tones in enumerate(beats[: bars * 4]):
        out[i, sorted(tones)] = 1.0
    return out


def lead_chords(lead: Score, bars: int) -> np.ndarray | None:
    """``(bars * 4, 12)`` chord tones per beat of a melody, as the band corpus names a tune's chords, or None."""
    chart = chart_from_score(lead, min_bars=1, max_bars=bars)
    if chart is None:
        return None
    bar = 4 * lead.ppq
    first = -(-min(n.start for t in lead.tracks for n in t.notes) // bar)  # the chart starts at a whole bar
    out = np.zeros((bars * 4, CHROMA), dtype=np.float32)
    for b in range(bars):
        chords = chart.chords[min(max(b - first, 0), len(chart.chords) - 1)]
        for beat, name in enumerate(chords[:4]):
            out[b * 4 + beat, sorted(chord_tones(name))] = 1.0
    return out


class BandGanGenerator(Generator):
    """A loaded band-gan checkpoint."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        self.model = load_networks(self.checkpoint_dir, self.device)
        _, self.card = load_checkpoint(self.checkpoint_dir, "cpu")
        self.config = self.model.cfg

    def generate(self, request: GenerationRequest) -> GenerationRun:
        """``request.variations`` bands: under the seed's lead, or continuing the seed (module docstring)."""
        request = self.check_request(request)
        timer = Timer()
        seed = request.seed if request.seed is not None and request.seed.note_count else None
        like = continuation_context(seed)
        if seed is not None and bar_steps(seed) != BAR:
            sig = seed.time_signatures[0]
            raise GenerationError(f"band-gan plays 4/4 only, as it was trained; this seed is in "
                                  f"{sig.numerator}/{sig.denominator}.")
        parts = band_parts(seed) if seed is not None else None
        accompany = bool(parts and parts[LEAD] and not any(parts[r] for r in ROLES))
        if accompany and not self.config.conditioned:
            raise GenerationError("This band-gan checkpoint was trained without conditioning, so it cannot follow "
                                  "a melody; choose a conditional band-gan checkpoint.")
        ppq = like.ppq
        if accompany:
            bars = -(-max(round(n.end / step_ticks(ppq)) for n in parts[LEAD]) // BAR)
            rolls = band_rolls(parts, ppq, bars * BAR)
            lead, previous = rolls[0], np.zeros((len(ROLES), STEPS, 128), dtype=bool)
        else:
            bars = request.bars
            lead = np.zeros((bars * BAR, 128), dtype=bool)
            previous = self._last_segment(parts, ppq) if parts else np.zeros((len(ROLES), STEPS, 128), dtype=bool)
        chords = symbol_chords(request.seed_text, bars)
        if chords is None and accompany:
            chords = lead_chords(Score(tracks=(Track("Lead", 0, False, tuple(parts[LEAD])),), ppq=ppq), bars)
        yield Progress(1, 3, "conditions read")
        band = self._walk(lead, previous, chords, bars, request)
        yield Progress(2, 3, f"{bars} bars generated")
        programs = band_programs(seed)
        results = []
        for i in range(request.variations):
            rolls = {role: band[i, k, : bars * BAR] for k, role in enumerate(ROLES)}
            tracks = band_tracks(rolls, ppq, programs, VELOCITY)
            if accompany:
                tracks = (Track("Lead", programs[LEAD], False, tuple(sorted(parts[LEAD]))),) + tracks
            title = f"{like.title} (band-gan {i + 1})" if like.title else f"band-gan variation {i + 1}"
            score = Score(tracks=tracks, ppq=ppq, tempos=(seed.tempos if accompany else like.tempos),
                          time_signatures=like.time_signatures, key=like.key, title=title)
            results.append(with_provenance(score, self.provenance(request, i), timer.elapsed()))
        yield Progress(3, 3, "done")
        return results

    @staticmethod
    def _last_segment(parts, ppq: int) -> np.ndarray:
        """The band's ``(5, 32, 128)`` rolls of the seed's last two whole bars (silence before the seed)."""
        end = max(round(n.end / step_ticks(ppq)) for notes in parts.values() for n in notes)
        end = -(-end // BAR) * BAR
        rolls = band_rolls(parts, ppq, max(end, STEPS))[1:]  # (5, steps, 128)
        return rolls[:, max(end, STEPS) - STEPS: max(end, STEPS)]

    @torch.inference_mode()
    def _walk(self, lead: np.ndarray, previous: np.ndarray, chords: np.ndarray | None, bars: int,
              request: GenerationRequest) -> np.ndarray:
        """``(variations, 5, segments * 32, 128)`` bool: each two bars from the last, the lead and the chords."""
        n, segments = request.variations, -(-bars // 2)
        random = make_generator(request.random_seed, self.device)
        sd, temperature = float(request.options.noise_sd), float(request.options.temperature)
        lead = np.concatenate([lead, np.zeros((segments * STEPS - len(lead), 128), dtype=bool)])
        if chords is not None:  # an odd number of bars: the last chord goes on
            chords = np.concatenate([chords, np.repeat(chords[-1:], segments * BEATS - len(chords), axis=0)])
        prev = torch.from_numpy(np.ascontiguousarray(previous)).float().to(self.device).expand(n, -1, -1, -1)
        out = []
        for s in range(segments):
            lead_seg = torch.from_numpy(np.ascontiguousarray(lead[s * STEPS:(s + 1) * STEPS])).float().to(self.device)
            condition = torch.cat([lead_seg.expand(n, 1, -1, -1), prev], dim=1)  # (n, 6, 32, 128)
            if chords is not None:
                beats = torch.from_numpy(chords[s * BEATS:(s + 1) * BEATS]).to(self.device).expand(n, -1, -1)
            else:  # the harmony of the two bars before
                beats = torch.from_numpy(np.stack([chroma(p) for p in (prev.cpu().numpy() > 0.5)])).to(self.device)
            z = sd * torch.randn(n, self.config.noise, generator=random, device=self.device)
            probs = self.model.generator(z, condition if self.config.conditioned else None,
                                         beats if self.config.conditioned else None)
            prev = (probs.pow(1.0 / temperature) > 0.5).float()  # (n, 5, 32, 128)
            out.append(prev)
        return torch.cat(out, dim=2).cpu().numpy().astype(bool)
