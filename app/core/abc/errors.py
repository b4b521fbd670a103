"""Find where ABC text goes wrong: a line, a column and one sentence.

The ABC editor shows a parse error at its place in the text. music21, under
``read.py``, forgives a lot (an unclosed ``"`` or ``!``, a stray ``]``) and
names only a line when it does fail, so :func:`find_abc_problem` first checks
the tune itself, line by line: unknown header fields, ``M: L: Q: K: X: m:``
values it cannot read, unclosed chord symbols, decorations, chords, inline
fields and grace notes, ``]`` or ``}`` that close nothing, an accidental
without a note, and note lengths of zero or divided by zero. It accepts what
the reader reads (``header.py``): ``M:2``, ``M:(2+3)/8``, ``M:2/4 3/4``,
``Q:1/4=ca. 80``, ``K:bass``, ``K:HP``; lines of ``%%begin...`` blocks are
not ABC and are not checked.

:func:`check_and_read_abc` is what the editor runs in a worker: the check,
then :func:`app.core.abc.read.read_abc_text` in a child process under the parse
time limit (``limits.py``) and the score limits, every failure returned as an
:class:`AbcProblem` rather than raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core.abc.header import MODE_ABBREVIATIONS, is_clef, read_meter, read_tempo
from app.core.abc.macros import read_macro
from app.core.abc.read import read_abc_text
from app.core.abc.tunes import in_blocks, looks_like_music, split_tunes, strip_comment, tune_spans
from app.core.errors import FileFormatError
from app.core.formats import READER_MODULES
from app.core.limits import PARSE_TIME_LIMIT_S, call_with_time_limit, check_score
from app.core.score import DEFAULT_PPQ, Score

FIELD_LETTERS = frozenset("ABCDFGHIKLMNOPQRSTUVWXZdmrsw+")  # ABC 2.1 information fields
_FIELD = re.compile(r"^([A-Za-z+]):(.*)$")
_INLINE = re.compile(r"\[([A-Za-z]):([^\]]*)(\]?)")
_NOTE = re.compile(r"(\^{1,2}|_{1,2}|=)?([A-Ga-gzxZ])([,']*)")
_LENGTH = re.compile(r"(\d*)(/*)(\d*)")
_METER_ZERO = re.compile(r".*/\s*0+\s*$")
_UNIT = re.compile(r"\s*\d+(?:/(\d+))?\s*")
_KEY = re.compile(r"\s*([A-G])([#b]?)(\s*)([A-Za-z]*)(=?)")
_MODES = (*MODE_ABBREVIATIONS, "exp")  # and "m"; "exp" is ABC 2.1's explicit key signature
_MIDI = re.compile(r"^\s*%%MIDI\s+(program|channel)\b", re.IGNORECASE)
_DOC_NAME = "the ABC text"


@dataclass(frozen=True)
class AbcProblem:
    """Where ABC text goes wrong: ``line`` and ``column`` count from 1; ``length`` characters to mark."""

    line: int
    column: int
    message: str
    length: int = 1

    def __str__(self) -> str:
        return f"Line {self.line}, column {self.column}: {self.message}"


@dataclass
class AbcReading:
    """The result of :func:`check_and_read_abc`: a score, or the problem, plus the tunes found."""

    score: Score | None
    problem: AbcProblem | None
    tunes: list[tuple[int, str]] = field(default_factory=list)  # (X: number, title)
    tune_index: int = 0  # the tune read (position in ``tunes``)
    says_programs: bool = False  # the tune has %%MIDI program/channel lines


class _Found(Exception):
    def __init__(self, column: int, message: str, length: int = 1) -> None:
        super().__init__(message)
        self.column, self.message, self.length = column, message, length


def find_abc_problem(lines: list[str], first: int = 1, last: int | None = None) -> AbcProblem | None:
    """The first problem in lines ``first``..``last`` (counted from 1) of ABC text, or None."""
    last = len(lines) if last is None else min(last, len(lines))
    blocks = in_blocks(lines[:last])
    for number in range(max(1, first), last + 1):
        if blocks[number - 1]:
            continue
        try:
            check_line(lines[number - 1])
        except _Found as found:
            return AbcProblem(number, found.column + 1, found.message, max(1, found.length))
    return None


def check_line(line: str) -> None:
    """Raise ``_Found`` (0-based column) for the first problem of one line of a tune."""
    if line.startswith("%") or not line.strip():
        return
    match = _FIELD.match(line)
    if match and not looks_like_music(line):
        _check_field(match.group(1), match.group(2), 2)
        return
    _check_music(strip_comment(line))


def _check_field(letter: str, value: str, offset: int) -> None:
    """A header or inline field whose value starts at column ``offset``."""
    if letter not in FIELD_LETTERS:
        raise _Found(offset - 2, f"'{letter}:' is not an ABC field", 2)
    width = max(1, len(value.rstrip()))
    if letter == "M":
        text = strip_comment(value).strip()
        if _METER_ZERO.match(text):
            raise _Found(offset, "the meter (M:) divides by zero", width)
        if read_meter(text) is None and text.lower() not in ("none", ""):
            raise _Found(offset, "the meter (M:) should read like 4/4, 6/8, C or C|", width)
    elif letter == "L":
        match = _UNIT.fullmatch(value)
        if not match:
            raise _Found(offset, "the unit note length (L:) should read like 1/8", width)
        if match.group(1) is not None and int(match.group(1)) == 0:
            raise _Found(offset, "the unit note length (L:) divides by zero", width)
    elif letter == "Q" and not _reads_tempo(value):
        raise _Found(offset, "the tempo (Q:) should read like 1/4=120", width)
    elif letter == "m" and read_macro(strip_comment(value)) is None:
        raise _Found(offset, "the macro (m:) should read like m: ~G3 = G{A}G{F}G", width)
    elif letter == "K":
        _check_key(value, offset)
    elif letter == "X" and not re.fullmatch(r"\s*\d*\s*", value):
        raise _Found(offset, "the tune number (X:) should be a whole number", width)


def _reads_tempo(value: str) -> bool:
    try:
        read_tempo(value)
    except ValueError:
        return False
    return True


def _check_key(value: str, offset: int) -> None:
    text = value.split("%")[0]
    stripped = text.strip()
    if not stripped or re.match(r"(none|perc|HP|Hp)\b|[a-z]+\s*=", stripped) or is_clef(stripped.split()[0]):
        return
    match = _KEY.match(text)
    width = max(1, len(text.rstrip()) - (len(text) - len(text.lstrip())))
    start = offset + len(text) - len(text.lstrip())
    if not match:
        raise _Found(start, "the key (K:) should read like G, Em, Bb or D dorian", width)
    word, is_option = match.group(4), match.group(5)
    if word and not is_option and word.lower() != "m" and not word.lower().startswith(_MODES):
        raise _Found(offset + match.start(4), f"'{word}' is not a mode (maj, m, dor, mix, lyd, phr, loc...)",
                     len(word))


def _closing(line: str, i: int, mark: str, what: str) -> int:
    """Index just past the ``mark`` that closes the one at ``i``."""
    end = line.find(mark, i + 1)
    if end < 0:
        raise _Found(i, f"this {what} has no closing {mark}", len(line.rstrip()) - i)
    return end + 1


def _check_music(line: str) -> None:
    """Scan a music line: quotes, decorations, chords, inline fields, graces, notes and lengths."""
    chord, grace = None, None
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            i = _closing(line, i, '"', "chord symbol or annotation")
        elif ch in "!+":
            i = _closing(line, i, ch, "decoration")
        elif ch == "[":
            i, chord = _open_bracket(line, i, chord)
        elif ch == "]":
            if chord is not None:
                chord = None
                i = _check_length(line, i + 1)
            elif line[:i].rstrip().endswith("|"):
                i += 1
            else:
                raise _Found(i, "this ] closes no chord")
        elif ch in "{}":
            if (ch == "{") == (grace is not None):
                raise _Found(i, "grace notes cannot be nested" if ch == "{" else "this } closes no grace notes")
            grace = i if ch == "{" else None
            i += 1
        elif ch in "^_=ABCDEFGabcdefgzxZ":
            i = _check_note(line, i)
        else:
            i += 1
    if chord is not None:
        raise _Found(chord, "this chord [ has no closing ]", len(line.rstrip()) - chord)
    if grace is not None:
        raise _Found(grace, "these grace notes { have no closing }", len(line.rstrip()) - grace)


def _open_bracket(line: str, i: int, chord: int | None) -> tuple[int, int | None]:
    """``[K:G]``, ``[|``, ``[1`` or the start of a chord; returns the next index and the open chord."""
    inline = _INLINE.match(line, i)
    if inline:
        if not inline.group(3):
            raise _Found(i, "this inline field has no closing ]", len(line.rstrip()) - i)
        _check_field(inline.group(1), inline.group(2), inline.start(2))
        return inline.end(), chord
    following = line[i + 1: i + 2]
    if following == "|" or following.isdigit():
        return i + 2, chord
    if chord is not None:
        raise _Found(i, "a chord cannot start inside another chord")
    return i + 1, i


def _check_note(line: str, i: int) -> int:
    note = _NOTE.match(line, i)
    if note is None:
        raise _Found(i, "an accidental must be followed by a note (A-G or a-g)")
    return _check_length(line, note.end())


def _check_length(line: str, i: int) -> int:
    """The index after the length at ``i`` (``2``, ``/``, ``3/2``...), checked."""
    length = _LENGTH.match(line, i)
    numerator, slashes, denominator = length.groups()
    if numerator and int(numerator) == 0:
        raise _Found(length.start(1), "a note length cannot be zero", len(numerator))
    if slashes and denominator and int(denominator) == 0:
        raise _Found(length.start(3), "a note length cannot be divided by zero", len(denominator))
    return length.end()


def problem_from_message(lines: list[str], message: str, first: int) -> AbcProblem:
    """An AbcProblem for a reader's message: at its ``line N:`` if named, else at the tune."""
    match = re.match(r"line (\d+): (.*)$", message, re.DOTALL)
    if match and 1 <= int(match.group(1)) <= len(lines):
        number = int(match.group(1))
        text = lines[number - 1]
        indent = len(text) - len(text.lstrip())
        return AbcProblem(number, indent + 1, match.group(2), max(1, len(text.strip())))
    text = lines[first - 1] if 1 <= first <= len(lines) else ""
    return AbcProblem(first, 1, message, max(1, len(text)))


def isolate_tune(lines: list[str], first: int, last: int, header: frozenset[int] = frozenset()) -> str:
    """The text with every line outside ``first``..``last`` blanked (line numbers kept), but the file
    header's lines ``header``, which apply to every tune."""
    return "\n".join(line if first <= n <= last or n in header else ""
                     for n, line in enumerate(lines, start=1)) + "\n"


def check_and_read_abc(text: str, tune_index: int = 0, ppq: int = DEFAULT_PPQ,
                       time_limit: float = PARSE_TIME_LIMIT_S) -> AbcReading:
    """Check and read the tune at position ``tune_index`` of ``text`` (bounded in time and size)."""
    spans = tune_spans(text)
    tunes = [(number, title) for number, title, _, _ in spans]
    if not spans:
        return AbcReading(None, AbcProblem(1, 1, "there is no tune here yet: write a K: line and some notes"))
    index = max(0, min(tune_index, len(spans) - 1))
    _, _, first, last = spans[index]
    lines = text.splitlines()
    header = frozenset(number for number, _ in split_tunes(text)[index].header)
    problem = find_abc_problem(lines, first, last)
    if problem is None:
        try:
            tune_text = isolate_tune(lines, first, last, header)
            score = call_with_time_limit(read_abc_text, (tune_text, None, _DOC_NAME, ppq), Path(_DOC_NAME), time_limit,
                                         modules=READER_MODULES["abc"])
            check_score(score, Path(_DOC_NAME))
            programs = any(_MIDI.match(line) for line in lines[first - 1: last])
            return AbcReading(score, None, tunes, index, programs)
        except FileFormatError as exc:
            problem = problem_from_message(lines, exc.problem, first)
    return AbcReading(None, problem, tunes, index)
