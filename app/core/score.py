"""The score model: immutable Note / Track / Score, times in ticks.

A Score is a value: edits build a new Score (see ``edits.py``), which is what
makes undo cheap and safe. Seconds only appear at the audio boundary
(``timing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

DEFAULT_PPQ = 480
DRUM_CHANNEL = 9  # MIDI channel 10, counted from zero


@dataclass(frozen=True, slots=True, order=True)
class Note:
    """One note: ``start`` and ``duration`` in ticks, ``velocity`` 1-127."""

    start: int
    pitch: int
    duration: int
    velocity: int = 90

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127:
            raise ValueError(f"pitch {self.pitch} is outside 0-127")
        if self.start < 0:
            raise ValueError(f"start {self.start} is negative")
        if self.duration <= 0:
            raise ValueError(f"duration {self.duration} must be positive")
        if not 1 <= self.velocity <= 127:
            raise ValueError(f"velocity {self.velocity} is outside 1-127")

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class TempoChange:
    """From ``tick`` on, a quarter note lasts ``60 / bpm`` seconds."""

    tick: int
    bpm: float

    def __post_init__(self) -> None:
        if not 1.0 <= self.bpm <= 1000.0:
            raise ValueError(f"tempo {self.bpm} bpm is outside 1-1000")


@dataclass(frozen=True, slots=True)
class TimeSignature:
    """A meter starting at ``tick`` (``denominator`` a power of two)."""

    tick: int
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if not 1 <= self.numerator <= 64:
            raise ValueError(f"time signature numerator {self.numerator} is outside 1-64")
        if self.denominator not in (1, 2, 4, 8, 16, 32, 64):
            raise ValueError(f"time signature denominator {self.denominator} is not a power of two")

    def bar_ticks(self, ppq: int) -> int:
        """Length of one bar of this meter in ticks."""
        return self.numerator * ppq * 4 // self.denominator


@dataclass(frozen=True, slots=True)
class Track:
    """A part: GM ``program`` 0-127, drums play on MIDI channel 10.

    ``volume`` (0-127, MIDI CC 7), ``mute`` and ``solo`` are the mixer strip:
    they shape what is heard (see :func:`audible_tracks`), not the notes.
    """

    name: str = ""
    program: int = 0
    is_drum: bool = False
    notes: tuple[Note, ...] = ()
    volume: int = 100
    mute: bool = False
    solo: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.program <= 127:
            raise ValueError(f"program {self.program} is outside 0-127")
        if not 0 <= self.volume <= 127:
            raise ValueError(f"volume {self.volume} is outside 0-127")
        notes = tuple(sorted(self.notes))
        object.__setattr__(self, "notes", notes)

    @property
    def end(self) -> int:
        """Tick at which the last note ends (0 for an empty track)."""
        return max((n.end for n in self.notes), default=0)

    def with_notes(self, notes: Iterable[Note]) -> "Track":
        return replace(self, notes=tuple(notes))


@dataclass(frozen=True, slots=True)
class Score:
    """A whole piece: tracks plus the tempo map, meters, key and provenance.

    ``key`` is a name such as ``"G major"`` or ``"E minor"`` (see ``keys.py``),
    or ``None`` when unknown. ``provenance`` is a JSON-able mapping saying where
    generated material came from (model, checkpoint sha256, seed, sliders,
    random seed), so any variation can be regenerated exactly.
    """

    tracks: tuple[Track, ...] = ()
    ppq: int = DEFAULT_PPQ
    tempos: tuple[TempoChange, ...] = (TempoChange(0, 120.0),)
    time_signatures: tuple[TimeSignature, ...] = (TimeSignature(0, 4, 4),)
    key: str | None = None
    title: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.ppq <= 32767:
            raise ValueError(f"ppq {self.ppq} is outside 1-32767")
        object.__setattr__(self, "tracks", tuple(self.tracks))
        tempos = tuple(sorted(self.tempos, key=lambda t: t.tick)) or (TempoChange(0, 120.0),)
        if tempos[0].tick != 0:
            tempos = (TempoChange(0, tempos[0].bpm),) + tempos
        object.__setattr__(self, "tempos", tempos)
        sigs = tuple(sorted(self.time_signatures, key=lambda t: t.tick)) or (TimeSignature(0, 4, 4),)
        if sigs[0].tick != 0:
            sigs = (TimeSignature(0, sigs[0].numerator, sigs[0].denominator),) + sigs
        object.__setattr__(self, "time_signatures", sigs)
        object.__setattr__(self, "provenance", dict(self.provenance))

    @property
    def end(self) -> int:
        """Tick at which the last note of any track ends."""
        return max((t.end for t in self.tracks), default=0)

    @property
    def note_count(self) -> int:
        return sum(len(t.notes) for t in self.tracks)

    def all_notes(self) -> list[Note]:
        return [n for t in self.tracks for n in t.notes]

    def with_tracks(self, tracks: Iterable[Track]) -> "Score":
        return replace(self, tracks=tuple(tracks))

    def __hash__(self) -> int:  # provenance is a dict; identity of content is by fields
        return hash((self.tracks, self.ppq, self.tempos, self.time_signatures, self.key, self.title))


def audible_tracks(tracks: Iterable[Track]) -> list[bool]:
    """Which tracks sound: the soloed ones if any track is soloed, else every unmuted one."""
    tracks = list(tracks)
    soloed = any(t.solo for t in tracks)
    return [t.solo if soloed else not t.mute for t in tracks]
