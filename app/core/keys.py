"""Key names, key signatures and pitch spelling.

A key is written ``"<tonic> <mode>"``, e.g. ``"G major"``, ``"F# minor"``,
``"D dorian"``. These helpers turn that into a count of sharps (+) or flats (-)
and spell MIDI pitches within it.
"""

from __future__ import annotations

import re

LETTERS = "CDEFGAB"
LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SHARP_ORDER = "FCGDAEB"
MODES = {
    "major": 0, "ionian": 0, "minor": -3, "aeolian": -3, "dorian": -2,
    "mixolydian": -1, "lydian": 1, "phrygian": -4, "locrian": -5,
}
ABC_MODE = {"major": "", "minor": "m", "dorian": "dor", "mixolydian": "mix",
            "lydian": "lyd", "phrygian": "phr", "locrian": "loc", "ionian": "", "aeolian": "m"}
MAJOR_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7,
                "F": -1, "Bb": -2, "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}
_FIFTHS_MAJOR = {v: k for k, v in MAJOR_FIFTHS.items()}
_ABC_MODE_PREFIX = [("maj", "major"), ("ion", "major"), ("min", "minor"), ("aeo", "minor"),
                    ("dor", "dorian"), ("mix", "mixolydian"), ("lyd", "lydian"),
                    ("phr", "phrygian"), ("loc", "locrian"), ("m", "minor")]


def parse_key(name: str) -> tuple[str, str]:
    """``"g# Minor"`` -> ``("G#", "minor")``; raises ValueError for nonsense."""
    m = re.fullmatch(r"\s*([A-Ga-g])([#b]?)\s*(\w*)\s*", name or "")
    if not m:
        raise ValueError(f"{name!r} is not a key name")
    tonic = m.group(1).upper() + m.group(2)
    mode = (m.group(3) or "major").lower()
    if mode not in MODES:
        raise ValueError(f"{name!r} has an unknown mode")
    return tonic, {"ionian": "major", "aeolian": "minor"}.get(mode, mode)


def normalize_key(name: str) -> str:
    tonic, mode = parse_key(name)
    return f"{tonic} {mode}"


def _tonic_fifths(tonic: str) -> int:
    """Fifths of ``tonic`` as a major key, allowing theoretical keys (e.g. G#)."""
    letter, acc = tonic[0], tonic[1:]
    base = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}[letter]
    return base + 7 * (acc.count("#") - acc.count("b"))


def key_fifths(name: str | None) -> int:
    """Sharps (positive) or flats (negative) in the key signature of ``name``."""
    if not name:
        return 0
    tonic, mode = parse_key(name)
    fifths = _tonic_fifths(tonic) + MODES[mode]
    return max(-7, min(7, fifths))


def key_from_fifths(fifths: int, mode: str = "major") -> str:
    """The key name with ``fifths`` sharps/flats in ``mode`` (major or minor)."""
    fifths = max(-7, min(7, fifths))
    if mode == "minor":
        minor_tonics = {0: "A", 1: "E", 2: "B", 3: "F#", 4: "C#", 5: "G#", 6: "D#", 7: "A#",
                        -1: "D", -2: "G", -3: "C", -4: "F", -5: "Bb", -6: "Eb", -7: "Ab"}
        tonic = minor_tonics[fifths]
        return f"{tonic} minor"
    return f"{_FIFTHS_MAJOR[fifths]} major"


def key_alterations(fifths: int) -> dict[str, int]:
    """Letter -> alteration (+1 sharp, -1 flat, 0) implied by the key signature."""
    alters = {letter: 0 for letter in LETTERS}
    if fifths > 0:
        for letter in SHARP_ORDER[:fifths]:
            alters[letter] = 1
    elif fifths < 0:
        for letter in SHARP_ORDER[::-1][: -fifths]:
            alters[letter] = -1
    return alters


def scale_pitch_classes(name: str | None) -> frozenset[int]:
    """Pitch classes of the key's diatonic scale (C major when unknown)."""
    alters = key_alterations(key_fifths(name))
    return frozenset((LETTER_PC[letter] + alt) % 12 for letter, alt in alters.items())


def spell(pitch: int, fifths: int) -> tuple[str, int, int]:
    """Spell MIDI ``pitch`` in a key: ``(letter, alteration, octave)``.

    Diatonic pitches take the key's spelling; others are a natural letter when
    one fits, else raised from below in sharp keys (and C major) and lowered
    from above in flat keys.
    """
    alters = key_alterations(fifths)
    pc = pitch % 12
    for letter in LETTERS:
        if (LETTER_PC[letter] + alters[letter]) % 12 == pc:
            return _with_octave(pitch, letter, alters[letter])
    for alt in (0, 1 if fifths >= 0 else -1):  # chromatic: a natural, else sharp/flat
        for letter in LETTERS:
            if (LETTER_PC[letter] + alt) % 12 == pc:
                return _with_octave(pitch, letter, alt)
    raise AssertionError("unreachable: every pitch class has a spelling")


def _with_octave(pitch: int, letter: str, alter: int) -> tuple[str, int, int]:
    octave = (pitch - LETTER_PC[letter] - alter) // 12 - 1
    return letter, alter, octave


def key_to_abc(name: str | None) -> str:
    """``"E minor"`` -> ``"Em"``; ``None`` -> ``"C"``."""
    if not name:
        return "C"
    tonic, mode = parse_key(name)
    return tonic + ABC_MODE[mode]


def key_from_abc(text: str) -> str | None:
    """ABC ``K:`` value -> key name (``None`` for ``K:none``/percussion)."""
    m = re.match(r"\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)", text or "")
    if not m:
        return None
    tonic = m.group(1).upper() + m.group(2)
    word = m.group(3).lower()
    if word in ("none", "perc"):
        return None
    mode = "major"
    for prefix, full in _ABC_MODE_PREFIX:
        if word.startswith(prefix):
            mode = full
            break
    return f"{tonic} {mode}"


def key_to_mido(name: str | None) -> str | None:
    """Key name -> mido ``key_signature`` string (major/minor only)."""
    if not name:
        return None
    tonic, mode = parse_key(name)
    fifths = key_fifths(name)
    if mode == "minor":
        return key_from_fifths(fifths, "minor").split()[0] + "m"
    return key_from_fifths(fifths, "major").split()[0]


def key_from_mido(text: str) -> str:
    """mido ``key_signature`` string (``"Bb"``, ``"F#m"``) -> key name."""
    if text.endswith("m"):
        return f"{text[:-1]} minor"
    return f"{text} major"
