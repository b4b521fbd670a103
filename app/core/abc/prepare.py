"""One tune's ABC text made ready for music21: header field lines and the music of each voice.

Used by ``read.py`` before music21 sees a tune (pure Python). Fields of the
header become field lines (``L:`` added by the default rule of ``header.py``
when missing); ``V:`` lines switch voices (``name=``/``nm=`` names them);
inline fields (``[M:3/4]``, ``[K:G]``, ``[V:2]``) become field lines; ``+deco+``
becomes ``!deco!``; decoration letters (``T``, ``H``, ``u``, ``~``...) are
dropped; invisible rests ``x`` become ``z``, bar rests ``Z`` whole-bar ``z``
rests, ``:|:`` becomes ``::``; ``%%MIDI program``/``%%MIDI channel`` lines give
each voice its General MIDI program and drum flag (channel 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.abc.header import bar_units, default_unit, format_unit, read_meter, read_unit
from app.core.abc.tunes import looks_like_music, strip_comment

_FIELD_LINE = re.compile(r"^([A-Za-z]):(.*)$")
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
_PROTECTED = re.compile(r'("[^"]*"|![^!]*!|\+[^+\s]*\+)')
_MIDI = re.compile(r"^%%MIDI\s+(program|channel)\s+([\d\s]+)", re.IGNORECASE)
_TOO_LOW = re.compile(r"[A-G],{5,}|[a-g],{6,}")  # music21 misreads octave -1
_NOT_MUSIC = re.compile(r"[H-Yh-wy~]|[^\x00-\x7f]")
_VOICE_NAME = re.compile(r'\b(?:name|nm)\s*=\s*(?:"([^"]*)"|(\S+))')


@dataclass
class Voice:
    vid: str
    name: str = ""
    program: int | None = None
    drum: bool | None = None
    lines: list[str] = field(default_factory=list)


def prepare(lines: list[str]) -> tuple[list[str], list[Voice]]:
    """Split a tune into header field lines and the music lines of each voice."""
    header: list[str] = []
    voices: dict[str, Voice] = {}
    defaults = Voice("")
    state = {"current": None, "meter": None, "unit": None}
    body_started = False
    for raw in lines:
        line = raw.rstrip()
        if not body_started:
            if line.startswith("%") or not line.strip():
                _directive(line, voices, state, defaults)
                continue
            if _FIELD_LINE.match(line) and not looks_like_music(line):
                _header_field(line, header, voices, state)
                body_started = line.startswith("K:")
                continue
            body_started = True
        for piece in _split_inline(line, state):
            _body_line(piece, voices, state, defaults)
    if not any(line.startswith("L:") for line in header):
        meter = next((line[2:] for line in header if line.startswith("M:")), None)
        unit = format_unit(default_unit(read_meter(meter)))
        header.insert(1 if header and header[0].startswith("X:") else 0, f"L:{unit}")
    for voice in voices.values():
        voice.program = defaults.program if voice.program is None else voice.program
        voice.drum = defaults.drum if voice.drum is None else voice.drum
    return header, [v for v in voices.values() if v.lines]


def _header_field(line: str, header: list[str], voices: dict[str, Voice], state: dict) -> None:
    letter = line[0]
    if letter == "V":
        _switch_voice(line[2:], voices, state)
        return
    if letter == "M":
        state["meter"] = line[2:].strip()
    elif letter == "L":
        state["unit"] = line[2:].strip()
    header.append(line)


def _switch_voice(data: str, voices: dict[str, Voice], state: dict) -> Voice:
    words = data.split()
    vid = words[0] if words else "1"
    voice = voices.get(vid)
    if voice is None:
        voice = voices[vid] = Voice(vid)
    match = _VOICE_NAME.search(data)
    if match:
        voice.name = match.group(1) if match.group(1) is not None else match.group(2)
    state["current"] = vid
    return voice


def _directive(line: str, voices: dict[str, Voice], state: dict, defaults: Voice) -> None:
    """``%%MIDI program [channel] N`` and ``%%MIDI channel N`` for the current voice."""
    match = _MIDI.match(line.strip())
    if not match:
        return
    numbers = [int(n) for n in match.group(2).split()]
    target = voices.get(state["current"]) if state["current"] is not None else defaults
    target = target or defaults
    if match.group(1).lower() == "program" and numbers and 0 <= numbers[-1] <= 127:
        target.program = numbers[-1]
    elif match.group(1).lower() == "channel" and numbers:
        target.drum = numbers[0] == 10


def _body_line(line: str, voices: dict[str, Voice], state: dict, defaults: Voice) -> None:
    if line.startswith("%"):
        _directive(line, voices, state, defaults)
        return
    if line.startswith("V:"):
        _switch_voice(line[2:], voices, state)
        return
    if not line.strip():
        return
    if line.startswith("M:"):
        state["meter"] = line[2:].strip()
    elif line.startswith("L:"):
        state["unit"] = line[2:].strip()
    if state["current"] is None:
        first = next(iter(voices.values()), None)
        state["current"] = first.vid if first is not None else "1"
        if first is None:
            voices["1"] = Voice("1")
    voices[state["current"]].lines.append(line)


def _split_inline(line: str, state: dict) -> list[str]:
    """A body line as field lines and music lines, inline fields taken out."""
    if _FIELD_LINE.match(line) and not looks_like_music(line) or line.startswith("%"):
        return [line]
    line = strip_comment(line).rstrip("\\ ")
    pieces: list[str] = []
    pos = 0
    for match in _INLINE_FIELD.finditer(line):
        pieces.append(_music(line[pos:match.start()], state))
        pieces.append(f"{match.group(1)}:{match.group(2).strip()}")
        if match.group(1) in "ML":
            state["meter" if match.group(1) == "M" else "unit"] = match.group(2).strip()
        pos = match.end()
    pieces.append(_music(line[pos:], state))
    return [p for p in pieces if p.strip()]


def _music(text: str, state: dict) -> str:
    """Rewrite what music21 misreads: ``+deco+``, decoration letters, ``x``/``Z`` rests, ``:|:``."""
    out = []
    for index, segment in enumerate(_PROTECTED.split(text)):
        if index % 2 == 1:
            out.append("!" + segment[1:-1] + "!" if segment.startswith("+") else segment)
            continue
        if _TOO_LOW.search(segment):
            raise ValueError("notes below C0 (MIDI pitch 12) cannot be read")
        segment = segment.replace(":|:", "::").replace("x", "z")
        segment = _NOT_MUSIC.sub("", segment)  # decoration shortcuts (H T u ~...), spacers, junk
        segment = re.sub(r"Z(\d*)", lambda m: _bar_rests(int(m.group(1) or 1), state), segment)
        out.append(segment)
    return "".join(out)


def _bar_rests(count: int, state: dict) -> str:
    meter = read_meter(state["meter"])
    unit = read_unit(state["unit"]) or default_unit(meter)
    units = bar_units(meter or (1, 1), unit)
    length = str(units.numerator) + (f"/{units.denominator}" if units.denominator != 1 else "")
    return " | ".join([f"z{length}"] * min(count, 1000))
