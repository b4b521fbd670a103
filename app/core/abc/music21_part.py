"""Build a music21 Part from the text of one ABC voice (used by ``read.py``).

music21 tokenises ABC well, but its translator drops or misplaces fields that
change inside a tune (``M:``, ``Q:``), loses ties on chords (``[CE]2-``,
``[C-E]2``) and does not carry an accidental to later notes of the same bar.
This module therefore splits the tokens into bars itself, lets music21 turn
each bar's tokens into notes (``abcFormat.translate.parseTokens``), and then
adds what was lost: chord ties, accidentals carried through the bar (and
through a tie over the bar line), and the anacrusis padding of a short first
bar; and it moves each bar's notes by the playback transposition of the
``I:shift N`` line (semitones) in force at its first note (written by
``prepare.py``, from ``K:``/``V:`` clefs marked ``+8``/``-8``, ``octave=`` and
``transpose=``). Repeats and endings never reach it: ``prepare.py`` has
played them out.
As in ABC 2.1, a clef (``K:G clef=bass``) does not change pitches; music21
would move them two octaves down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from music21 import abcFormat, chord, harmony, pitch, stream, tie
from music21.abcFormat import translate

_NOTE_IN_CHORD = re.compile(r"(\^{1,2}|_{1,2}|=)?([A-Ga-g])([,']*)([0-9]*(?:/+[0-9]*)?)(-?)")
_DECORATION = re.compile(r'"[^"]*"|![^!]*!|\+[^+]*\+')
_SHIFT = "I:shift "


@dataclass
class _Bar:
    """The tokens between two bar lines."""

    tokens: list = field(default_factory=list)

    def has_notes(self) -> bool:
        return any(isinstance(t, abcFormat.ABCNote) for t in self.tokens)


def voice_part(text: str) -> stream.Part:
    """A Part (with measures) from one voice's ABC text."""
    handler = abcFormat.ABCHandler()
    handler.process(text)
    bars = split_bars(handler.tokens)
    part = stream.Part()
    measures: list[stream.Measure] = []
    shifts: list[int] = []
    shift = 0
    for index, bar in enumerate(bars):
        measure = stream.Measure(number=index + 1)
        bar_handler = abcFormat.ABCHandlerBar()
        bar_handler.tokens = [t for t in bar.tokens if not _is_shift(t)]
        translate.parseTokens(bar_handler, measure, part, True)  # its clef transposition is ignored
        _tie_chords(measure, bar.tokens)
        measures.append(measure)
        shift, at_first_note = _bar_shift(bar.tokens, shift)
        shifts.append(at_first_note)
    carry_accidentals(measures)
    for measure, semitones in zip(measures, shifts):
        if semitones:
            _transpose(measure, semitones)
    if len(measures) > 1:
        _pad_anacrusis(measures)
    for measure in measures:
        part.coreAppend(measure)
    part.coreElementsChanged()
    return part


def split_bars(tokens: list) -> list[_Bar]:
    """Cut tokens into bars that hold notes; fields after a bar's last note go to the next bar."""
    bars: list[_Bar] = []
    current = _Bar()
    for token in tokens:
        if not isinstance(token, abcFormat.ABCBar):
            current.tokens.append(token)
            continue
        if current.has_notes():
            carried = _trailing_fields(current)
            bars.append(current)
            current = _Bar(tokens=carried)
    if current.has_notes():
        bars.append(current)
    return bars


def _is_shift(token) -> bool:
    return isinstance(token, abcFormat.ABCMetadata) and token.src.startswith(_SHIFT)


def _bar_shift(tokens: list, shift: int) -> tuple[int, int]:
    """(the shift in force after the bar, the one at its first note) from its ``I:shift`` lines."""
    at_first_note = None
    for token in tokens:
        if _is_shift(token):
            shift = int(token.src[len(_SHIFT):].split()[0])
        elif at_first_note is None and isinstance(token, abcFormat.ABCNote):
            at_first_note = shift
    return shift, shift if at_first_note is None else at_first_note


def _transpose(measure: stream.Measure, semitones: int) -> None:
    for el in measure.notes:
        if isinstance(el, harmony.Harmony):
            continue
        for member in _members(el):
            member.pitch.transpose(semitones, inPlace=True)


def _trailing_fields(bar: _Bar) -> list:
    """Remove and return the field tokens after the last note of ``bar``."""
    last_note = max(i for i, t in enumerate(bar.tokens) if isinstance(t, abcFormat.ABCNote))
    tail = bar.tokens[last_note + 1:]
    fields = [t for t in tail if isinstance(t, abcFormat.ABCMetadata)]
    bar.tokens = bar.tokens[: last_note + 1] + [t for t in tail if not isinstance(t, abcFormat.ABCMetadata)]
    return fields


def _chord_note_ties(token: abcFormat.ABCChord, count: int) -> list[bool]:
    """Per-note ties written inside a chord (``[C-E]``); all False when unreadable."""
    source = _DECORATION.sub("", token.src)
    inner = source[source.find("[") + 1: source.find("]")] if "[" in source and "]" in source else ""
    found = _NOTE_IN_CHORD.findall(inner)
    if len(found) != count:
        return [False] * count
    return [bool(groups[4]) for groups in found]


def _tie_chords(measure: stream.Measure, tokens: list) -> None:
    """Put back the chord ties music21's translator ignores."""
    chord_tokens = [t for t in tokens if isinstance(t, abcFormat.ABCChord)
                    and any(isinstance(s, abcFormat.ABCNote) for s in t.subTokens)]
    chords = [e for e in measure.notes if isinstance(e, chord.Chord) and not isinstance(e, harmony.Harmony)]
    if len(chord_tokens) != len(chords):
        return
    for token, ch in zip(chord_tokens, chords):
        whole = token.tie in ("start", "continue")
        inner = _chord_note_ties(token, len(ch.notes))
        for member, tied in zip(ch.notes, inner):
            if whole or tied:
                member.tie = tie.Tie("start")


def _members(el) -> list:
    return list(el.notes) if isinstance(el, chord.Chord) else [el]


def carry_accidentals(measures: list[stream.Measure]) -> None:
    """Apply ABC's rule: an accidental holds for the same note until the bar line.

    A note tied over the bar line keeps its accidental too (unless the tie is
    continued by a note with its own accidental in the same chord).
    """
    tied: dict[tuple, set[float]] = {}  # alters of notes tied into the next element
    for measure in measures:
        carried: dict[tuple, float] = {}
        for el in measure.notes:
            if isinstance(el, harmony.Harmony):
                continue
            tied_in, tied = tied, {}
            members = _members(el)
            explicit: dict[tuple, set[float]] = {}
            for member in members:
                if _is_explicit(member.pitch):
                    explicit.setdefault(_slot(member.pitch), set()).add(_alter(member.pitch))
            for member in members:
                p = member.pitch
                slot = _slot(p)
                remaining = tied_in.get(slot, set()) - explicit.get(slot, set())
                if _is_explicit(p):
                    carried[slot] = _alter(p)
                elif remaining:
                    if _alter(p) not in remaining and len(remaining) == 1:
                        _set_alter(p, next(iter(remaining)))
                elif slot in carried:
                    _set_alter(p, carried[slot])
                if member.tie is not None and member.tie.type in ("start", "continue"):
                    tied.setdefault(slot, set()).add(_alter(p))
            if el.duration.isGrace:
                tied = tied_in


def _slot(p: pitch.Pitch) -> tuple:
    return p.step, p.octave


def _is_explicit(p: pitch.Pitch) -> bool:
    return p.accidental is not None and p.accidental.displayStatus is True


def _alter(p: pitch.Pitch) -> float:
    return p.accidental.alter if p.accidental is not None else 0.0


def _set_alter(p: pitch.Pitch, alter: float) -> None:
    if _alter(p) != alter:
        p.accidental = pitch.Accidental(alter)
        p.accidental.displayStatus = False


def _pad_anacrusis(measures: list[stream.Measure]) -> None:
    """A first bar shorter than its meter is a pickup: number 0, padded on the left."""
    first = measures[0]
    if first.timeSignature is None:
        return
    if first.barDurationProportion() < 1.0:
        first.padAsAnacrusis()
        first.number = 0
        for number, measure in enumerate(measures[1:], start=1):
            measure.number = number
