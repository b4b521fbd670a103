"""The tunes of an ABC file, and the line-level rules every ABC reader shares.

A file may hold many tunes: one starts at each ``X:`` line (its number; without
one, its place in the file) and ends at the next ``X:`` or at a blank line after
its ``K:`` (a blank line inside a ``%%begin...`` ``%%end...`` block, such as
``%%beginsvg``, does not end it). Without any ``X:`` line the whole text is one tune.
Fields and directives of the file header (before the first ``X:``, up to its first
empty line) apply to every tune: :attr:`Tune.text_lines`. Here are
:func:`list_tunes` and :func:`tune_spans` (number, title, lines),
:func:`split_tunes` (the tunes' numbered lines), :func:`read_text` (a file's
text, UTF-8 or Latin-1), :func:`comment_start`, :func:`strip_comment` and
:func:`looks_like_music` (``|A:B`` is music, not an ``A:`` field) and
:func:`in_blocks` (the lines of ``%%begin...`` blocks, which hold no music).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.core.abc.header import title_of
from app.core.errors import FileFormatError

_X_LINE = re.compile(r"^\s*X:\s*(\d*)")
_BLOCK_START = re.compile(r"^%%begin(\w*)", re.IGNORECASE)
_FIELD = re.compile(r"^[A-WYZa-wyz]:")  # any field but X:

Line = tuple[int, str]  # (line number in the file, text)


@dataclass
class Tune:
    number: int
    title: str
    lines: list[Line]
    header: list[Line] = field(default_factory=list)  # the file header's fields, which apply to every tune

    @property
    def text_lines(self) -> list[Line]:
        """The lines a reader reads: the file header's, then the tune's own (whose fields override them)."""
        return self.header + self.lines


def list_tunes(path: str | Path) -> list[tuple[int, str]]:
    """``(X: number, title)`` of every tune in an ABC file, in file order."""
    return [(t.number, t.title) for t in split_tunes(read_text(path))]


def tune_spans(text: str) -> list[tuple[int, str, int, int]]:
    """``(X: number, title, first line, last line)`` of every tune in ABC ``text`` (lines from 1)."""
    return [(t.number, t.title, t.lines[0][0], t.lines[-1][0]) for t in split_tunes(text)]


def read_text(path: str | Path) -> str:
    """The text of an ABC file (UTF-8, else Latin-1); FileFormatError if unreadable or binary."""
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


def split_tunes(text: str) -> list[Tune]:
    """Tunes start at ``X:`` lines and end at the next one or at a blank line after ``K:``."""
    lines = list(enumerate(text.splitlines(), start=1))
    starts = [i for i, (_, line) in enumerate(lines) if _X_LINE.match(line)]
    if not starts:
        chunks = [lines] if any(line.strip() for _, line in lines) else []
    else:
        chunks = [lines[s:e] for s, e in zip(starts, starts[1:] + [len(lines)])]
    header = file_header(lines[:starts[0]]) if starts else []
    tunes = []
    for index, chunk in enumerate(chunks):
        chunk = _until_blank(chunk)
        match = _X_LINE.match(chunk[0][1])
        number = int(match.group(1)) if match and match.group(1) else index + 1
        tunes.append(Tune(number, title_of(line for _, line in chunk), chunk, header))
    return tunes


def file_header(lines: list[Line]) -> list[Line]:
    """The file header among the lines before the first ``X:``: its fields and ``%%`` directives.

    ABC 2.1 (2.2.2): the header runs from the top of the file to the first empty
    line, and its fields (``M:``, ``L:``, ``%%MIDI``...) apply to every tune that
    does not set its own. Free text there is not part of it.
    """
    header, started = [], False
    for number, line in lines:
        if not line.strip():
            if started:
                break
            continue  # blank lines before the header
        started = True
        if line.startswith("%%") or (_FIELD.match(line) and not looks_like_music(line)):
            header.append((number, line))
    return header


def _until_blank(chunk: list[Line]) -> list[Line]:
    seen_key = False
    inside = in_blocks(line for _, line in chunk)
    for i, (_, line) in enumerate(chunk):
        if seen_key and not line.strip() and not inside[i]:
            return chunk[:i]
        seen_key = seen_key or line.startswith("K:")
    return chunk


def in_blocks(lines: Iterable[str]) -> list[bool]:
    """For each line: does it belong to a ``%%beginNAME`` ... ``%%endNAME`` block (both ends included)?

    Such blocks (``%%beginsvg``, ``%%begintext``, ``%%beginps``...) hold drawings
    or text for typesetters, never music. A block left open runs to the end.
    """
    marks: list[bool] = []
    name: str | None = None
    for line in lines:
        if name is None:
            match = _BLOCK_START.match(line.strip())
            if match:
                name = match.group(1).lower()
            marks.append(name is not None)
            continue
        marks.append(True)
        if line.strip().lower().startswith("%%end" + name):
            name = None
    return marks


def comment_start(line: str) -> int:
    """Index of the ``%`` that starts a comment (outside quotes, not ``\\%``), or -1."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "%" and not in_quote and (i == 0 or line[i - 1] != "\\"):
            return i
    return -1


def strip_comment(line: str) -> str:
    """``line`` without its % comment (a % inside a quoted string or escaped as \\% stays)."""
    start = comment_start(line)
    return line if start < 0 else line[:start]


def looks_like_music(line: str) -> bool:
    """``A:`` is a field, but ``|A:B`` or ``C:|`` would be music."""
    return "|" in line and line[0] in "ABCDEFGabcdefg" and line[1:2] == ":" and ":|" in line
