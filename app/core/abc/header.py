"""ABC header fields: the one home of their rules (pure Python).

- ``M:`` meters: :func:`parse_meter` (``"6/8"`` -> (6, 8), ``C`` common and
  ``C|`` cut time), :func:`read_meter` (the same, None where a reader falls
  back to a default), :func:`format_meter`.
- ``L:`` unit note lengths: :func:`parse_unit`, :func:`read_unit`,
  :func:`format_unit`, and THE default-length rule, :func:`default_unit`
  (1/16 under a meter below 3/4, else 1/8, as ABC 2.1 says);
  :func:`bar_units` is one bar in units of ``L:``.
- ``K:`` keys: :func:`key_from_abc` and :func:`key_to_abc` between ``K:`` values
  and Cadenza's key names (``"Ador"`` <-> ``"A dorian"``; a mode is named by its
  first three letters, ``m`` alone is minor) and THE key-signature rule of a
  ``K:`` value, :func:`key_signature` (sharps > 0, flats < 0), which rests on
  :func:`app.core.keys.signature_fifths`.
- ``T:`` titles: :func:`title_of`.

Every reader and writer of ABC (``read``, ``write``, ``notes``, ``errors``,
and the ABC models' codecs and grammars) takes these rules from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction

from app.core.keys import MODES, parse_key, signature_fifths

#: Mode name -> the suffix ABC writes after the tonic (``Em``, ``Ddor``).
ABC_MODE = {"major": "", "minor": "m", "dorian": "dor", "mixolydian": "mix", "lydian": "lyd",
            "phrygian": "phr", "locrian": "loc", "ionian": "", "aeolian": "m"}
#: The three letters that name a mode in ``K:`` (ABC 2.1) -> the mode.
MODE_ABBREVIATIONS = {name[:3]: name for name in MODES}
_KEY_FIELD = re.compile(r"\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)")
_SAME_MODE = {"ionian": "major", "aeolian": "minor"}


# -- M: and L: ------------------------------------------------------------------------------

def parse_meter(text: str) -> tuple[int, int]:
    """``"6/8"`` -> (6, 8); ``"C"`` -> (4, 4); ``"C|"`` -> (2, 2). Raises ValueError."""
    value = text.strip()
    if value in ("C", "C|"):
        return (4, 4) if value == "C" else (2, 2)
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", value)
    if not match or int(match[1]) <= 0 or int(match[2]) <= 0:
        raise ValueError(f"not a meter: {text!r}")
    return int(match[1]), int(match[2])


def read_meter(text: str | None) -> tuple[int, int] | None:
    """:func:`parse_meter`, or None for no meter or one it cannot read (``none``, ``2+3/8``)."""
    try:
        return parse_meter(text or "")
    except ValueError:
        return None


def format_meter(meter: tuple[int, int]) -> str:
    """(6, 8) -> ``"6/8"``."""
    return f"{int(meter[0])}/{int(meter[1])}"


def parse_unit(text: str) -> Fraction:
    """``"1/8"`` -> Fraction(1, 8). Raises ValueError."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or int(match[1]) <= 0 or int(match[2]) <= 0:
        raise ValueError(f"not a unit note length: {text!r}")
    return Fraction(int(match[1]), int(match[2]))


def read_unit(text: str | None) -> Fraction | None:
    """:func:`parse_unit`, or None for no ``L:`` or one it cannot read."""
    try:
        return parse_unit(text or "")
    except ValueError:
        return None


def format_unit(unit: Fraction) -> str:
    """Fraction(1, 8) -> ``"1/8"``."""
    return f"{unit.numerator}/{unit.denominator}"


def default_unit(meter: tuple[int, int] | None) -> Fraction:
    """ABC's default ``L:``: 1/16 if the meter is below 3/4, else (also with no meter) 1/8."""
    if meter is not None and Fraction(int(meter[0]), int(meter[1])) < Fraction(3, 4):
        return Fraction(1, 16)
    return Fraction(1, 8)


def bar_units(meter: tuple[int, int], unit: Fraction) -> Fraction:
    """The length of one bar of ``meter`` in units of ``unit`` (M:6/8, L:1/8 -> 6)."""
    return Fraction(int(meter[0]), int(meter[1])) / Fraction(unit)


# -- K: -------------------------------------------------------------------------------------

def key_from_abc(text: str) -> str | None:
    """ABC ``K:`` value -> key name (``"Ador"`` -> ``"A dorian"``); None for ``K:none``/percussion.

    A mode is named by its first three letters; ``m`` alone is minor; no mode
    (or a word it does not know) is major.
    """
    match = _KEY_FIELD.match(text or "")
    if not match:
        return None
    tonic = match[1].upper() + match[2]
    word = match[3].lower()
    if word in ("none", "perc"):
        return None
    mode = MODE_ABBREVIATIONS.get(word[:3]) or ("minor" if word.startswith("m") else "major")
    return f"{tonic} {_SAME_MODE.get(mode, mode)}"


def key_to_abc(name: str | None) -> str:
    """``"E minor"`` -> ``"Em"``; ``None`` -> ``"C"``."""
    if not name:
        return "C"
    tonic, mode = parse_key(name)
    return tonic + ABC_MODE[mode]


def key_signature(value: str) -> int:
    """Sharps (+) or flats (-) of the key a ``K:`` value names: ``Ador`` 1, ``Bb`` -2, ``F#m`` 3.

    Raises ValueError when it names no key (``none``, ``HP``) or one that needs
    more than seven sharps or flats (``G#``).
    """
    name = key_from_abc(value)
    if name is None:
        raise ValueError(f"{value!r} names no key")
    fifths = signature_fifths(*parse_key(name))
    if not -7 <= fifths <= 7:
        raise ValueError(f"key {value!r} needs {abs(fifths)} sharps or flats (at most 7)")
    return fifths


# -- T: -------------------------------------------------------------------------------------

def title_of(lines: Iterable[str]) -> str:
    """The first ``T:`` value among header ``lines``, or ``""``."""
    return next((line[2:].strip() for line in lines if line.startswith("T:")), "")
