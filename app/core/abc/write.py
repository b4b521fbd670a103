"""Score -> ABC text: :func:`write_abc` (our own writer; reading is in ``read.py``).

The output is plain ABC 2.1 that any reader understands and that reads back
to the same notes:

* Texts (``T:``, voice names) are one clean line each (``text.py``: no
  control characters or line breaks; ``%`` escaped as ``\\%`` in ``T:``).
* ``X:1``, ``T:``, ``M:``, ``L:`` (ABC's default for the meter, ``header.default_unit``),
  ``Q:1/4=bpm`` and ``K:`` from the score; several tracks become voices
  (``V:n name="..."``), each with ``%%MIDI program N`` (and
  ``%%MIDI channel 10`` for drums).
* Times are quantised to the notation grid the MusicXML writer uses
  (``notation_grid.py``: each beat on 64th notes or on 32nd-note triplets;
  what moved is counted in a ``GridReport``). A length is a multiple or
  fraction of ``L:`` (``C2``, ``C/``, ``C3/2``) with a power-of-two
  denominator, as ABC requires (abc2midi refuses ``C2/3``): the values of a
  ternary beat are one tuplet, ``(3`` for three of them and ``(3:2:r`` for
  ``r``, each written 3/2 as long as it sounds (``written_values.py``).
* Bar lines follow the meter, with inline ``[M:x/y]`` where it changes and
  ``[Q:1/4=bpm]`` where the tempo changes, ``[K:...]`` where the key changes
  (in every voice; accidentals follow the new key from there on); notes over a bar line are tied
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
from app.core.keys import key_alterations, key_fifths, key_tonic, spell
from app.core.abc.written_values import WrittenValue, tuplet_size, written_values
from app.core.notation_grid import BeatGrid, GridReport, bar_spans, notation_score
from app.core.score import Score, Track
from app.core.slicing import bar_end, lift_low_notes, slice_track
from app.core.text import abc_text, plain_line
from app.core.timing import bar_lines

_ACCIDENTAL = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}
BARS_PER_LINE = 4
TUPLET_SCALE = Fraction(3, 2)  # a note inside ``(3`` is written 3/2 as long as it sounds


def write_abc(score: Score, report: GridReport | None = None) -> str:
    """The whole score as the text of one ABC tune (see module doc).

    What quantising to the notation grid changed is counted in ``report`` when one is given.
    """
    score = notation_score(score)
    report = GridReport() if report is None else report
    first = score.time_signatures[0]
    meter = (first.numerator, first.denominator)
    unit_length = default_unit(meter)
    unit = score.ppq * 4 * unit_length  # ticks per L: unit
    tracks = score.tracks or (Track(),)
    bars = bar_spans(score, bar_end(score, max(score.end, 1) + score.time_signatures[-1].bar_ticks(score.ppq)))
    grids = [BeatGrid.for_notes(bars, score.ppq, track.notes) for track in tracks]
    tracks = [track.with_notes(grid.quantize(lift_low_notes(track.notes), report))
              for track, grid in zip(tracks, grids)]
    end = bar_end(score, max((n.end for track in tracks for n in track.notes), default=1))
    key = _usable_key(score.key)
    lines = ["X:1"]
    title = abc_text(score.title)
    if title:
        lines.append("T:" + title)
    lines += [f"M:{format_meter(meter)}", f"L:{format_unit(unit_length)}",
              f"Q:1/4={_bpm(score.tempos[0].bpm)}", f"K:{key_to_abc(key)}"]
    for index, (track, grid) in enumerate(zip(tracks, grids)):
        if len(tracks) > 1:
            name = plain_line(track.name).replace('"', "'") or f"Track {index + 1}"  # % is text inside quotes
            lines.append(f'V:{index + 1} name="{name}"')
        lines.append(f"%%MIDI program {track.program}")
        if track.is_drum:
            lines.append("%%MIDI channel 10")
        lines += _voice_lines(score, track, grid, end, unit, key, with_tempo=index == 0)
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


def _spelling(key: str | None) -> tuple[int, int | None]:
    """What pitches are spelled in: the key's sharps (+) or flats (-) and its tonic's pitch class."""
    return key_fifths(key), key_tonic(key)


def _voice_lines(score: Score, track: Track, grid: BeatGrid, end: int, unit: Fraction, opening: str | None,
                 with_tempo: bool) -> list[str]:
    """The music of one (quantised) track, bar by bar, four bars a line."""
    tempos = {grid.snap(t.tick): t.bpm for t in score.tempos[1:]} if with_tempo else {}
    changes = {grid.snap(k.tick): _usable_key(k.key) for k in score.keys[1:]}
    keys = sorted((tick, name) for tick, name in changes.items() if name)  # key changes still to write
    key = _spelling(opening)
    values = written_values(slice_track(score, track, end=end, extra_cuts=list(tempos) + [t for t, _ in keys]), grid)
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
        tuplet_left = 0  # values still to write inside the current tuplet
        while index < len(values) and values[index].piece.start < stop:
            value = values[index]
            start = value.piece.start
            if keys and start >= keys[0][0] and not tuplet_left:
                name = keys.pop(0)[1]
                text += (" " if text else "") + f"[K:{key_to_abc(name)}]"
                key, written, after_field = _spelling(name), {}, True
            if start in tempos and not tuplet_left:
                text += (" " if text else "") + f"[Q:1/4={_bpm(tempos.pop(start))}]"
                after_field = True
            on_beat = (start - bar.tick) % beat == 0
            gap = " " if text and (on_beat or after_field) and not tuplet_left else ""  # beamed inside a beat
            prefix = ""
            if value.triplet and not tuplet_left:
                tuplet_left = tuplet_size(values, index)
                prefix = "(3" if tuplet_left == 3 else f"(3:2:{tuplet_left}"
            text += gap + prefix + _value_text(value, unit / TUPLET_SCALE if value.triplet else unit, key, written)
            tuplet_left = max(tuplet_left - 1, 0)
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


def pitch_text(pitch: int, key: tuple[int, int | None], written: dict[tuple[str, int], int]) -> str:
    """A pitch in ABC, in ``key`` (sharps or flats, tonic pitch class), with the accidental the bar so far
    requires (updates ``written``)."""
    fifths, tonic = key
    letter, alter, octave = spell(pitch, fifths, tonic)
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


def _value_text(value: WrittenValue, unit: Fraction, key: tuple[int, int | None], written: dict) -> str:
    """A rest, note or chord for one written value, with its ties (all tied on before a slice's last value)."""
    piece = value.piece
    length = length_text(piece.duration, unit)
    if piece.is_rest:
        return "z" + length
    notes = piece.notes if value.last else [n._replace(tie_to_next=True) for n in piece.notes]
    if len(notes) == 1:
        only = notes[0]
        return pitch_text(only.pitch, key, written) + length + ("-" if only.tie_to_next else "")
    all_tied = all(n.tie_to_next for n in notes)
    inner = "".join(pitch_text(n.pitch, key, written) + ("-" if n.tie_to_next and not all_tied else "")
                    for n in notes)
    return f"[{inner}]{length}" + ("-" if all_tied else "")


def _meter(signature) -> tuple[int, int]:
    return signature.numerator, signature.denominator
