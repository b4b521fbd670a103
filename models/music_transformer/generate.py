"""Generating with the music-transformer: continue a score, or regenerate a selection of it (infill).

The prompt — the seed's bars (a continuation), or the bars around the
selection with the selected tracks' notes taken out and ``Fill`` at the end
(an infill) — is read once into a :class:`~models.music_transformer.model.KVCache`,
which is then copied to one row per variation; each new token is one step
against the cache. Every step is masked by :mod:`constraints` (grammar, key
lock, range, density, keep rhythm), so each row decodes to exactly the bars
asked for, and leant toward the key of the ``pitch_profile`` option (by
default the seed's key): a mild logit bias, never a mask (see
:mod:`constraints` and the card's ``decoding``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Generator as PyGenerator

import torch

from app.core.errors import CheckpointError, GenerationError
from app.core.keys import scale_pitch_classes
from app.core.score import Note, Score, TimeSignature, Track
from app.core.variations import score_key, trimmed
from models.common.band_corpus import ROLE_PROGRAMS, ROLES
from models.common.checkpoint import load_checkpoint
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import (GenerationRequest, GenerationRun, Generator, Infill, Progress, Timer,
                                     with_provenance)
from models.common.options import OptionError, option, profile_weights
from models.common.sampling import make_generator, sample_next

from models.music_transformer import SPEC
from models.music_transformer.accompany import ACCOMPANY_BARS, bar_notes, drawn_density
from models.music_transformer import codec as C
from models.music_transformer import vocab as V
from models.music_transformer.constraints import Controls, Masks, Row
from models.music_transformer.instruments import ensemble
from models.music_transformer.model import KVCache, MusicTransformer, MusicTransformerConfig

CHUNK = 32  # tokens between progress reports
TOKENS_PER_BAR_CAP = 400  # a row that has not finished its bars by then stops (its bars so far are kept)
OOM_HINT = "ask for fewer variations, or run on the CPU"


class MusicTransformerGenerator(Generator):
    """A loaded music-transformer checkpoint."""

    spec = SPEC

    def __init__(self, checkpoint_dir: str | Path, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.checkpoint_dir = Path(checkpoint_dir)
        state, self.card = load_checkpoint(self.checkpoint_dir, self.device)
        if self.card.get("arch") != "music-transformer":
            raise CheckpointError(f"{checkpoint_dir} holds a {self.card.get('arch')} model, not music-transformer.")
        try:
            self.config = MusicTransformerConfig(**self.card["config"])
            if self.config.vocab_size != V.VOCAB_SIZE or list(self.card.get("vocabulary", V.TOKENS)) != list(V.TOKENS):
                raise ValueError("its vocabulary is not this version's")
            model = MusicTransformer(self.config)
            model.load_state_dict(state)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{checkpoint_dir} does not hold a usable music-transformer model ({exc}).") from None
        self.model = model.to(self.device).eval()

    # -- the prompt ---------------------------------------------------------------------------------------
    def _continuation(self, request: GenerationRequest, piece: C.Piece) -> tuple[list[int], Controls]:
        meter = piece.meters[-1] if piece.meters else "4/4"
        budget = self._prompt_budget(request.bars)
        first = piece.n_bars
        used = len(C.header_ids(piece))
        while first > 0 and used + len(C.bar_ids(piece, first - 1, piece.bars[first - 1])) <= budget:
            first -= 1
            used += len(C.bar_ids(piece, first, piece.bars[first]))
        empty = not any(piece.bars)
        written = self._add_ensemble(request, piece, empty)
        prompt = C.header_ids(piece) if empty else C.encode(piece, first, piece.n_bars, end=False)
        tracks = frozenset(written)
        return prompt, self._controls(request, piece, tracks, request.bars, (V.meter_steps(meter),), V.EOS, None)

    @staticmethod
    def _add_ensemble(request: GenerationRequest, piece: C.Piece, empty: bool) -> list[int]:
        """The track slots a continuation writes: the seed's, or the instruments option's, added after
        the seed's (instead of them when the seed has no notes)."""
        tracks = ensemble(request.options.instruments)
        if not tracks:
            return list(range(len(piece.programs)))
        if empty:
            piece.programs, piece.names = [], []
        if len(piece.programs) + len(tracks) > V.MAX_TRACKS:
            raise OptionError(option("instruments"), reason=f"would make more than {V.MAX_TRACKS} tracks with "
                                                            "the seed's; use a seed with fewer tracks")
        names = piece.names + [""] * (len(piece.programs) - len(piece.names))
        first = len(piece.programs)
        piece.programs = piece.programs + [program for _, program in tracks]
        piece.names = names + [name for name, _ in tracks]
        return list(range(first, len(piece.programs)))

    def _infill(self, request: GenerationRequest, piece: C.Piece,
                right: bool = True) -> tuple[list[int], Controls, int]:
        """The infill prompt: the selection's bars with its tracks' notes taken out, in as much context as fits
        (left then right; ``right=False``: none after the selection, as when accompanying bar by bar), its
        controls, and the first bar it holds (the prompt's bars are counted from there)."""
        infill = request.infill
        first, last = infill.first_bar, min(infill.last_bar, max(piece.n_bars, infill.first_bar + 1))
        while piece.n_bars < last:  # a selection past the end: empty bars in the last meter
            piece.bars.append([])
            piece.meters.append(piece.meters[-1] if piece.meters else "4/4")
        tracks = sorted(set(infill.tracks or range(len(piece.programs))))
        span = range(first, last)
        lo, hi = first, last
        budget = self._prompt_budget(len(span))
        cost = lambda b: len(C.bar_ids(piece, b, piece.bars[b])) + 2  # noqa: E731 (the mask tokens, roughly)
        used = len(C.header_ids(piece)) + sum(cost(b) for b in span)
        grew = True
        while grew:  # widen the window a bar at a time, left then right, while it fits
            grew = False
            if lo > 0 and used + cost(lo - 1) <= budget:
                lo, used, grew = lo - 1, used + cost(lo - 1), True
            if right and hi < piece.n_bars and used + cost(hi) <= budget:
                used, hi, grew = used + cost(hi), hi + 1, True
        context, target = C.encode_infill(piece, span, tracks, lo, hi)
        keep = request.options.keep_rhythm == "on"
        script = tuple(target) if keep else None
        steps = tuple(V.meter_steps(piece.meters[b]) for b in span)
        return context, self._controls(request, piece, frozenset(tracks), len(span), steps, V.FILL_END, script), lo

    def _prompt_budget(self, bars: int) -> int:
        return max(16, self.config.max_len - min(self.config.max_len // 2, bars * TOKENS_PER_BAR_CAP))

    def _controls(self, request: GenerationRequest, piece: C.Piece, tracks: frozenset[int], bars: int,
                  steps: tuple[int, ...], end: int, script: tuple[int, ...] | None) -> Controls:
        o = request.options
        scale = None
        if o.key_lock and o.key_lock != "off":
            scale = scale_pitch_classes(score_key(request.seed) if o.key_lock == "seed" else o.key_lock)
        drums = frozenset(k for k, p in enumerate(piece.programs) if p == V.DRUM_PROGRAM)
        numbered = sorted(tracks) if request.infill is None and ensemble(o.instruments) else range(len(piece.programs))
        own = {name: (_track_slot(name, piece, numbered), pair) for name, pair in (o.track_range or {}).items()}
        controls = Controls(tracks=tracks, drums=drums, scale=scale, lean=_lean(o.pitch_profile, request.seed),
                            low=o.lowest_pitch or 0,
                            high=127 if o.highest_pitch is None else o.highest_pitch,
                            density=o.density or None, bars=bars, bar_steps=steps, end=end, script=script,
                            track_ranges=tuple((k, low, high) for k, (low, high) in own.values()))
        for name, (k, _) in own.items():
            if not controls.pitches(k):
                within = "the drums' notes" if k in drums else "the lowest and highest note" + \
                    (" and the key lock's scale" if scale is not None else "")
                raise OptionError(option("track_range"), track=name, reason=f"has no note within {within}")
        return controls

    # -- sampling ---------------------------------------------------------------------------------------
    def generate(self, request: GenerationRequest) -> GenerationRun:
        """Yield Progress every few tokens; return ``request.variations`` scores."""
        request = self.check_request(request)
        if request.infill is None and request.options.keep_rhythm == "on":
            raise OptionError(option("keep_rhythm"), reason="works only when regenerating a selection")
        if request.infill is not None and ensemble(request.options.instruments):
            raise OptionError(option("instruments"), reason="apply to continuing; a selection keeps its tracks' "
                                                            "instruments")
        if request.options.lowest_pitch and request.options.highest_pitch is not None \
                and request.options.lowest_pitch > request.options.highest_pitch:
            raise OptionError(option("lowest_pitch"), reason="is above the highest note")
        timer = Timer()
        if request.accompany:
            return (yield from self._accompaniment(request, timer))
        seed = request.seed if request.seed is not None and request.seed.tracks else _empty_seed(request.seed)
        piece = C.from_score(seed)
        if request.infill is not None:
            prompt, controls, first_bar = self._infill(request, piece)
        else:
            (prompt, controls), first_bar = self._continuation(request, piece), 0
        written = yield from self._sample(request, piece, prompt, controls)
        results = []
        for i, tokens in enumerate(written):
            score = self._score(request, seed, piece, prompt, tokens, first_bar)
            title = f"{seed.title} (music-transformer {i + 1})" if seed.title else f"music-transformer variation {i + 1}"
            results.append(with_provenance(replace(score, title=title), self.provenance(request, i), timer.elapsed()))
        return results

    def _accompaniment(self, request: GenerationRequest, timer: Timer) -> GenerationRun:
        """The band request (Add a Band): the five band tracks written under the seed's lead over its bars,
        a bar at a time, each an infill of the band tracks that sees the lead and the band so far on its left
        and the lead inside the bar it writes (never silent band bars to its right, which training never
        showed it), at the notes per bar each variation draws (see :mod:`accompany`)."""
        if not self.card.get("accompanies"):
            raise GenerationError("This music-transformer checkpoint never learnt the band corpus, so it cannot "
                                  "write a band; use one trained with corpus:band.")
        lead = request.seed
        if lead is None or not lead.note_count:
            raise GenerationError("Add a Band needs a melody with notes to accompany.")
        band = tuple(Track(name=role.capitalize(), program=ROLE_PROGRAMS[role], is_drum=role == "drums")
                     for role in ROLES)
        slots = tuple(range(len(lead.tracks), len(lead.tracks) + len(band)))
        bars = max(1, min(request.bars, C.from_score(lead).n_bars))
        results = []
        for v in range(request.variations):
            current = replace(lead, tracks=lead.tracks + band)
            density = drawn_density(self.card, request.random_seed, v)
            for first in range(0, bars, ACCOMPANY_BARS):
                span = Infill(first, min(first + ACCOMPANY_BARS, bars), slots)
                step = replace(request, seed=current, infill=span, variations=1, accompany=False,
                               random_seed=request.random_seed + 7919 * v + first)
                piece = C.from_score(current)
                prompt, controls, first_bar = self._infill(step, piece, right=False)
                if density is not None and not step.options.density:  # a density asked for wins
                    controls = replace(controls, bar_notes=bar_notes(density, piece.meters[first]))
                written = yield from self._sample(step, piece, prompt, controls)
                current = _infilled(current, piece, span, prompt, written[0], first_bar)
                yield Progress(v * bars + span.last_bar, request.variations * bars,
                               f"band for bar {span.last_bar} of {bars}")
            title = f"{lead.title} (music-transformer band {v + 1})" if lead.title else \
                f"music-transformer band {v + 1}"
            results.append(with_provenance(replace(current, title=title), self.provenance(request, v),
                                           timer.elapsed()))
        return results

    def _sample(self, request: GenerationRequest, piece: C.Piece, prompt: list[int],
                controls: Controls) -> PyGenerator[Progress, None, list[list[int]]]:
        """The tokens each of ``request.variations`` rows writes after ``prompt``, under ``controls``."""
        cap = controls.bars * TOKENS_PER_BAR_CAP
        if request.infill is not None:  # the masked context must stay in view: no sliding window
            cap = min(cap, self.config.max_len - len(prompt))
        if request.tokens:
            cap = min(cap, request.tokens)
        if cap < 8:
            raise OptionError(option("bars"), reason="is more than the model can write after this much context; "
                                                     "ask for fewer bars or select fewer")
        masks = Masks(controls, self.device)
        rows = [Row(masks) for _ in range(request.variations)]
        random = make_generator(request.random_seed, self.device)
        o = request.options
        with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
            cache = self.model.new_cache(1, self.config.max_len)
            ids = torch.tensor([prompt], dtype=torch.long, device=self.device)  # (1, T)
            logits = self.model(ids, cache=cache, last_only=True)[:, -1]  # (1, V)
            cache = cache.expand(len(rows))
            logits = logits.expand(len(rows), -1)  # (B, V)
        for step in range(cap):
            with torch.inference_mode(), gpu_memory_guard(OOM_HINT):
                allowed = torch.stack([r.allowed() for r in rows])  # (B, V)
                logits = logits + torch.stack([r.bias() for r in rows])  # the key lean on Pitch tokens
                token = sample_next(logits, random, o.temperature, o.top_k, o.top_p, allowed)  # (B,)
                for r, t in zip(rows, token.tolist()):
                    r.take(t)
                if all(r.done for r in rows):
                    break
                if cache.length >= self.config.max_len:
                    cache, logits = self._slide(piece, prompt, rows)
                else:
                    logits = self.model(token[:, None], cache=cache)[:, -1]  # (B, V)
            if step % CHUNK == CHUNK - 1:
                done = min(min(r.bars for r in rows), controls.bars)
                yield Progress(done, controls.bars, f"{done} of {controls.bars} bars")
        return [r.written for r in rows]

    def _slide(self, piece: C.Piece, prompt: list[int], rows: list[Row]) -> tuple[KVCache, torch.Tensor]:
        """A continuation longer than the model's window: read the header and the latest half window of
        each row again (every row has written as many tokens), then go on from there."""
        header = C.header_ids(piece)
        keep = self.config.max_len // 2
        body = prompt[len(header):]
        ids = torch.tensor([header + (body + r.written)[-keep:] for r in rows], dtype=torch.long,
                           device=self.device)  # (B, T)
        cache = self.model.new_cache(len(rows), self.config.max_len)
        return cache, self.model(ids, cache=cache, last_only=True)[:, -1]

    def _score(self, request: GenerationRequest, seed: Score, piece: C.Piece, prompt: list[int],
               written: list[int], first_bar: int) -> Score:
        if request.infill is not None:
            return _infilled(seed, piece, request.infill, prompt, written, first_bar)
        meter = piece.meters[-1] if piece.meters else "4/4"
        new = C.decode(written, piece.programs, [meter] * request.bars, piece.bpm)
        while new.n_bars < request.bars:
            new.bars.append([])
            new.meters.append(meter)
        new = C.Piece(new.programs, new.meters[: request.bars], new.bars[: request.bars], piece.bpm)
        new.names = piece.names
        chosen = ensemble(request.options.instruments)
        score = C.to_score(new, template=None if chosen else seed)
        if chosen:  # just the tracks asked for, even a silent one
            tracks = score.tracks[len(piece.programs) - len(chosen):]
        else:
            tracks = tuple(t for t in score.tracks if t.notes) or score.tracks[:1]
        length = sum(V.meter_steps(m) for m in new.meters) * score.ppq // V.STEPS_PER_QUARTER
        tracks = tuple(t.with_notes(trimmed(t.notes, length)) for t in tracks)  # nothing rings past the last bar
        return replace(score, tracks=tracks, key=seed.key, title=seed.title,
                       tempos=seed.tempos[-1:] and (replace(seed.tempos[-1], tick=0),))


def _track_slot(name: str, piece: C.Piece, numbered) -> int:
    """The slot of the track a per-track option names: its 1-based number among ``numbered`` (the seed's
    tracks, or the instruments option's) or its name."""
    numbered = list(numbered)
    names = [piece.names[k] if k < len(piece.names) else "" for k in numbered]
    if name.isdigit() and 1 <= int(name) <= len(numbered):
        return numbered[int(name) - 1]
    lowered = [n.lower() for n in names]
    if name.lower() in lowered:
        return numbered[lowered.index(name.lower())]
    listed = ", ".join(f"{i} {n}".strip() for i, n in enumerate(names, 1))
    raise GenerationError(f"There is no track '{name}' to write (the tracks: {listed}).")


def _lean(profile: str | None, seed: Score | None) -> tuple[float, ...] | None:
    """The key lean's 12 pitch-class weights: "seed" leans toward the seed's key (as the key lock's "seed"
    does; none for a seed without pitched notes), a key toward its scale, 12 numbers are the weights."""
    if not profile:
        return None
    weights = profile_weights(profile)
    if weights is not None:
        return weights
    key = (score_key(seed) if seed is not None else None) if profile == "seed" else profile
    if key is None:
        return None
    scale = scale_pitch_classes(key)
    return tuple(1.0 if pc in scale else 0.0 for pc in range(12))


def _infilled(seed: Score, piece: C.Piece, infill: Infill, prompt: list[int], written: list[int],
              first_bar: int) -> Score:
    """The seed with the selected bars of the selected tracks replaced by the written ones (all else as it was).
    The prompt's bars start at the seed's bar ``first_bar`` (a long seed is read in a window around the
    selection), so its bar ``b`` is the seed's ``first_bar + b``."""
    filled = C.decode(prompt + written, piece.programs, piece.meters[first_bar:], piece.bpm)
    tracks = set(infill.tracks or range(len(seed.tracks)))
    ppq = seed.ppq
    starts, step = [], 0
    for meter in piece.meters:
        starts.append(step)
        step += V.meter_steps(meter)
    starts.append(step)
    tick = lambda s: s * ppq // V.STEPS_PER_QUARTER  # noqa: E731
    lo = tick(starts[infill.first_bar])
    hi = tick(starts[min(infill.last_bar, len(starts) - 1)])
    new_notes: dict[int, list[Note]] = {k: [] for k in tracks}
    for b in range(infill.first_bar, min(infill.last_bar, first_bar + filled.n_bars)):
        for e in filled.bars[b - first_bar]:
            if e.track in tracks:
                new_notes[e.track].append(Note(tick(starts[b] + e.pos), e.pitch,
                                               max(1, tick(e.dur)), e.vel))
    out = []
    for k, track in enumerate(seed.tracks):
        if k not in tracks:
            out.append(track)
            continue
        kept = [n for n in track.notes if not lo <= n.start < hi]
        out.append(track.with_notes(sorted(kept + new_notes.get(k, []))))
    return replace(seed, tracks=tuple(out))


def _empty_seed(seed: Score | None) -> Score:
    """Nothing to continue: one piano track in the seed's meter and tempo (4/4, 120 when none)."""
    base = seed or Score()
    return replace(base, tracks=(Track(name="Piano", program=0),),
                   time_signatures=base.time_signatures or (TimeSignature(0, 4, 4),))
