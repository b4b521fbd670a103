"""ABC header fields: the one home of their rules (pure Python).

- ``M:`` meters: :func:`parse_meter` (``"6/8"`` -> (6, 8), ``C`` common and
  ``C|`` cut time: the forms Cadenza writes), :func:`read_meter` (what real
  files hold as well: ``(2+3)/8``, ``M:2``, ``M:2/4 3/4``; None for ``none``
  or a value it cannot read), :func:`format_meter`.
- ``Q:`` tempi: :func:`read_tempo` (quarter notes per minute of ``1/4=120``,
  ``"Allegro" 3/8=ca. 80``, ``120``...).
- ``L:`` unit note lengths: :func:`parse_unit`, :func:`read_unit`,
  :func:`format_unit`, and THE default-length rule, :func:`default_unit`
  (1/16 under a meter below 3/4, else 1/8, as ABC 2.1 says);
  :func:`bar_units` is one bar in units of ``L:``.
- ``K:`` keys: :func:`key_from_abc` and :func:`key_to_abc` between ``K:`` values
  and Cadenza's key names (``"Ador"`` <-> ``"A dorian"``; a mode is named by its
  first three letters, ``m`` alone is minor) and THE key-signature rule of a
  ``K:`` value, :func:`key_signature` (sharps > 0, flats < 0), which rests on
  :func:`app.core.keys.signature_fifths`. Readers take the key of a ``K:``
  line from :func:`reading_key`, which also knows the Highland pipes' ``HP``
  and ``Hp`` and a ``K:`` that names only a clef (``K:bass``), which keeps the key.
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


MAX_METER = 64  #: the most beats, and the shortest beat (1/64), a meter read from a file may have
_ADDITIVE_METER = re.compile(r"\(?\s*(\d+(?:\s*\+\s*\d+)*)\s*\)?\s*/\s*(\d+)")


def read_meter(text: str | None) -> tuple[int, int] | None:
    """The meter of an ``M:`` value as real files write it, or None (``none``, empty, unreadable).

    Beyond :func:`parse_meter`: additive meters (``(2+3)/8`` and ``2+3/8`` -> (5, 8)),
    a bare number (``M:2`` -> (2, 1), as abc2midi reads it) and alternating
    meters (``M:2/4 3/4``: the first one).
    """
    value = (text or "").strip()
    try:
        meter = parse_meter(value)
    except ValueError:
        meter = None
    first = value.split()[0] if value.split() else ""
    if meter is None and first != value and first:  # "2/4 3/4": the first meter
        return read_meter(first)
    match = _ADDITIVE_METER.fullmatch(value)
    if meter is None and match:
        meter = sum(int(n) for n in match[1].split("+")), int(match[2])
    if meter is None and value.isdigit():
        meter = int(value), 1
    if meter is None or not (0 < meter[0] <= MAX_METER and 0 < meter[1] <= MAX_METER):
        return None  # none, unreadable, or a bar no music has (M:6594)
    return meter


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


_CLEF_WORD = re.compile(r"(?:treble|alto|tenor|bass|baritone|mezzosoprano|soprano|perc|percussion|"
                        r"[CFG][1-5]?)\d?(?:[+\-^_]8)?", re.IGNORECASE)


def is_clef(word: str) -> bool:
    """Is ``word`` the name of a clef (``bass``, ``alto``, ``treble-8``, ``C3``) and not a key?"""
    return bool(_CLEF_WORD.fullmatch(word)) and not re.fullmatch(r"[A-G][#b]?", word)


_KEY_ACCIDENTAL = re.compile(r"(\^\^|\^|__|_|=)([A-Ga-g])$")
_ALTERS = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}


def key_accidentals(value: str) -> tuple[bool, dict[str, int]]:
    """The accidentals a ``K:`` value adds to its key signature (ABC 2.1): ``K:D ^g`` ->
    ``(False, {"G": 1})``; with ``exp`` they are the whole signature: ``K:D exp ^f`` -> ``(True, {"F": 1})``."""
    words = value.split("%")[0].split()
    found = {m[2].upper(): _ALTERS[m[1]] for m in map(_KEY_ACCIDENTAL.match, words[1:]) if m}
    return "exp" in (w.lower() for w in words[1:]), found


def reading_key(value: str) -> str | None:
    """The key a ``K:`` value sets, as ABC text music21 reads (``"Amix"``, ``"Em"``, ``"none"``),
    or None when it names no key and the key in force stays (``K:bass``, ``K: clef=treble``).

    The Highland pipes' ``HP`` (no signature written) and ``Hp`` (F sharp and C
    sharp written) both play F sharp, C sharp and G natural, as abc2midi does:
    the A mixolydian scale of the pipes.
    """
    words = value.split("%")[0].split()
    if not words or "=" in words[0]:
        return None
    first = words[0]
    if first in ("HP", "Hp"):
        return "Amix"
    if first.lower() == "none":
        return "none"
    if is_clef(first):
        return None
    text = " ".join(words[:2]) if len(words) > 1 and words[1].isalpha() and "=" not in words[1] else first
    name = key_from_abc(text)
    if name is None or not _KEY_FIELD.match(text):
        return None
    try:
        return key_to_abc(name)
    except ValueError:  # a tonic like "K:H" that names no key
        return None


_SHIFT_OPTION = re.compile(r"^(octave|transpose|t)\s*=\s*([+-]?\d+)$", re.IGNORECASE)


def reading_shift(words: list[str], octaves: int, semitones: int) -> tuple[int, int]:
    """The playback transposition after the words of a ``K:`` value (or of a ``V:`` line after its
    name): ``(octaves, semitones)``, from those in force.

    As ABC 2.1 and abc2midi: a clef marked ``+8``/``-8`` (``treble-8``,
    ``clef=bass+8``) sounds an octave higher/lower than written, any other clef
    cancels that, ``octave=N`` sets the octaves and ``transpose=N`` the semitones.
    """
    for word in words:
        clef = word.split("=", 1)[1] if word.lower().startswith("clef=") else word
        if "=" not in word or word.lower().startswith("clef="):
            if is_clef(clef):
                octaves = 1 if clef.endswith("+8") else -1 if clef.endswith("-8") else 0
            continue
        option = _SHIFT_OPTION.match(word.replace(" ", ""))
        if option and option[1].lower() == "octave":
            octaves = max(-4, min(4, int(option[2])))
        elif option:
            semitones = max(-48, min(48, int(option[2])))
    return octaves, semitones


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


# -- Q: -------------------------------------------------------------------------------------

_QUOTED = re.compile(r'"[^"]*"')
_BEATS = re.compile(r"\s*((?:\d+\s*/\s*\d+\s*)+|C\d*\s*|\d+\s*)=\s*(?:ca\.?|c\.|approx\.?|~)?\s*(\d+(?:\.\d+)?)",
                    re.IGNORECASE)


def read_tempo(text: str, unit: Fraction = Fraction(1, 8)) -> float | None:
    """Quarter notes per minute of a ``Q:`` value, or None when it gives the tempo in words only.

    ``1/4=120``; ``"Allegro" 1/4=120``; ``1/4=ca. 80``; ``3/8=40`` (a dotted
    beat); ``1/8 1/4=60`` (beats added); ``C=120`` and ``C2=120`` (ABC 1.6:
    ``C`` is the unit note length ``unit``); a bare ``120`` is quarter notes
    per minute, as abc2midi reads it. Raises ValueError when it cannot be read.
    """
    rest = _QUOTED.sub(" ", text.split("%")[0]).strip()
    if not rest:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", rest):
        bpm = float(rest)
        beat = Fraction(1, 4)
    else:
        match = _BEATS.match(rest)
        if not match:
            raise ValueError(f"not a tempo: {text!r}")
        beats, bpm = match[1].strip(), float(match[2])
        if beats.upper().startswith("C"):
            beat = unit * int(beats[1:].strip() or 1)
        elif "/" in beats:
            beat = sum((Fraction(int(n), int(d)) for n, d in re.findall(r"(\d+)\s*/\s*(\d+)", beats)
                        if int(d) > 0), Fraction(0))
        else:
            beat = unit * int(beats)
    quarters = float(bpm * beat * 4)
    if not quarters > 0:
        raise ValueError(f"not a tempo: {text!r}")
    return quarters


# -- T: -------------------------------------------------------------------------------------

def title_of(lines: Iterable[str]) -> str:
    """The first ``T:`` value among header ``lines``, or ``""`` (``\\%`` is ABC's literal percent sign)."""
    return next((line[2:].strip().replace("\\%", "%") for line in lines if line.startswith("T:")), "")
