"""Key names, key signatures and pitch spelling.

A key is written ``"<tonic> <mode>"``, e.g. ``"G major"``, ``"F# minor"``,
``"D dorian"``. These helpers turn that into a count of sharps (+) or flats (-)
and spell MIDI pitches within it. ABC's ``K:`` values are read and written in
``app.core.abc.header``.
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


def signature_fifths(tonic: str, mode: str) -> int:
    """THE key-signature rule: sharps (+) or flats (-) of ``tonic`` in ``mode``, unclamped.

    The tonic's place on the line of fifths (:data:`SHARP_ORDER`: F -1, C 0, G 1
    ... B 5; each ``#`` +7, each ``b`` -7) plus the mode's offset (:data:`MODES`):
    ``("A", "dorian")`` 1, ``("G#", "major")`` 8 (a theoretical key).
    """
    return SHARP_ORDER.index(tonic[0]) - 1 + 7 * (tonic.count("#") - tonic.count("b")) + MODES[mode]


def key_fifths(name: str | None) -> int:
    """Sharps (positive) or flats (negative) in the key signature of ``name`` (at most 7)."""
    if not name:
        return 0
    return max(-7, min(7, signature_fifths(*parse_key(name))))


def key_from_fifths(fifths: int, mode: str = "major") -> str:
    """The key name with ``fifths`` sharps/flats (at most 7) in ``mode``: :func:`signature_fifths` inverted."""
    fifths = max(-7, min(7, fifths))
    index = fifths - MODES[mode] + 1  # the tonic's place in FCGDAEB, then again with sharps (or flats before)
    accidentals = index // 7
    tonic = SHARP_ORDER[index % 7] + ("#" * accidentals if accidentals > 0 else "b" * -accidentals)
    return f"{tonic} {mode}"


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


def spell(pitch: int, fifths: int, tonic: int | None = None) -> tuple[str, int, int]:
    """Spell MIDI ``pitch`` in a key: ``(letter, alteration, octave)``.

    Diatonic pitches take the key's spelling; the leading tone a semitone below
    the ``tonic`` (its pitch class, when known) is the letter below the tonic's,
    raised (F# in G minor or G dorian, C# in D minor); other pitches are a
    natural letter when one fits, else raised from below in sharp keys (and C
    major) and lowered from above in flat keys.
    """
    alters = key_alterations(fifths)
    pc = pitch % 12
    for letter in LETTERS:
        if (LETTER_PC[letter] + alters[letter]) % 12 == pc:
            return _with_octave(pitch, letter, alters[letter])
    if tonic is not None and pc == (tonic - 1) % 12:
        tonic_letter = next(x for x in LETTERS if (LETTER_PC[x] + alters[x]) % 12 == tonic % 12)
        below = LETTERS[(LETTERS.index(tonic_letter) - 1) % 7]
        return _with_octave(pitch, below, (pc - LETTER_PC[below] + 6) % 12 - 6)
    for alt in (0, 1 if fifths >= 0 else -1):  # chromatic: a natural, else sharp/flat
        for letter in LETTERS:
            if (LETTER_PC[letter] + alt) % 12 == pc:
                return _with_octave(pitch, letter, alt)
    raise AssertionError("unreachable: every pitch class has a spelling")


def key_tonic(name: str | None) -> int | None:
    """The pitch class of ``name``'s tonic (``"G dorian"`` -> 7), or None for no key or a name that is none."""
    try:
        tonic, _ = parse_key(name or "")
    except ValueError:
        return None
    return (LETTER_PC[tonic[0]] + tonic.count("#") - tonic.count("b")) % 12


def _with_octave(pitch: int, letter: str, alter: int) -> tuple[str, int, int]:
    octave = (pitch - LETTER_PC[letter] - alter) // 12 - 1
    return letter, alter, octave


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
