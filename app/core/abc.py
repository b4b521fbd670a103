"""ABC notation <-> Score.

Reading goes through music21's ABC tokenizer (see ``abc_m21.py`` for what is
added to its translator) and ``music21_bridge.stream_to_score``: header fields
(``T: M: L: Q: K:``), chords, ties, tuplets, grace notes, repeats and 1st/2nd
endings (expanded), and several voices (``V:``, one Track each) are read. The
text is prepared first: a file may hold many tunes (one is picked by its
``X:`` number; a tune ends at the next ``X:`` or at a blank line after its
``K:``; fields of the file header before the first ``X:`` are not applied),
inline fields (``[M:3/4]``, ``[K:G]``, ``[V:2]``) become field lines,
``+deco+`` becomes ``!deco!``, decoration letters (``T``, ``H``, ``u``, ``~``...)
are dropped, invisible rests ``x`` and bar rests ``Z`` become ``z``, and
``%%MIDI program``/``%%MIDI channel`` lines give each voice its General MIDI
program and drum flag (channel 10). An accidental holds until the bar line
(ABC 2.1), which music21 alone does not do; see ``abc_m21.py``.

Every failure is a :class:`FileFormatError` with one sentence, naming the
line where the parser stopped when it can be found. Writing lives in
``abc_write.py`` (:func:`write_abc`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from app.core.abc_write import write_abc
from app.core.errors import FileFormatError
from app.core.score import DEFAULT_PPQ, Score

__all__ = ["read_abc", "read_abc_text", "list_tunes", "tune_spans", "write_abc"]

_X_LINE = re.compile(r"^\s*X:\s*(\d*)")
_FIELD_LINE = re.compile(r"^([A-Za-z]):(.*)$")
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
_PROTECTED = re.compile(r'("[^"]*"|![^!]*!|\+[^+\s]*\+)')
_MIDI = re.compile(r"^%%MIDI\s+(program|channel)\s+([\d\s]+)", re.IGNORECASE)
_TOO_LOW = re.compile(r"[A-G],{5,}|[a-g],{6,}")  # music21 misreads octave -1
_NOT_MUSIC = re.compile(r"[H-Yh-wy~]|[^\x00-\x7f]")
_VOICE_NAME = re.compile(r'\b(?:name|nm)\s*=\s*(?:"([^"]*)"|(\S+))')

Line = tuple[int, str]  # (line number in the file, text)


@dataclass
class _Tune:
    number: int
    title: str
    lines: list[Line]


@dataclass
class _Voice:
    vid: str
    name: str = ""
    program: int | None = None
    drum: bool | None = None
    lines: list[str] = field(default_factory=list)


def list_tunes(path: str | Path) -> list[tuple[int, str]]:
    """``(X: number, title)`` of every tune in an ABC file, in file order."""
    return [(t.number, t.title) for t in _split_tunes(_read_text(path))]


def tune_spans(text: str) -> list[tuple[int, str, int, int]]:
    """``(X: number, title, first line, last line)`` of every tune in ABC ``text`` (lines from 1)."""
    return [(t.number, t.title, t.lines[0][0], t.lines[-1][0]) for t in _split_tunes(text)]


def read_abc(path: str | Path, tune: int | None = None, ppq: int = DEFAULT_PPQ) -> Score:
    """Read the tune numbered ``tune`` (default: the first) of an ABC file."""
    return read_abc_text(_read_text(path), tune=tune, name=str(path), ppq=ppq)


def read_abc_text(text: str, tune: int | None = None, name: str = "<text>",
                  ppq: int = DEFAULT_PPQ) -> Score:
    """Read ABC from a string; errors name ``name`` as the file."""
    tunes = _split_tunes(text)
    if not tunes:
        raise FileFormatError(name, "it holds no ABC tune")
    chosen = tunes[0] if tune is None else next((t for t in tunes if t.number == tune), None)
    if chosen is None:
        raise FileFormatError(name, f"there is no tune with X: {tune}")
    try:
        score = _build(chosen.lines, ppq)
    except FileFormatError:
        raise
    except Exception as exc:  # music21 raises many kinds; all become one sentence
        raise FileFormatError(name, _locate(chosen.lines, exc, ppq)) from None
    if score.note_count == 0:
        raise FileFormatError(name, "no notes found" + (f" in tune X: {chosen.number}" if len(tunes) > 1 else ""))
    return score


def _read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FileFormatError(path, exc.strerror or str(exc)) from None
    if b"\x00" in data[:4096]:
        raise FileFormatError(path, "it is a binary file, not ABC text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.lstrip("\ufeff")


def _split_tunes(text: str) -> list[_Tune]:
    """Tunes start at ``X:`` lines and end at the next one or at a blank line after ``K:``."""
    lines = list(enumerate(text.splitlines(), start=1))
    starts = [i for i, (_, line) in enumerate(lines) if _X_LINE.match(line)]
    if not starts:
        chunks = [lines] if any(line.strip() for _, line in lines) else []
    else:
        chunks = [lines[s:e] for s, e in zip(starts, starts[1:] + [len(lines)])]
    tunes = []
    for index, chunk in enumerate(chunks):
        chunk = _until_blank(chunk)
        match = _X_LINE.match(chunk[0][1])
        number = int(match.group(1)) if match and match.group(1) else index + 1
        title = next((line[2:].strip() for _, line in chunk if line.startswith("T:")), "")
        tunes.append(_Tune(number, title, chunk))
    return tunes


def _until_blank(chunk: list[Line]) -> list[Line]:
    seen_key = False
    for i, (_, line) in enumerate(chunk):
        if seen_key and not line.strip():
            return chunk[:i]
        seen_key = seen_key or line.startswith("K:")
    return chunk


def _build(lines: list[Line], ppq: int) -> Score:
    """Prepare the tune's text, make one music21 Part per voice, and read them.

    music21 is imported here, not at module level: the editor imports this
    module for ``write_abc`` and ``tune_spans`` and must start without it.
    """
    from app.core.music21_bridge import quiet_music21

    with quiet_music21():
        return _build_loudly(lines, ppq)


def _build_loudly(lines: list[Line], ppq: int) -> Score:
    from music21 import metadata, stream

    from app.core.abc_m21 import voice_part
    from app.core.music21_bridge import stream_to_score

    header, voices = _prepare([text for _, text in lines])
    result = stream.Score()
    title = next((line[2:].strip() for line in header if line.startswith("T:")), "")
    result.insert(0, metadata.Metadata(title=title))
    if not voices:
        voice_part("\n".join(header) + "\n")  # still check the header fields
    named = len(voices) > 1
    for voice in voices:
        part = voice_part("\n".join(header + voice.lines) + "\n")
        part.partName = voice.name or (voice.vid if named else "") or None
        _add_instrument(part, voice)
        result.insert(0, part)
    return stream_to_score(result, ppq=ppq)


def _add_instrument(part, voice: _Voice) -> None:
    from music21 import instrument, stream

    inst = instrument.Instrument()
    inst.midiProgram = voice.program or 0
    if voice.drum:
        inst.midiChannel = 9
    first = part.getElementsByClass(stream.Measure).first()
    (first or part).insert(0, inst)


def _prepare(lines: list[str]) -> tuple[list[str], list[_Voice]]:
    """Split a tune into header field lines and the music lines of each voice."""
    header: list[str] = []
    voices: dict[str, _Voice] = {}
    defaults = _Voice("")
    state = {"current": None, "meter": None, "unit": None}
    body_started = False
    for raw in lines:
        line = raw.rstrip()
        if not body_started:
            if line.startswith("%") or not line.strip():
                _directive(line, voices, state, defaults)
                continue
            if _FIELD_LINE.match(line) and not _looks_like_music(line):
                _header_field(line, header, voices, state)
                body_started = line.startswith("K:")
                continue
            body_started = True
        for piece in _split_inline(line, state):
            _body_line(piece, voices, state, defaults)
    if not any(line.startswith("L:") for line in header):
        meter = next((line[2:] for line in header if line.startswith("M:")), None)
        header.insert(1 if header and header[0].startswith("X:") else 0, f"L:{_default_unit(meter)}")
    for voice in voices.values():
        voice.program = defaults.program if voice.program is None else voice.program
        voice.drum = defaults.drum if voice.drum is None else voice.drum
    return header, [v for v in voices.values() if v.lines]


def _looks_like_music(line: str) -> bool:
    """``A:`` is a field, but ``|A:B`` or ``C:|`` would be music."""
    return "|" in line and line[0] in "ABCDEFGabcdefg" and line[1:2] == ":" and ":|" in line


def _header_field(line: str, header: list[str], voices: dict[str, _Voice], state: dict) -> None:
    letter = line[0]
    if letter == "V":
        _switch_voice(line[2:], voices, state)
        return
    if letter == "M":
        state["meter"] = line[2:].strip()
    elif letter == "L":
        state["unit"] = line[2:].strip()
    header.append(line)


def _switch_voice(data: str, voices: dict[str, _Voice], state: dict) -> _Voice:
    words = data.split()
    vid = words[0] if words else "1"
    voice = voices.get(vid)
    if voice is None:
        voice = voices[vid] = _Voice(vid)
    match = _VOICE_NAME.search(data)
    if match:
        voice.name = match.group(1) if match.group(1) is not None else match.group(2)
    state["current"] = vid
    return voice


def _directive(line: str, voices: dict[str, _Voice], state: dict, defaults: _Voice) -> None:
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


def _body_line(line: str, voices: dict[str, _Voice], state: dict, defaults: _Voice) -> None:
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
            voices["1"] = _Voice("1")
    voices[state["current"]].lines.append(line)


def _split_inline(line: str, state: dict) -> list[str]:
    """A body line as field lines and music lines, inline fields taken out."""
    if _FIELD_LINE.match(line) and not _looks_like_music(line) or line.startswith("%"):
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


def strip_comment(line: str) -> str:
    """``line`` without its % comment (a % inside a quoted string or escaped as \\% stays)."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "%" and not in_quote and (i == 0 or line[i - 1] != "\\"):
            return line[:i]
    return line


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


def _fraction(text: str | None) -> Fraction | None:
    text = (text or "").strip()
    if text in ("C", "C|"):  # common and cut time
        return Fraction(1)
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", text)
    if not match or int(match.group(2)) == 0:
        return None
    return Fraction(int(match.group(1)), int(match.group(2)))


def _default_unit(meter_text: str | None) -> str:
    """ABC's default ``L:``: 1/16 under a meter below 3/4, else 1/8."""
    meter = _fraction(meter_text)
    return "1/16" if meter is not None and meter < Fraction(3, 4) else "1/8"


def _bar_rests(count: int, state: dict) -> str:
    meter = _fraction(state["meter"]) or Fraction(1)
    unit = _fraction(state["unit"]) or Fraction(_default_unit(state["meter"]))
    units = meter / unit
    length = str(units.numerator) + (f"/{units.denominator}" if units.denominator != 1 else "")
    return " | ".join([f"z{length}"] * min(count, 1000))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "a note length or an L: or M: field divides by zero"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def _locate(lines: list[Line], exc: Exception, ppq: int) -> str:
    """The problem, prefixed with the first line at which parsing fails (bisected)."""
    def fails(count: int) -> bool:
        try:
            _build(lines[:count], ppq)
        except Exception:
            return True
        return False

    low, high = 0, len(lines)
    while high - low > 1:
        middle = (low + high) // 2
        if fails(middle):
            high = middle
        else:
            low = middle
    return f"line {lines[high - 1][0]}: {_describe(exc)}" if lines else _describe(exc)
