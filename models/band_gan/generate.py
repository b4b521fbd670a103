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
from one generator seeded by the request's random seed. The networks learned two bars of 4/4 (32
steps); in another meter they write as many whole bars as fit in 32 steps at the start of their
window (two of 3/4 in 24 steps, the rest silent), and the variations say so (``seed_note``).

Meter changes: a lead accompanied is cut at the real bar lines of its meter map
(``meter_regions``); each run of bars of one meter is written in windows of that meter's
bars, the bars before carried across the change, and the answer keeps the seed's tempo,
meter and key maps (a lead whose meter changes gets no chords from its melody: the chord
charts read one meter). A continuation is written in the meter in force at the seed's end,
after the seed's last real bar line, its first window conditioned on the bars before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from app.core.errors import CheckpointError, GenerationError
from app.core.score import Score, TimeSignature, Track
from models.band_gan import SPEC
from models.common.band_corpus import ROLES
from models.common.band_roll import (LEAD, bar_steps, band_parts, band_programs, band_rolls, band_tracks, meter_steps,
                                     step_ticks, whole_bars_steps)
from models.common.checkpoint import load_checkpoint
from models.common.chord_charts import chart_from_score, chord_tones
from models.common.device import resolve_device
from models.common.meter_regions import meter_regions
from models.common.generator import GenerationRequest, GenerationRun, Generator, Progress, Timer, with_provenance
from models.common.note_tokens import continuation_context
from models.common.sampling import make_generator

from models.band_gan.data import chroma
from models.band_gan.model import BEATS, CHROMA, STEPS, BandGan, BandGanConfig

BAR = 16  # steps in a bar of 4/4, the meter band-gan learned
VELOCITY = 80
DRAWS = 3  # noise vectors drawn per variation asked for, so that the variations differ
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


def symbol_chords(text: str | None, steps: int) -> np.ndarray | None:
    """``(steps, 12)`` chord tones per step from an ABC line of chord symbols over rests (``L:`` gives the
    rests' unit, a quarter by default), the last chord held to the end; None without chords."""
    if not text:
        return None
    unit = re.search(r"^L:\s*1/(\d+)", text, re.MULTILINE)
    per_unit = max(1, 16 // int(unit.group(1))) if unit else 4
    body = "\n".join(line for line in text.splitlines() if not re.match(r"^[A-Za-z]:", line))
    held: list[frozenset[int]] = []
    for name, length in _CHORD_CELL.findall(body):
        try:
            tones = chord_tones(name)
        except ValueError:
            raise GenerationError(f"'{name}' is not a chord symbol band-gan can read (C, Am, G7, F#m7...).") from None
        held += [tones] * (int(length or 1) * per_unit)
    if not held:
        return None
    held += [held[-1]] * (steps - len(held))
    out = np.zeros((steps, CHROMA), dtype=np.float32)
    for i, tones in enumerate(held[:steps]):
        out[i, sorted(tones)] = 1.0
    return out


def lead_chords(lead: Score, steps: int) -> np.ndarray | None:
    """``(steps, 12)`` chord tones per step of a melody, as the band corpus names a tune's chords, or None."""
    per_bar = bar_steps(lead)
    chart = chart_from_score(lead, min_bars=1, max_bars=-(-steps // per_bar))
    if chart is None:
        return None
    bar = per_bar * step_ticks(lead.ppq)
    first = -(-min(n.start for t in lead.tracks for n in t.notes) // bar)  # the chart starts at a whole bar
    out = np.zeros((steps, CHROMA), dtype=np.float32)
    for step in range(steps):
        b, beat = divmod(step, per_bar)
        chords = chart.chords[min(max(b - first, 0), len(chart.chords) - 1)]
        out[step, sorted(chord_tones(chords[min(beat // 4, len(chords) - 1)]))] = 1.0
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
        parts = band_parts(seed) if seed is not None else None
        accompany = bool(parts and parts[LEAD] and not any(parts[r] for r in ROLES))
        if accompany and not self.config.conditioned:
            raise GenerationError("This band-gan checkpoint was trained without conditioning, so it cannot follow "
                                  "a melody; choose a conditional band-gan checkpoint.")
        ppq = like.ppq
        if accompany:  # the lead's whole bars, cut where each meter's bars begin
            step = step_ticks(ppq)
            steps = whole_bars_steps(seed, max(round(n.end / step) for n in parts[LEAD]))
            regions = [Region(round(r.start / step), round(r.end / step), Layout.of_meter(r.signature, ppq))
                       for r in meter_regions(seed, steps * step)]
            lead = band_rolls(parts, ppq, steps)[0]
            previous = np.zeros((len(ROLES), regions[0].layout.used, 128), dtype=bool)
        else:
            layout = Layout.of(like)
            steps = request.bars * layout.per_bar
            regions = [Region(0, steps, layout)]
            lead = np.zeros((steps, 128), dtype=bool)
            previous = (self._last_bars(parts, seed, layout) if parts
                        else np.zeros((len(ROLES), layout.used, 128), dtype=bool))
        bars = sum((r.end - r.start) // r.layout.per_bar for r in regions)
        notes = {f"band-gan learned its bands in 4/4; in {r.layout.meter} it writes {r.layout.bars} bars at a time "
                 f"into the first {r.layout.used} of its 32 steps.": None for r in regions if r.layout.per_bar != BAR}
        if notes:
            request = replace(request, seed_note=" ".join(filter(None, (request.seed_note, *notes))))
        chords = symbol_chords(request.seed_text, steps)
        if chords is None and accompany:
            chords = lead_chords(replace(seed, tracks=(Track("Lead", 0, False, tuple(parts[LEAD])),)), steps)
        yield Progress(1, 3, "conditions read")
        draws = replace(request, variations=DRAWS * request.variations)
        band = _distinct(self._regions(lead, previous, chords, regions, draws), request.variations)
        if len(band) < request.variations:
            under = "under this melody" if accompany else "after this seed"
            raise GenerationError(f"band-gan found only {len(band)} different band{'s' * (len(band) != 1)} {under} "
                                  f"in {draws.variations} tries; ask for fewer variations or choose another model "
                                  f"that accompanies.")
        if accompany and not band.any():
            raise GenerationError("band-gan heard no band under this melody; try another random seed or another "
                                  "model that accompanies.")
        yield Progress(2, 3, f"{bars} bars generated")
        programs = band_programs(seed)
        results = []
        for i in range(request.variations):
            rolls = {role: band[i, k, :steps] for k, role in enumerate(ROLES)}
            tracks = band_tracks(rolls, ppq, programs, VELOCITY)
            if accompany:
                tracks = (Track("Lead", programs[LEAD], False, tuple(sorted(parts[LEAD]))),) + tracks
            title = f"{like.title} (band-gan {i + 1})" if like.title else f"band-gan variation {i + 1}"
            maps = seed if accompany else like  # under the lead: the seed's maps, changes kept
            score = Score(tracks=tracks, ppq=ppq, tempos=maps.tempos, time_signatures=maps.time_signatures,
                          key=maps.key, keys=maps.keys, title=title)
            results.append(with_provenance(score, self.provenance(request, i), timer.elapsed()))
        yield Progress(3, 3, "done")
        return results

    @staticmethod
    def _last_bars(parts, seed: Score, layout: "Layout") -> np.ndarray:
        """The band's ``(5, used, 128)`` rolls of the seed's last whole bars, up to its last real bar line
        (silence before the seed)."""
        end = max(round(n.end / step_ticks(seed.ppq)) for notes in parts.values() for n in notes)
        end = max(whole_bars_steps(seed, end), layout.used)
        return band_rolls(parts, seed.ppq, end)[1:, end - layout.used: end]

    def _regions(self, lead: np.ndarray, previous: np.ndarray, chords: np.ndarray | None,
                 regions: list["Region"], request: GenerationRequest) -> np.ndarray:
        """``(variations, 5, steps, 128)``: each region's bars walked in its own meter's windows, the last bars
        of one region the bars before the next."""
        random = make_generator(request.random_seed, self.device)
        out = []
        for region in regions:
            window = slice(region.start, region.end)
            band = self._walk(lead[window], previous, None if chords is None else chords[window], region.layout,
                              request, random)[:, :, : region.end - region.start]
            out.append(band)
            previous = band[:, :, -min(band.shape[2], region.layout.used):]
        return np.concatenate(out, axis=2)

    @torch.inference_mode()
    def _walk(self, lead: np.ndarray, previous: np.ndarray, chords: np.ndarray | None, layout: "Layout",
              request: GenerationRequest, random: torch.Generator) -> np.ndarray:
        """``(variations, 5, segments * used, 128)`` bool: each segment's bars from the last, the lead and chords.

        A segment holds ``layout.used`` steps of music at the start of the networks' 32 (the rest silent);
        ``previous`` is ``([variations,] 5, steps, 128)``, the bars before."""
        n, used = request.variations, layout.used
        segments = -(-len(lead) // used)
        sd, temperature = float(request.options.noise_sd), float(request.options.temperature)
        lead = _padded(lead, segments * used)
        if chords is not None:  # the last chord goes on
            chords = np.concatenate([chords, np.repeat(chords[-1:], segments * used - len(chords), axis=0)])
        prev = torch.from_numpy(np.ascontiguousarray(_padded(np.moveaxis(previous, -2, 0), STEPS))).float()
        prev = torch.movedim(prev, 0, -2).to(self.device).expand(n, -1, -1, -1)
        out = []
        for s in range(segments):
            window = slice(s * used, (s + 1) * used)
            lead_seg = torch.from_numpy(_padded(lead[window], STEPS)).float().to(self.device)
            condition = torch.cat([lead_seg.expand(n, 1, -1, -1), prev], dim=1)  # (n, 6, 32, 128)
            if chords is not None:
                beats = _padded(chords[window], STEPS).reshape(BEATS, STEPS // BEATS, CHROMA).mean(axis=1)
                beats = torch.from_numpy(beats).to(self.device).expand(n, -1, -1)
            else:  # the harmony of the bars before
                beats = torch.from_numpy(np.stack([chroma(p) for p in (prev.cpu().numpy() > 0.5)])).to(self.device)
            z = sd * torch.randn(n, self.config.noise, generator=random, device=self.device)
            probs = self.model.generator(z, condition if self.config.conditioned else None,
                                         beats if self.config.conditioned else None)
            prev = (probs.pow(1.0 / temperature) > 0.5).float()  # (n, 5, 32, 128)
            prev[:, :, used:] = 0.0  # the steps past the segment's bars stay silent, as in a 4/4 piece's padding
            out.append(prev[:, :, :used])
        return torch.cat(out, dim=2).cpu().numpy().astype(bool)


def _distinct(bands: np.ndarray, wanted: int) -> np.ndarray:
    """Up to ``wanted`` bands of the drawn ones, each different from those before it (the binary threshold can
    give two noise vectors the same sparse groove), in the order drawn; fewer when the draws hold fewer."""
    chosen: list[int] = []
    seen: set[bytes] = set()
    for i, band in enumerate(bands):
        key = np.packbits(band).tobytes()
        if key not in seen:
            seen.add(key)
            chosen.append(i)
        if len(chosen) == wanted:
            break
    return bands[chosen]


def _padded(rows: np.ndarray, length: int) -> np.ndarray:
    """``rows`` (steps first) cut or padded with zeros to ``length`` steps."""
    out = np.zeros((length, *rows.shape[1:]), dtype=rows.dtype)
    out[: min(length, len(rows))] = rows[:length]
    return out


@dataclass(frozen=True)
class Layout:
    """How a meter's bars fill the networks' 32 steps: ``bars`` whole bars of ``per_bar`` steps (``used``)."""

    per_bar: int
    bars: int

    @property
    def used(self) -> int:
        return self.per_bar * self.bars

    meter: str = "4/4"

    @classmethod
    def of(cls, score: Score) -> "Layout":
        """The layout of ``score``'s opening meter."""
        return cls.of_meter(score.time_signatures[0], score.ppq)

    @classmethod
    def of_meter(cls, sig: TimeSignature, ppq: int) -> "Layout":
        per_bar = meter_steps(sig, ppq)
        if per_bar > STEPS:
            raise GenerationError(f"band-gan writes at most 32 sixteenths at a time, and a bar of "
                                  f"{sig.numerator}/{sig.denominator} is longer.")
        return cls(per_bar, STEPS // per_bar, f"{sig.numerator}/{sig.denominator}")


@dataclass(frozen=True)
class Region:
    """Steps ``start`` to ``end`` of whole bars of one meter, written in windows of ``layout``."""

    start: int
    end: int
    layout: Layout
