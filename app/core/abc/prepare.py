"""One tune's ABC text made ready for music21: header field lines and the music of each voice.

Used by ``read.py`` before music21 sees a tune (pure Python). What music21
would misread is settled here, so that it only ever sees notes, bar lines
and the fields ``T: M: L: Q: K:`` in forms it reads:

* lines that are no music are left out: ``%%begin...``/``%%end...`` blocks
  (``%%beginsvg``...), lyrics (``w: W:``), remarks (``r:``), decoration and
  symbol lines (``d: s:``), notes, parts, instructions and other fields of
  the body; ``+:`` continues the field line before it; free text before the
  ``K:`` line;
* ``m:`` macros are expanded (``macros.py``); ``"..."`` chord symbols and
  annotations (``"@-10,5text"``) are dropped; ``+deco+`` becomes ``!deco!``;
  decoration letters (``T``, ``H``, ``u``, ``~``...) are dropped; invisible
  rests ``x`` become ``z``, bar rests ``Z`` whole-bar ``z`` rests;
* field values are put in one form (``header.py``): ``M:(2+3)/8`` ->
  ``M:5/8``, ``M:2/4 3/4`` -> ``M:2/4``, ``M:none`` left out;
  ``Q:"Allegro" 1/4=ca. 80`` -> ``Q:1/4=80``; ``K:HP`` -> ``K:Amix``; a ``K:``
  that names only a clef (``K:bass``, ``[K:clef=alto]``) keeps the key; the
  accidentals a ``K:`` adds to its signature (``K:D ^g``, ``K:D exp ^f``) are
  written on the notes they change; ``L:`` added by the default rule when missing;
* the playback transposition of ``K:`` and ``V:`` (``treble-8``, ``octave=``,
  ``transpose=``) becomes an ``I:shift N`` line (semitones) in the voice's
  music, which ``music21_part.py`` applies;
* inline fields (``[M:3/4]``, ``[K:G]``, ``[V:2]``) become field lines;
  ``V:`` lines switch voices (``name=``/``nm=`` names them); ``%%MIDI
  program``/``%%MIDI channel`` lines give each voice its General MIDI program
  and drum flag (channel 10);
* each voice's repeats and endings are played out (``repeats.py``), its
  parts in the order the header's ``P:`` gives (``parts.py``).

A construct that cannot be read raises :class:`UnreadableConstruct`, which
names its line and says what is wrong in a musician's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.abc import parts
from app.core.abc.header import (
    bar_units, default_unit, format_meter, format_unit, key_accidentals, read_meter, read_tempo, read_unit,
    reading_key, reading_shift,
)
from app.core.abc.macros import Macro, expand_macros, read_macro
from app.core.abc.tunes import Line, in_blocks, looks_like_music, strip_comment

_FIELD_LINE = re.compile(r"^([A-Za-z+]):(.*)$")
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
_PROTECTED = re.compile(r'("[^"]*"|![^!]*!|\+[^+\s]*\+)')
_MIDI = re.compile(r"^%%MIDI\s+(program|channel)\s+([\d\s]+)", re.IGNORECASE)
_TOO_LOW = re.compile(r"[A-G],{5,}|[a-g],{6,}")  # music21 misreads octave -1
_NOT_MUSIC = re.compile(r"[H-Yh-wy~]|[^\x00-\x7f]")
_NOTE = re.compile(r"(?P<bar>[|:])|(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<oct>[,']*)")
_MARKS = {2: "^^", 1: "^", 0: "=", -1: "_", -2: "__"}
_VOICE_NAME = re.compile(r'\b(?:name|nm)\s*=\s*(?:"([^"]*)"|(\S+))')
_HEADER_KEPT = "XTMLQK"  # header fields music21 is given (V: and m: are read here)
_BODY_KEPT = "MLQK"
_KEY_OPTIONS = "%key "  # a private line: the words of a body K: field (never music21's)


class UnreadableConstruct(ValueError):
    """A construct of the tune that cannot be read: its line (from 1) and what is wrong, in words."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


@dataclass
class Voice:
    vid: str
    name: str = ""
    program: int | None = None
    drum: bool | None = None
    lines: list[str] = field(default_factory=list)
    shift: tuple[int, int] = (0, 0)  # playback transposition: octaves, semitones
    shifted: int = 0  # the semitones of the last I:shift line written


def _semitones(shift: tuple[int, int]) -> int:
    return 12 * shift[0] + shift[1]


@dataclass
class _State:
    """What reading a tune so far has set: the current voice, meter, unit, key and macros."""

    current: str | None = None
    meter: tuple[int, int] | None = None
    unit: str | None = None
    macros: list[Macro] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)  # the header's K: M: L: Q: lines
    shift: tuple[int, int] = (0, 0)  # the header K:'s playback transposition, for new voices
    parts: str | None = None  # the header's P: (the order the parts are played in)
    key_marks: dict[str, str] = field(default_factory=dict)  # letter -> accidental the K: adds
    carried: set[tuple[str, int]] = field(default_factory=set)  # notes with an accidental in this bar
    line: int = 0


def prepare(lines: list[Line]) -> tuple[list[str], list[Voice]]:
    """Split a tune's numbered lines into header field lines and the music lines of each voice."""
    header: list[str] = []
    voices: dict[str, Voice] = {}
    defaults = Voice("")
    state = _State()
    body_started = False
    has_key = any(text.startswith("K:") for _, text in lines)
    for number, raw in _music_lines(lines):
        state.line = number
        line = raw.rstrip()
        if not body_started:
            if line.startswith("%") or not line.strip():
                _directive(line, voices, state, defaults)
                continue
            if _FIELD_LINE.match(line) and not looks_like_music(line):
                _header_field(line, header, voices, state)
                body_started = line.startswith("K:")
                if body_started:
                    _default_unit(header, state)
                continue
            if has_key:
                continue  # free text before the K: line
            body_started = True
            _default_unit(header, state)
        for piece in _split_inline(line, state):
            _body_line(piece, voices, state, defaults)
    if not body_started:
        _default_unit(header, state)
    for voice in voices.values():
        voice.program = defaults.program if voice.program is None else voice.program
        voice.drum = defaults.drum if voice.drum is None else voice.drum
        try:
            voice.lines = parts.play(voice.lines, state.parts, {**state.header, "I": "I:shift 0"})
        except ValueError as exc:
            raise UnreadableConstruct(lines[-1][0] if lines else 1, str(exc)) from None
    return header, [v for v in voices.values() if v.lines]


def _default_unit(header: list[str], state: _State) -> None:
    """At the end of the header: ``L:`` from the header's meter by ABC's rule, when none was given."""
    if state.unit is None:
        state.unit = format_unit(default_unit(state.meter))
        header.insert(1 if header and header[0].startswith("X:") else 0, f"L:{state.unit}")
        state.header["L"] = f"L:{state.unit}"


def _music_lines(lines: list[Line]) -> list[Line]:
    """The lines that may hold music or fields: no ``%%begin`` blocks; ``+:`` joined to its field."""
    kept: list[Line] = []
    for (number, text), inside in zip(lines, in_blocks(text for _, text in lines)):
        if inside:
            continue
        if text.startswith("+:"):
            if kept and _FIELD_LINE.match(kept[-1][1]) and not looks_like_music(kept[-1][1]):
                kept[-1] = (kept[-1][0], kept[-1][1].rstrip() + " " + text[2:].strip())
            continue
        kept.append((number, text))
    return kept


def _header_field(line: str, header: list[str], voices: dict[str, Voice], state: _State) -> None:
    letter, value = line[0], line[2:]
    if letter == "V":
        _switch_voice(value, voices, state)
    elif letter == "m":
        _define_macro(value, state)
    elif letter == "P":
        state.parts = strip_comment(value).strip()
    elif letter in _HEADER_KEPT:
        if letter == "K":
            words = strip_comment(value).split()
            state.shift = reading_shift(words, *state.shift)
            for voice in voices.values():
                voice.shift = reading_shift(words, *voice.shift)
        field_line = _field(letter, value, state, in_header=True)
        if field_line:
            header.append(field_line)
            if letter in "KMLQ":
                state.header[letter] = field_line


def _field(letter: str, value: str, state: _State, in_header: bool = False) -> str | None:
    """A ``K: M: L: Q:`` (or ``X: T:``) field in the form music21 reads, or None to leave it out."""
    value = strip_comment(value).strip() if letter != "T" else value.strip()
    if letter == "K":
        key = reading_key(value)
        if key or in_header:
            explicit, added = key_accidentals(value)
            state.key_marks = {letter: _MARKS[alter] for letter, alter in added.items()}
            key = "none" if explicit or not key else key
        return f"K:{key}" if key else None
    if letter == "M":
        meter = read_meter(value)
        if meter is None and value.lower() not in ("none", ""):
            raise UnreadableConstruct(state.line, f"the meter M:{value} cannot be read; "
                                                  "write it like 4/4, 6/8, C or C|")
        if meter is not None:
            state.meter = meter
        return f"M:{format_meter(meter)}" if meter else None
    if letter == "L":
        if read_unit(value) is None:
            what = "divides by zero" if re.fullmatch(r"\d+\s*/\s*0+", value) else "cannot be read; write it like 1/8"
            raise UnreadableConstruct(state.line, f"the unit note length L:{value} {what}")
        state.unit = value
        return f"L:{value}"
    if letter == "Q":
        unit = read_unit(state.unit) or default_unit(state.meter)
        try:
            bpm = read_tempo(value, unit)
        except ValueError:
            return None  # a tempo mark it cannot read is left out, as abc2midi does
        return f"Q:1/4={bpm:g}" if bpm is not None else None
    return f"{letter}:{value}"


def _define_macro(value: str, state: _State) -> None:
    macro = read_macro(strip_comment(value))
    if macro is None:
        raise UnreadableConstruct(state.line, f"the macro m:{value.strip()} cannot be read; "
                                              "write it like m: ~G3 = G{A}G{F}G")
    state.macros.append(macro)


def _switch_voice(data: str, voices: dict[str, Voice], state: _State) -> Voice:
    words = strip_comment(data).split()
    vid = words[0] if words else "1"
    voice = voices.get(vid)
    if voice is None:
        voice = voices[vid] = Voice(vid, shift=state.shift)
    voice.shift = reading_shift(words[1:], *voice.shift)
    match = _VOICE_NAME.search(data)
    if match:
        voice.name = match.group(1) if match.group(1) is not None else match.group(2)
    state.current = vid
    return voice


def _directive(line: str, voices: dict[str, Voice], state: _State, defaults: Voice) -> None:
    """``%%MIDI program [channel] N`` and ``%%MIDI channel N`` for the current voice."""
    match = _MIDI.match(line.strip())
    if not match:
        return
    numbers = [int(n) for n in match.group(2).split()]
    target = voices.get(state.current) if state.current is not None else defaults
    target = target or defaults
    if match.group(1).lower() == "program" and numbers and 0 <= numbers[-1] <= 127:
        target.program = numbers[-1]
    elif match.group(1).lower() == "channel" and numbers:
        target.drum = numbers[0] == 10


def _body_line(line: str, voices: dict[str, Voice], state: _State, defaults: Voice) -> None:
    if line.startswith(_KEY_OPTIONS):
        voice = _current_voice(voices, state)
        voice.shift = reading_shift(line[len(_KEY_OPTIONS):].split(), *voice.shift)
        return
    if line.startswith("%"):
        _directive(line, voices, state, defaults)
        return
    if not line.strip():
        return
    if line.startswith("V:"):
        _switch_voice(line[2:], voices, state)
        return
    voice = _current_voice(voices, state)
    if _semitones(voice.shift) != voice.shifted and not _FIELD_LINE.match(line):
        voice.shifted = _semitones(voice.shift)
        voice.lines.append(f"I:shift {voice.shifted}")
    voice.lines.append(line)


def _current_voice(voices: dict[str, Voice], state: _State) -> Voice:
    """The voice music goes to (the first one, or voice 1, until a V: field says otherwise)."""
    if state.current is None:
        first = next(iter(voices.values()), None)
        state.current = first.vid if first is not None else "1"
        if first is None:
            voices["1"] = Voice("1", shift=state.shift)
    return voices[state.current]


def _split_inline(line: str, state: _State) -> list[str]:
    """A body line as field lines and music lines: inline fields taken out, fields in one form."""
    if line.startswith("%"):
        return [line]
    match = _FIELD_LINE.match(line)
    if match and not looks_like_music(line):
        letter = match.group(1)
        if letter == "m":
            _define_macro(match.group(2), state)
            return []
        if letter == "V":
            return [line]
        if letter == "P":
            return [f"P:{strip_comment(match.group(2)).strip()}"]
        kept = _field(letter, match.group(2), state) if letter in _BODY_KEPT else None
        return [p for p in (kept, _key_options(letter, match.group(2))) if p]
    line = expand_macros(strip_comment(line), state.macros).rstrip("\\ ")
    pieces: list[str] = []
    pos = 0
    for inline in _INLINE_FIELD.finditer(line):
        pieces.append(_music(line[pos:inline.start()], state))
        letter, value = inline.group(1), inline.group(2)
        if letter in "VP":
            pieces.append(f"{letter}:{value.strip()}")
        elif letter in _BODY_KEPT:
            pieces.append(_field(letter, value, state) or "")
            pieces.append(_key_options(letter, value) or "")
        pos = inline.end()
    pieces.append(_music(line[pos:], state))
    return [p for p in pieces if p.strip()]


def _key_options(letter: str, value: str) -> str | None:
    """A ``K:`` field's words again, for its voice's playback transposition (``_body_line``)."""
    return _KEY_OPTIONS + strip_comment(value).strip() if letter == "K" else None


def _music(text: str, state: _State) -> str:
    """Rewrite what music21 misreads: ``"..."``, ``+deco+``, decoration letters, ``x``/``Z`` rests, ``:|:``."""
    out = []
    for index, segment in enumerate(_PROTECTED.split(text)):
        if index % 2 == 1:
            if segment.startswith("+"):
                out.append("!" + segment[1:-1] + "!")
            elif segment.startswith("!"):
                out.append(segment)
            continue  # chord symbols and annotations: no notes
        if _TOO_LOW.search(segment):
            raise UnreadableConstruct(state.line, "notes below C0 (MIDI pitch 12) cannot be read")
        segment = segment.replace(":|:", "::").replace("x", "z")
        segment = _NOT_MUSIC.sub("", segment)  # decoration shortcuts (H T u ~...), spacers, junk
        segment = re.sub(r"Z(\d*)", lambda m: _bar_rests(int(m.group(1) or 1), state), segment)
        out.append(_mark_key_accidentals(segment, state) if state.key_marks else segment)
    return "".join(out)


def _mark_key_accidentals(segment: str, state: _State) -> str:
    """Write the accidental a ``K:`` adds to its signature on each note it changes (ABC 2.1):
    not on a note that carries an accidental of its own from earlier in the bar."""
    def note(match: re.Match) -> str:
        if match["bar"]:
            state.carried.clear()
            return match.group()
        letter, marks = match["letter"], match["oct"]
        place = (letter.upper(), (1 if letter.islower() else 0) + marks.count("'") - marks.count(","))
        if match["acc"]:
            state.carried.add(place)
        elif place not in state.carried and letter.upper() in state.key_marks:
            return state.key_marks[letter.upper()] + match.group()
        return match.group()

    return _NOTE.sub(note, segment)


def _bar_rests(count: int, state: _State) -> str:
    unit = read_unit(state.unit) or default_unit(state.meter)
    units = bar_units(state.meter or (1, 1), unit)
    length = str(units.numerator) + (f"/{units.denominator}" if units.denominator != 1 else "")
    return " | ".join([f"z{length}"] * min(count, 1000))
