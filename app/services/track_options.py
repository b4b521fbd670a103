"""The Generate panel's per-track options as values: which tracks get a row, and each track's value.

A model's per-track options (``PER_TRACK``: one number per track, e.g. a
latent noise sd per track; ``TRACK_RANGE``: a pitch range per track) name a
track the way ``cadenza generate`` does (``--track-range bass=40-55``): by
name, or by 1-based number. The rows are the tracks the model will write:
the track roles of a checkpoint whose card lists them (a model that writes
its own soprano, alto, tenor and bass), else the tracks of the instruments
option's choice ("piano and bass" writes a Piano and a Bass after the seed),
else the seed's tracks, each by its name (lower case, as the options table
keys them), or by its number when the name is empty or not unique.

:class:`TrackValues` keeps each option's value per track key across seed
changes (a track that comes back gets its value back); :meth:`TrackValues.given`
is what goes into the request, in the shape the CLI hands the options table
(``resolve_options`` checks it: a bad value is an ``OptionError`` naming the
option and the track). ``None`` means "as the global value": such a track is
not named in the request. A range with one open end takes the whole MIDI
range there (the lowest and highest note still apply).

Pure values (no Qt).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from app.core.score import Score
from models.common.options import DRUM_KIT, ENSEMBLE_TRACKS, OPTIONS, PER_TRACK, TRACK_RANGE, OptionSpec

TRACK_OPTIONS: tuple[OptionSpec, ...] = tuple(o for o in OPTIONS if o.per_model and o.kind in (PER_TRACK, TRACK_RANGE))
Range = tuple[int | None, int | None]  # (lowest, highest) MIDI pitch; None: no limit at that end


@dataclass(frozen=True)
class TrackRow:
    """One track the per-track options can name: its key in the request and what the row shows."""

    key: str  # "bass", or "3" for a track without a unique name
    name: str  # as written in the seed (or the role's name)
    program: int = 0
    is_drum: bool = False
    role: bool = False  # one of the model's own track roles, not a seed track


def options_of(takes: Iterable[str]) -> tuple[OptionSpec, ...]:
    """The per-track options among a model's options, in the table's order."""
    wanted = set(takes)
    return tuple(o for o in TRACK_OPTIONS if o.name in wanted)


def card_roles(card: Mapping[str, Any]) -> tuple[str, ...]:
    """The track roles a checkpoint's card lists (``[{"name": "soprano", ...}, ...]``), or ()."""
    roles = card.get("roles") if isinstance(card, Mapping) else None
    if not isinstance(roles, list):
        return ()
    names = [r.get("name") if isinstance(r, Mapping) else r for r in roles]
    return tuple(str(n) for n in names if isinstance(n, str) and n.strip())


def track_rows(seed: Score | None, roles: Sequence[str] = (), instruments: str | None = None) -> tuple[TrackRow, ...]:
    """The rows: the model's ``roles`` when it has its own, else the tracks the ``instruments`` option's
    choice writes (``ENSEMBLE_TRACKS``), else ``seed``'s tracks (none without a seed)."""
    if roles:
        return tuple(TrackRow(r.strip().lower(), r, role=True) for r in roles)
    if ensemble := ENSEMBLE_TRACKS.get(instruments or ""):
        return tuple(TrackRow(name.lower(), name, program % 128, program == DRUM_KIT) for name, program in ensemble)
    tracks = seed.tracks if seed is not None else ()
    names = [t.name.strip().lower() for t in tracks]
    return tuple(TrackRow(name if name and names.count(name) == 1 else str(number), t.name, t.program, t.is_drum)
                 for number, (t, name) in enumerate(zip(tracks, names), 1))


def range_value(low: int | None, high: int | None) -> tuple[int, int] | None:
    """A row's (low, high) as the request's pair; an open end is the MIDI range's; None when both are open."""
    if low is None and high is None:
        return None
    return (0 if low is None else int(low), 127 if high is None else int(high))


@dataclass(frozen=True)
class TrackValues:
    """Each per-track option's values by track key (a range as a ``Range``, a number as a float)."""

    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def value(self, option: str, key: str) -> Any:
        """The value of ``option`` for track ``key``; None: as the global value."""
        return self.values.get(option, {}).get(key)

    def updated(self, option: str, key: str, value: Any) -> "TrackValues":
        """A copy with one track's value set (None, or a range open at both ends, clears it)."""
        if isinstance(value, tuple) and value == (None, None):
            value = None
        per_track = {k: v for k, v in self.values.get(option, {}).items() if k != key}
        if value is not None:
            per_track[key] = value
        return TrackValues({**self.values, option: per_track})

    def given(self, rows: Sequence[TrackRow], options: Sequence[OptionSpec]) -> dict[str, dict[str, Any]]:
        """What the request gets, in the CLI's shape (``{"track_range": {"bass": (40, 55)}}``): the values
        of the tracks shown, for the options shown; an option no track sets is left out."""
        keys = [r.key for r in rows]
        out: dict[str, dict[str, Any]] = {}
        for option in options:
            chosen = {}
            for key in keys:
                value = self.value(option.name, key)
                if option.kind == TRACK_RANGE and value is not None:
                    value = range_value(*value)
                if value is not None:
                    chosen[key] = value
            if chosen:
                out[option.name] = chosen
        return out

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "TrackValues":
        """The per-track values a run used (``GenerationOptions.values()``, provenance), as the panel holds them."""
        values: dict[str, dict[str, Any]] = {}
        for option in TRACK_OPTIONS:
            given = options.get(option.name)
            if isinstance(given, Mapping):
                values[option.name] = {str(k).lower(): (_open_ends(v) if option.kind == TRACK_RANGE else float(v))
                                       for k, v in given.items()}
        return cls(values)


def _open_ends(pair: Sequence[int]) -> Range:
    """A request's range as the row shows it: the MIDI range's own ends (0, 127) as no limit."""
    low, high = (int(p) for p in pair)
    return (None if low == 0 else low, None if high == 127 else high)
