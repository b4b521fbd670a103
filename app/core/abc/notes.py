"""Note events straight from ABC text, for the copying check over thousands of tunes.

Parsing every training tune with music21 would take minutes; the copying
check (``models.metrics.checks.abc_note_events``) only needs each note's
pitch and length. This reader covers the ABC that
Cadenza's ABC models read and write (their training normal form
and their decoding grammar): the ``M:``, ``L:`` and ``K:`` header fields (with the
rules of ``header.py``), notes with
accidentals and octave marks, lengths, rests, ``(p`` tuplets, ties and bar
lines. Repeats and 1st/2nd endings are played out as the reader plays them
(``repeats.py``). Accidentals follow ABC 2.1: the key signature, and an explicit
accidental carried to the end of the bar for that note letter and octave.
Anything else in the body is skipped. :func:`abc_notes` gives the notes the
copying check's events are made of (pitch, length in 16ths; tied notes of one
pitch are one note), so a tune read here and the Score music21 reads from the
same text give the same events.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.core.abc import repeats
from app.core.abc.header import default_unit, key_signature, read_meter, read_unit, reading_key
from app.core.keys import LETTER_PC, key_alterations

_TOKEN = re.compile(r"""
    (?P<tuplet>\((?P<p>[2-9]))
  | (?P<note>(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<oct>[,']*)(?P<len>\d*/*\d*))
  | (?P<rest>[zx](?P<rlen>\d*/*\d*))
  | (?P<tie>-)
  | (?P<bar>[|:\[\]]+\d*)
""", re.X)
_NOT_MUSIC = re.compile(r'"[^"]*"|![^!]*!|%.*$')  # chord symbols, decorations, comments
_ACC = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}
_TUPLET_TIME = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}  # (p: p notes in the time of q (q = 2 for 5, 7, 9)


@lru_cache(maxsize=1024)
def _length(text: str) -> float:
    """A length suffix in units of ``L:`` (``"3/2"`` -> 1.5, ``"//"`` -> 0.25)."""
    num, slashes, den = re.fullmatch(r"(\d*)(/*)(\d*)", text).groups()
    value = int(num or 1) / (int(den) if den else 2 ** len(slashes))
    return value if value > 0 else 1.0


def _header(text: str) -> tuple[float, dict[str, int], list[str]]:
    """(unit note length, key alterations per letter, body lines)."""
    fields: dict[str, str] = {}
    body = []
    for line in text.splitlines():
        if re.match(r"[A-Za-z]:", line):
            fields[line[0]] = line[2:].strip()
        elif line.strip() and not line.startswith("%"):
            body.append(_NOT_MUSIC.sub("", line))
    unit = read_unit(fields.get("L")) or default_unit(read_meter(fields.get("M")))
    key = reading_key(fields.get("K", ""))
    try:
        fifths = key_signature(key) if key and key != "none" else 0
    except ValueError:
        fifths = 0
    return float(unit), key_alterations(fifths), repeats.expand(body)


def abc_notes(text: str) -> list[tuple[int, int]]:
    """The notes of one ABC tune (header and body): (MIDI pitch, length in 16ths)."""
    unit, key, body = _header(text)
    notes: list[list] = []  # [pitch, length in whole notes]
    carried: dict[tuple[str, int], int] = {}
    tuplet_left, factor, tie_open = 0, 1.0, False
    for line in body:
        for m in _TOKEN.finditer(line):
            kind = m.lastgroup
            if kind == "tuplet":
                p = int(m["p"])
                tuplet_left, factor = p, _TUPLET_TIME.get(p, 2) / p
            elif kind == "bar":
                carried.clear()
            elif kind == "tie":
                tie_open = bool(notes)
            elif kind in ("note", "rest"):
                length = _length(m["len"] if kind == "note" else m["rlen"]) * unit
                if tuplet_left:
                    length, tuplet_left = length * factor, tuplet_left - 1
                if kind == "rest":
                    tie_open = False
                    continue
                letter, marks = m["letter"], m["oct"]
                octave = (1 if letter.islower() else 0) + marks.count("'") - marks.count(",")
                place = (letter.upper(), octave)
                if m["acc"]:
                    carried[place] = _ACC[m["acc"]]
                alter = carried.get(place, key[letter.upper()])
                pitch = 60 + 12 * octave + LETTER_PC[letter.upper()] + alter
                if tie_open and notes[-1][0] == pitch:
                    notes[-1][1] += length
                elif 0 <= pitch <= 127:
                    notes.append([pitch, length])
                tie_open = False
    return [(pitch, round(length * 16)) for pitch, length in notes]
