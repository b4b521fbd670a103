"""The score model: immutable Note / Track / Score, times in ticks.

A Score is a value: edits build a new Score (see ``edits.py``), which is what
makes undo cheap and safe. Seconds only appear at the audio boundary
(``timing.py``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from app.core.keys import normalize_key

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
class KeyChange:
    """From ``tick`` on, the music is in ``key`` (a name such as ``"G major"``, normalised)."""

    tick: int
    key: str

    def __post_init__(self) -> None:
        if self.tick < 0:
            raise ValueError(f"key change tick {self.tick} is negative")
        object.__setattr__(self, "key", normalize_key(self.key))


def _names_key(text: str) -> bool:
    try:
        normalize_key(text)
    except ValueError:
        return False
    return True


def _key_map(changes: Iterable[KeyChange]) -> tuple[KeyChange, ...]:
    """Sorted by tick, the last of several changes at one tick kept, repeats of the key in force
    dropped, and the first change at tick 0 (a key first stated later is the opening key)."""
    changes = tuple(changes)
    if not changes or (changes[0].tick == 0 and all(a.tick < b.tick and a.key != b.key
                                                    for a, b in zip(changes, changes[1:]))):
        return changes  # already a key map (as after every ``replace``)
    by_tick: dict[int, str] = {}
    for change in changes:
        by_tick[change.tick] = change.key
    merged: list[KeyChange] = []
    for tick in sorted(by_tick):
        if not merged:
            merged.append(KeyChange(0, by_tick[tick]))
        elif by_tick[tick] != merged[-1].key:
            merged.append(KeyChange(tick, by_tick[tick]))
    return tuple(merged)


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
    """A whole piece: tracks plus the tempo, meter and key maps, and provenance.

    ``keys`` is the key map: :class:`KeyChange` events sorted by tick, the
    first at tick 0, no two at one tick, no change to the key already in force
    (all enforced here). ``key`` is the opening key, a name such as
    ``"G major"`` (see ``keys.py``), or ``None`` when unknown (then ``keys`` is
    empty); it equals ``keys[0].key``, except that a ``key`` text which
    names no key (``"H lydian"``, from an untrusted field) is kept as given
    with an empty map, as before key maps. Give either: ``Score(key=...)``
    makes a one-key map, ``Score(keys=...)`` sets ``key``. When both are given
    and disagree, ``key`` sets the opening key of the map, so
    ``replace(score, key="D major")`` changes the opening key and keeps later
    changes, ``replace(score, key=None)`` clears the map, and
    ``replace(score, keys=...)`` sets the whole map (``key`` follows it).
    ``provenance`` is a JSON-able mapping saying where generated material came
    from (model, checkpoint sha256, seed, sliders, random seed), so any
    variation can be regenerated exactly.
    """

    tracks: tuple[Track, ...] = ()
    ppq: int = DEFAULT_PPQ
    tempos: tuple[TempoChange, ...] = (TempoChange(0, 120.0),)
    time_signatures: tuple[TimeSignature, ...] = (TimeSignature(0, 4, 4),)
    key: str | None = None
    title: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    keys: tuple[KeyChange, ...] = ()
    # The opening key as last normalised: ``replace`` passes it on, so a ``key`` that differs from it
    # is one the caller changed (it wins over ``keys``), and one equal to it follows ``keys``.
    _opening: str | None = field(default=None, repr=False, compare=False)

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
        self._normalise_keys()

    def _normalise_keys(self) -> None:
        keys = _key_map(self.keys)
        opening = keys[0].key if keys else None
        if self.key == self._opening and not keys and self.key is not None and not _names_key(self.key):
            opening = self.key  # text that names no key, kept through ``replace``
        elif self.key != self._opening:  # ``key`` was set (or changed by ``replace``): it is the opening key
            try:
                keys = _key_map((KeyChange(0, self.key),) + keys[1:]) if self.key is not None else ()
                opening = keys[0].key if keys else None
            except ValueError:  # text that names no key (an untrusted field) is kept, with no key map
                keys, opening = (), self.key
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "key", opening)
        object.__setattr__(self, "_opening", opening)

    def key_at(self, tick: int) -> str | None:
        """The key in force at ``tick`` (``None`` when the score has no key)."""
        index = bisect.bisect_right([k.tick for k in self.keys], tick) - 1
        return self.keys[max(index, 0)].key if self.keys else None

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
        return hash((self.tracks, self.ppq, self.tempos, self.time_signatures, self.keys, self.title))


def audible_tracks(tracks: Iterable[Track]) -> list[bool]:
    """Which tracks sound: the soloed ones if any track is soloed, else every unmuted one."""
    tracks = list(tracks)
    soloed = any(t.solo for t in tracks)
    return [t.solo if soloed else not t.mute for t in tracks]
