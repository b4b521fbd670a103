"""The music-transformer's vocabulary: multi-track bar/position events, and the infill markers.

One stream of tokens, in time order (REMI with track tokens, as MMM and
Composer's Assistant do for several instruments)::

    BOS  (Track_k Prog_p)*  TS_n/d  Tempo_t            header: the tracks and their instruments
    Bar Dens_d [TS_n/d] (Pos_s (Track_k Pitch_n Dur_d Vel_v)+ )* ...
    EOS

Times are on a grid of 12 steps per quarter note (sixteenths and eighth-note
triplets); ``Pos_s`` is the onset's step in its bar, ``Dur_d`` a note length
on that grid (rounded to the nearest of :data:`DURATIONS`), ``Vel_v`` one of
8 velocity levels. ``Prog_128`` is the drum kit (MIDI channel 10), which has
a track of its own. ``Dens_d`` after each ``Bar`` is the number of notes the
bar holds (bucketed, :data:`DENSITY_EDGES`): the note-density control forces
it at decode time.

Infill (fill-in-the-middle, MMM-style): bars whose notes on some tracks were
taken out carry ``Mask Track_k...`` after their ``Bar Dens``; after the last
bar, ``Fill`` starts the missing part — the masked bars again, each ``Bar
Dens`` then only the masked tracks' events — and ``FillEnd`` ends it.

Pure: no torch.
"""

from __future__ import annotations

import bisect
from functools import lru_cache

STEPS_PER_QUARTER = 12
MAX_TRACKS = 16
MAX_BAR_STEPS = 96  # 8/4; a longer bar's later onsets are not represented
DRUM_PROGRAM = 128
DURATIONS = (1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 30, 36, 48, 60, 72, 96)
VELOCITIES = (16, 32, 48, 64, 80, 96, 112, 127)
DENSITY_EDGES = (0, 1, 3, 5, 7, 9, 13, 17, 25, 33, 49)  # bucket i holds counts in [edge i, edge i+1)
TEMPOS = (40, 48, 56, 63, 70, 78, 86, 96, 106, 116, 126, 138, 152, 168, 186, 208)
METERS = tuple(f"{n}/{d}" for d in (2, 4, 8) for n in range(1, 13) if n * 4 * STEPS_PER_QUARTER // d <= MAX_BAR_STEPS)

SPECIALS = ("PAD", "BOS", "EOS", "Bar", "Mask", "Fill", "FillEnd")
PAD, BOS, EOS, BAR, MASK, FILL, FILL_END = range(len(SPECIALS))


def _tokens() -> tuple[str, ...]:
    out = list(SPECIALS)
    out += [f"Track_{k}" for k in range(MAX_TRACKS)]
    out += [f"Prog_{p}" for p in range(DRUM_PROGRAM + 1)]
    out += [f"TS_{m}" for m in METERS]
    out += [f"Tempo_{t}" for t in TEMPOS]
    out += [f"Dens_{i}" for i in range(len(DENSITY_EDGES))]
    out += [f"Pos_{s}" for s in range(MAX_BAR_STEPS)]
    out += [f"Pitch_{n}" for n in range(128)]
    out += [f"Dur_{d}" for d in DURATIONS]
    out += [f"Vel_{v}" for v in VELOCITIES]
    return tuple(out)


TOKENS: tuple[str, ...] = _tokens()
INDEX: dict[str, int] = {t: i for i, t in enumerate(TOKENS)}
VOCAB_SIZE = len(TOKENS)


def first(kind: str) -> int:
    """Id of the first token of ``kind`` ("Pitch", "Pos", ...)."""
    return _ranges()[kind][0]


def span(kind: str) -> range:
    """The ids of every token of ``kind``."""
    start, stop = _ranges()[kind]
    return range(start, stop)


@lru_cache(maxsize=1)
def _ranges() -> dict[str, tuple[int, int]]:
    ranges: dict[str, list[int]] = {}
    for i, t in enumerate(TOKENS):
        kind = t.split("_")[0] if "_" in t else t
        ranges.setdefault(kind, [i, i + 1])[1] = i + 1
    return {k: (a, b) for k, (a, b) in ranges.items()}


def kind_of(token_id: int) -> str:
    t = TOKENS[token_id]
    return t.split("_")[0] if "_" in t else t


def value_of(token_id: int) -> str:
    return TOKENS[token_id].split("_", 1)[1]


def duration_id(steps: int) -> int:
    best = min(DURATIONS, key=lambda d: (abs(d - steps), d))
    return INDEX[f"Dur_{best}"]


def velocity_id(velocity: int) -> int:
    best = min(VELOCITIES, key=lambda v: (abs(v - velocity), v))
    return INDEX[f"Vel_{best}"]


def density_bucket(count: int) -> int:
    return bisect.bisect_right(DENSITY_EDGES, max(0, count)) - 1


def density_id(count: int) -> int:
    return INDEX[f"Dens_{density_bucket(count)}"]


def tempo_id(bpm: float) -> int:
    best = min(TEMPOS, key=lambda t: (abs(t - bpm), t))
    return INDEX[f"Tempo_{best}"]


def meter_id(numerator: int, denominator: int) -> int:
    """The meter token nearest to ``numerator/denominator`` (same bar length where possible)."""
    exact = INDEX.get(f"TS_{numerator}/{denominator}")
    if exact is not None:
        return exact
    steps = min(MAX_BAR_STEPS, numerator * 4 * STEPS_PER_QUARTER // max(1, denominator))
    return INDEX[f"TS_{min(METERS, key=lambda m: (abs(meter_steps(m) - steps), m))}"]


def meter_steps(meter: str) -> int:
    """Grid steps in one bar of ``meter`` ("6/8" -> 36)."""
    n, d = (int(x) for x in meter.split("/"))
    return n * 4 * STEPS_PER_QUARTER // d
