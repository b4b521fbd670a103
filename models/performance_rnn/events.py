"""Performance RNN's event vocabulary, and performances (notes in seconds) <-> event ids.

A performance is a list of :class:`PerfNote` (start and end in seconds,
pitch, velocity). As in Magenta's ``performance_with_dynamics``, it is
written as a stream of 388 events:

* ``NOTE_ON`` 0-127 and ``NOTE_OFF`` 128-255, one per MIDI pitch;
* ``TIME_SHIFT`` 256-355: move time on by 1-100 steps of 10 ms;
* ``VELOCITY`` 356-387: 32 bins of 4 MIDI velocities; the bin holds for every
  later note-on until the next velocity event, which is written only when the
  bin changes.

Times are rounded to the 10 ms grid; at one time, note-offs come before
note-ons (each in rising pitch), so a re-struck pitch ends then starts again.
A note shorter than one step lasts one step. Decoding gives each velocity
bin its middle value, so encode -> decode keeps every time within 10 ms and
every velocity within one bin. Pure: numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

STEPS_PER_SECOND = 100  # 10 ms a step
MAX_SHIFT_STEPS = 100  # one time-shift event moves at most 1 s
VELOCITY_BINS = 32
BIN_WIDTH = 4  # MIDI velocities 1-128 in 32 bins of 4
NOTE_ON, NOTE_OFF = 0, 128
TIME_SHIFT = 256  # id of a 1-step shift; TIME_SHIFT + k - 1 shifts k steps
VELOCITY = TIME_SHIFT + MAX_SHIFT_STEPS  # 356
VOCAB_SIZE = VELOCITY + VELOCITY_BINS  # 388
DEFAULT_VELOCITY_BIN = 64 // BIN_WIDTH  # a note-on before any velocity event plays mezzo-forte
MAX_HELD_S = 5.0  # a note never switched off in a decoded stream ends after this long (or at the end)


@dataclass(frozen=True, slots=True)
class PerfNote:
    """One played note: ``start`` and ``end`` in seconds, MIDI ``pitch`` and ``velocity``."""

    start: float
    end: float
    pitch: int
    velocity: int


def velocity_bin(velocity: int) -> int:
    """0-31: the bin of a MIDI velocity 1-127."""
    return min(VELOCITY_BINS - 1, max(0, (int(velocity) - 1) // BIN_WIDTH))


def bin_velocity(b: int) -> int:
    """The MIDI velocity a bin decodes to (its middle)."""
    return int(min(127, 1 + b * BIN_WIDTH + BIN_WIDTH // 2))


def is_note_on(i: int) -> bool:
    return NOTE_ON <= i < NOTE_OFF


def is_note_off(i: int) -> bool:
    return NOTE_OFF <= i < TIME_SHIFT


def is_time_shift(i: int) -> bool:
    return TIME_SHIFT <= i < VELOCITY


def is_velocity(i: int) -> bool:
    return VELOCITY <= i < VOCAB_SIZE


def shift_ids(steps: int) -> list[int]:
    """The time-shift events that move ``steps`` steps (full seconds first)."""
    out = []
    while steps > 0:
        k = min(steps, MAX_SHIFT_STEPS)
        out.append(TIME_SHIFT + k - 1)
        steps -= k
    return out


def event_steps(ids: np.ndarray) -> np.ndarray:
    """Steps each event moves time on (0 for every event but a time shift)."""
    ids = np.asarray(ids)
    return np.where((ids >= TIME_SHIFT) & (ids < VELOCITY), ids - TIME_SHIFT + 1, 0)


def timeline(notes: Sequence[PerfNote], stretch: float = 1.0, transpose: int = 0
             ) -> list[tuple[int, int, int, int, int]]:
    """The note-on/off events of ``notes`` on the 10 ms grid, in stream order: ``(step, kind, pitch, velocity,
    index)`` with kind 0 for off and 1 for on (offs first at one step), ``index`` the note's place in ``notes``.

    ``stretch`` scales every time (augmentation), ``transpose`` shifts every pitch (the caller keeps it in 0-127).
    """
    out = []
    scale = STEPS_PER_SECOND * stretch
    for i, n in enumerate(notes):
        on = int(round(n.start * scale))
        off = max(on + 1, int(round(n.end * scale)))
        pitch = n.pitch + transpose
        out.append((on, 1, pitch, n.velocity, i))
        out.append((off, 0, pitch, n.velocity, i))
    out.sort()
    return out


def encode(notes: Sequence[PerfNote], stretch: float = 1.0, transpose: int = 0, from_zero: bool = False) -> np.ndarray:
    """Event ids (int16) of a performance; time starts at its first note (at 0 s with ``from_zero``)."""
    events = timeline(notes, stretch, transpose)
    ids: list[int] = []
    now = 0 if from_zero or not events else events[0][0]
    current_bin = -1
    for step, kind, pitch, velocity, _ in events:
        if step > now:
            ids += shift_ids(step - now)
            now = step
        if kind == 1:
            b = velocity_bin(velocity)
            if b != current_bin:
                ids.append(VELOCITY + b)
                current_bin = b
            ids.append(NOTE_ON + pitch)
        else:
            ids.append(NOTE_OFF + pitch)
    return np.asarray(ids, dtype=np.int16)


def decode(ids: Iterable[int], velocity_bin_at_start: int = DEFAULT_VELOCITY_BIN) -> list[PerfNote]:
    """The performance an event stream plays, sorted by start then pitch.

    A note-on of a pitch already sounding ends that note first; a note-off of a silent pitch is ignored;
    notes still sounding at the end stop there (at most :data:`MAX_HELD_S` after they began).
    """
    now, vbin = 0, velocity_bin_at_start
    sounding: dict[int, tuple[int, int]] = {}  # pitch -> (start step, velocity)
    out: list[PerfNote] = []

    def close(pitch: int, at: int) -> None:
        start, velocity = sounding.pop(pitch)
        out.append(PerfNote(start / STEPS_PER_SECOND, max(at, start + 1) / STEPS_PER_SECOND, pitch, velocity))

    for i in ids:
        i = int(i)
        if is_time_shift(i):
            now += i - TIME_SHIFT + 1
        elif is_velocity(i):
            vbin = i - VELOCITY
        elif is_note_on(i):
            if i in sounding:
                close(i, now)
            sounding[i] = (now, bin_velocity(vbin))
        elif is_note_off(i) and i - NOTE_OFF in sounding:
            close(i - NOTE_OFF, now)
    for pitch in list(sounding):
        close(pitch, min(now, sounding[pitch][0] + int(MAX_HELD_S * STEPS_PER_SECOND)))
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


def duration_steps(ids: Iterable[int]) -> int:
    """Steps of time the events move on in all."""
    return int(event_steps(np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)).sum())
