"""Decode-time masks: which token may come next for one row being sampled.

The grammar of ``vocab.py`` (Bar -> Dens -> Pos | Bar; Pos -> Track -> Pitch
-> Dur -> Vel -> Track | a later Pos | Bar | end) keeps every row decodable;
the controls narrow it further:

* **key lock**: Pitch tokens outside the scale get no probability (drum tracks
  are never locked);
* **key lean** (the ``pitch_profile`` option, on by default: the seed's key):
  a soft prior, never a mask. A pitch of a pitched track whose pitch class
  has weight ``w`` (1 for the scale of the key leant toward, 0 outside it;
  or the 12 weights given, scaled so the largest is 1) has ``LEAN_NATS *
  (1 - w)`` taken from its logit, i.e. the model's probability is multiplied
  by ``exp(-LEAN_NATS * (1 - w))`` and renormalised (a product of experts:
  the model times a mild key profile). Every note stays possible;
* **pitch range**: nor do pitches outside ``low..high`` (pitched tracks);
  a track with a range of its own (the ``track_range`` option) writes only
  pitches inside both ranges (a drum track: its drums inside its own range);
* **density**: the ``Dens`` token after each ``Bar`` is forced to the bucket
  of the requested notes per bar;
* **tracks**: only the tracks being written may be named;
* **keep rhythm**: every token but the pitches is forced from the original
  selection (its positions, tracks, lengths and velocities), so only the
  pitches are new.

A row ends after exactly ``bars`` bars (``end`` is EOS for a continuation,
FillEnd for an infill). Pure Python bookkeeping over precomputed masks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from models.music_transformer import vocab as V

DRUM_PITCHES = range(27, 88)
LEAN_NATS = 1.0  # the key lean's strength: an out-of-key pitch's odds times exp(-1) = 0.37 (see the card)


@dataclass(frozen=True)
class Controls:
    """What a run may write."""

    tracks: frozenset[int]
    drums: frozenset[int] = frozenset()
    scale: frozenset[int] | None = None  # pitch classes allowed (key lock); None: any
    lean: tuple[float, ...] | None = None  # 12 pitch-class weights (C to B) of the key lean; None: no lean
    low: int = 0
    high: int = 127
    density: int | None = None  # notes per bar on each written track; None: as the model likes
    bar_notes: int | None = None  # notes per bar over all the written tracks together (instead of density)
    bars: int = 1
    bar_steps: tuple[int, ...] = (48,)  # grid steps in each bar to write
    end: int = V.EOS
    script: tuple[int, ...] | None = None  # keep rhythm: the original ids, Pitch ids to be sampled
    track_ranges: tuple[tuple[int, int, int], ...] = ()  # (track slot, lowest, highest) of tracks with their own

    def pitches(self, track: int | None = None) -> list[int]:
        """The pitches ``track`` may write (None: any pitched track without a range of its own); empty when
        its own range lies outside the global range or the key lock's scale."""
        own = next(((low, high) for k, low, high in self.track_ranges if k == track), None)
        if track is not None and track in self.drums:
            return [p for p in DRUM_PITCHES if own is None or own[0] <= p <= own[1]]
        low, high = (max(self.low, own[0]), min(self.high, own[1])) if own else (self.low, self.high)
        return [p for p in range(max(0, low), min(127, high) + 1) if self.scale is None or p % 12 in self.scale]


class Masks:
    """Boolean masks (V,) per token kind, and per-track pitch masks, on ``device``."""

    def __init__(self, controls: Controls, device: torch.device) -> None:
        self.c = controls
        self.device = device

        def mask(ids) -> torch.Tensor:
            m = torch.zeros(V.VOCAB_SIZE, dtype=torch.bool)
            m[list(ids)] = True
            return m.to(device)

        self.kind = {k: mask(V.span(k)) for k in ("Dens", "Pos", "Dur", "Vel")}
        self.tracks = mask(V.first("Track") + k for k in sorted(controls.tracks))
        self.bar, self.end = mask([V.BAR]), mask([controls.end])
        pitch0 = V.first("Pitch")
        self.pitched = mask(pitch0 + p for p in (controls.pitches() or range(128)))
        self.drum = mask(pitch0 + p for p in DRUM_PITCHES)
        self.own = {k: mask(pitch0 + p for p in controls.pitches(k)) for k, _, _ in controls.track_ranges}
        bucket = None if controls.density is None else V.density_id(controls.density * max(1, len(controls.tracks)))
        if controls.bar_notes is not None:
            bucket = V.density_id(controls.bar_notes)
        self.density = mask([bucket]) if bucket is not None else self.kind["Dens"]
        self.positions = {}
        self.no_bias = torch.zeros(V.VOCAB_SIZE, device=device)
        self.lean = self.no_bias
        if controls.lean is not None and max(controls.lean) > 0:
            top = max(controls.lean)
            bias = torch.zeros(V.VOCAB_SIZE)
            bias[pitch0: pitch0 + 128] = torch.tensor([-LEAN_NATS * (1 - controls.lean[p % 12] / top)
                                                       for p in range(128)])
            self.lean = bias.to(device)

    def pitch(self, track: int) -> torch.Tensor:
        """The Pitch tokens ``track`` may write."""
        if track in self.own:
            return self.own[track]
        return self.drum if track in self.c.drums else self.pitched

    def pos_after(self, pos: int, steps: int) -> torch.Tensor:
        key = (pos, steps)
        if key not in self.positions:
            m = torch.zeros(V.VOCAB_SIZE, dtype=torch.bool)
            m[V.first("Pos") + pos + 1: V.first("Pos") + min(steps, V.MAX_BAR_STEPS)] = True
            self.positions[key] = m.to(self.device)
        return self.positions[key]

    def one(self, token: int) -> torch.Tensor:
        m = torch.zeros(V.VOCAB_SIZE, dtype=torch.bool, device=self.device)
        m[token] = True
        return m


@dataclass
class Row:
    """One variation's place in the grammar."""

    masks: Masks
    last: str = "start"  # the kind of the last token: start, Bar, Dens, TS, Pos, Track, Pitch, Dur, Vel
    bars: int = 0  # bars started
    pos: int = -1
    track: int = 0
    done: bool = False
    written: list[int] = field(default_factory=list)

    def allowed(self) -> torch.Tensor:
        m, c = self.masks, self.masks.c
        if c.script is not None:
            return self._scripted()
        if self.last == "start":
            return m.bar
        if self.last == "Bar":
            return m.density
        if self.last == "Pos":
            return m.tracks
        if self.last == "Track":
            return m.pitch(self.track)
        if self.last == "Pitch":
            return m.kind["Dur"]
        if self.last == "Dur":
            return m.kind["Vel"]
        more = m.bar if self.bars < c.bars else m.end
        steps = c.bar_steps[min(self.bars - 1, len(c.bar_steps) - 1)]
        if self.last == "Vel":
            return m.tracks | m.pos_after(self.pos, steps) | more
        return m.pos_after(-1, steps) | more  # after Dens (or TS): the bar's first onset, or an empty bar

    def bias(self) -> torch.Tensor:
        """What is added to this row's logits: the key lean on a pitched track (it touches Pitch tokens only)."""
        return self.masks.no_bias if self.track in self.masks.c.drums else self.masks.lean

    def _scripted(self) -> torch.Tensor:
        script, m = self.masks.c.script, self.masks
        i = len(self.written)
        if i >= len(script):
            return m.one(self.masks.c.end)
        token = script[i]
        if V.kind_of(token) == "Pitch":
            return m.pitch(self.track)
        return m.one(token)

    def take(self, token: int) -> None:
        """Record the sampled ``token``."""
        if self.done:
            return
        self.written.append(token)
        kind = V.kind_of(token)
        if token == self.masks.c.end:
            self.done = True
            return
        if kind == "Bar":
            self.bars += 1
            self.pos = -1
        elif kind == "Pos":
            self.pos = int(V.value_of(token))
        elif kind == "Track":
            self.track = int(V.value_of(token))
        self.last = kind if kind in ("Bar", "Dens", "TS", "Pos", "Track", "Pitch", "Dur", "Vel") else self.last
