"""Score -> ABC text: :func:`write_abc` (our own writer; reading is in ``read.py``).

The output is plain ABC 2.1 that any reader understands and that reads back
to the same notes:

* Texts (``T:``, voice names) are one clean line each (``text.py``: no
  control characters or line breaks; ``%`` escaped as ``\\%`` in ``T:``).
* ``X:1``, ``T:``, ``M:``, ``L:`` (ABC's default for the meter, ``header.default_unit``),
  ``Q:1/4=bpm`` and ``K:`` from the score; several tracks become voices
  (``V:n name="..."``), each with ``%%MIDI program N`` (and
  ``%%MIDI channel 10`` for drums).
* Notes sit on a grid of ``ppq // 48`` ticks (see ``slicing.py``); every length
  is a multiple or fraction of ``L:`` (``C2``, ``C/``, ``C3/2``, ``C2/3`` for a
  triplet eighth), so tuplets need no ``(3`` groups.
* Bar lines follow the meter, with inline ``[M:x/y]`` where it changes and
  ``[Q:1/4=bpm]`` where the tempo changes; notes over a bar line are tied
  (``-``); overlapping notes become chords (``[CEG]2``, with ``-`` inside the
  brackets for the notes that go on alone); rests are ``z``; four bars a line,
  ``|]`` at the end.
* Pitches below C0 (MIDI 0-11, below hearing) are written in the octave of
  C0 (see ``slicing.py``), since music21 cannot read lower ABC notes.
* Accidentals are relative to the key signature: one is written on every note
  that differs from the key (also on a tied continuation in a new bar), and a
  note that returns to the key's spelling after an accidental on that letter
  earlier in the bar gets an explicit one (``=`` for a natural).
"""

from __future__ import annotations

from fractions import Fraction

from app.core.abc.header import default_unit, format_meter, format_unit, key_to_abc
from app.core.keys import key_alterations, key_fifths, spell
from app.core.score import Score, Track
from app.core.slicing import Slice, bar_end, quantized_end, slice_track
from app.core.text import abc_text, plain_line
from app.core.timing import bar_lines

_ACCIDENTAL = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}
BARS_PER_LINE = 4


def abc_grid(ppq: int) -> int:
    """The grid ABC output is written on: 1/48 of a quarter note (at least one tick)."""
    return max(1, ppq // 48)


def write_abc(score: Score) -> str:
    """The whole score as the text of one ABC tune (see module doc)."""
    first = score.time_signatures[0]
    meter = (first.numerator, first.denominator)
    unit_length = default_unit(meter)
    unit = score.ppq * 4 * unit_length  # ticks per L: unit
    grid = abc_grid(score.ppq)
    end = bar_end(score, quantized_end(score, grid))
    key = _usable_key(score.key)
    lines = ["X:1"]
    title = abc_text(score.title)
    if title:
        lines.append("T:" + title)
    lines += [f"M:{format_meter(meter)}", f"L:{format_unit(unit_length)}",
              f"Q:1/4={_bpm(score.tempos[0].bpm)}", f"K:{key_to_abc(key)}"]
    tracks = score.tracks or (Track(),)
    for index, track in enumerate(tracks):
        if len(tracks) > 1:
            name = plain_line(track.name).replace('"', "'") or f"Track {index + 1}"  # % is text inside quotes
            lines.append(f'V:{index + 1} name="{name}"')
        lines.append(f"%%MIDI program {track.program}")
        if track.is_drum:
            lines.append("%%MIDI channel 10")
        lines += _voice_lines(score, track, grid, end, unit, key_fifths(key), with_tempo=index == 0)
    return "\n".join(lines) + "\n"


def _usable_key(name: str | None) -> str | None:
    """The score's key if it is one ABC can write, else None (no signature)."""
    try:
        key_to_abc(name)
    except ValueError:
        return None
    return name


def _bpm(bpm: float) -> str:
    return f"{bpm:.2f}".rstrip("0").rstrip(".")


def _voice_lines(score: Score, track: Track, grid: int, end: int, unit: Fraction, fifths: int,
                 with_tempo: bool) -> list[str]:
    """The music of one track, bar by bar, four bars a line."""
    tempos = {t.tick: t.bpm for t in score.tempos[1:]} if with_tempo else {}
    slices = slice_track(score, track, grid=grid, end=end, extra_cuts=tempos)
    bars = bar_lines(score, until=end)
    texts: list[str] = []
    index = 0
    for number, bar in enumerate(bars):
        stop = bars[number + 1].tick if number + 1 < len(bars) else end
        text = ""
        if number > 0 and _meter(bar.signature) != _meter(bars[number - 1].signature):
            text = f"[M:{bar.signature.numerator}/{bar.signature.denominator}]"
        after_field = True
        beat = _beat_ticks(bar.signature.numerator, bar.signature.denominator, score.ppq)
        written: dict[tuple[str, int], int] = {}
        while index < len(slices) and slices[index].start < stop:
            piece = slices[index]
            if piece.start in tempos:
                text += (" " if text else "") + f"[Q:1/4={_bpm(tempos[piece.start])}]"
                after_field = True
            on_beat = (piece.start - bar.tick) % beat == 0
            gap = " " if text and (on_beat or after_field) else ""  # notes inside a beat are beamed
            text += gap + _slice_text(piece, unit, fifths, written)
            after_field = False
            index += 1
        texts.append(text)
    return _layout(texts)


def _beat_ticks(numerator: int, denominator: int, ppq: int) -> int:
    """A beat for beaming: the denominator, or a dotted one in compound meters."""
    beat = ppq * 4 // denominator
    return beat * 3 if denominator >= 8 and numerator % 3 == 0 and numerator > 3 else max(beat, 1)


def _layout(bars: list[str]) -> list[str]:
    lines, current = [], []
    for number, text in enumerate(bars, start=1):
        current.append(text + (" |]" if number == len(bars) else " |"))
        if number % BARS_PER_LINE == 0 or number == len(bars):
            lines.append(" ".join(current))
            current = []
    return lines


def length_text(ticks: int, unit: Fraction) -> str:
    """A length in ABC: ``""`` for one unit, ``2``, ``/``, ``/4``, ``3/2``..."""
    value = Fraction(ticks) / unit
    if value == 1:
        return ""
    if value.denominator == 1:
        return str(value.numerator)
    if value.numerator == 1:
        return "/" if value.denominator == 2 else f"/{value.denominator}"
    return f"{value.numerator}/{value.denominator}"


def pitch_text(pitch: int, fifths: int, written: dict[tuple[str, int], int]) -> str:
    """A pitch in ABC with the accidental the bar so far requires (updates ``written``)."""
    letter, alter, octave = spell(pitch, fifths)
    in_key = key_alterations(fifths)[letter]
    clash = any(v != alter for (other, _), v in written.items() if other == letter)
    accidental = ""
    if alter != in_key or clash:
        accidental = _ACCIDENTAL[alter]
        written[(letter, octave)] = alter
    if octave >= 5:
        name = letter.lower() + "'" * (octave - 5)
    else:
        name = letter + "," * (4 - octave)
    return accidental + name


def _slice_text(piece: Slice, unit: Fraction, fifths: int, written: dict) -> str:
    """A rest, note or chord for one slice, with its ties."""
    length = length_text(piece.duration, unit)
    if piece.is_rest:
        return "z" + length
    if len(piece.notes) == 1:
        only = piece.notes[0]
        return pitch_text(only.pitch, fifths, written) + length + ("-" if only.tie_to_next else "")
    all_tied = all(n.tie_to_next for n in piece.notes)
    inner = "".join(pitch_text(n.pitch, fifths, written) + ("-" if n.tie_to_next and not all_tied else "")
                    for n in piece.notes)
    return f"[{inner}]{length}" + ("-" if all_tied else "")


def _meter(signature) -> tuple[int, int]:
    return signature.numerator, signature.denominator
