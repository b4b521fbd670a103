"""General MIDI percussion names (the drum kit on channel 10), from pretty_midi's GM map.

Notes 35-81 have names ("Bass Drum 1", "Closed Hi Hat", ...); other pitches have
none. :func:`short_drum_name` is a shorter spelling for narrow places (a piano
roll's key column at a small zoom): "Kick 1", "Closed Hat"...
"""

from __future__ import annotations

from functools import lru_cache

from app.core.quiet_import import quiet_import

# Word-level shortenings, applied in order; the names themselves come from pretty_midi.
_SHORT = (
    ("Acoustic Bass Drum", "Kick"),
    ("Bass Drum", "Kick"),
    ("Hi Hat", "Hat"),
    ("Acoustic ", "Ac "),
    ("Electric ", "El "),
    ("Cymbal", "Cym"),
    ("Floor ", "Fl "),
    ("Timbale", "Timb"),
    ("Whistle", "Whist"),
    ("Wood Block", "Block"),
    ("Triangle", "Tri"),
    ("Tambourine", "Tamb"),
)


@lru_cache(maxsize=1)
def _names() -> dict[int, str]:
    """Pitch -> GM percussion name, for every pitch the map names."""
    pretty_midi = quiet_import("pretty_midi")
    out = {}
    for pitch in range(128):
        name = pretty_midi.note_number_to_drum_name(pitch)
        if name:
            out[pitch] = name
    return out


def drum_name(pitch: int) -> str | None:
    """The GM percussion name of ``pitch`` (36 -> "Bass Drum 1"), or None outside the map (35-81)."""
    return _names().get(int(pitch))


def short_drum_name(pitch: int) -> str | None:
    """A shorter spelling of :func:`drum_name` ("Acoustic Snare" -> "Ac Snare"), or None outside the map."""
    name = drum_name(pitch)
    if name is None:
        return None
    for long, short in _SHORT:
        name = name.replace(long, short)
    return name


def drum_pitches() -> tuple[int, ...]:
    """The pitches the GM percussion map names, low to high."""
    return tuple(sorted(_names()))
