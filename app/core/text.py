"""Names and titles made safe for the file format they leave Cadenza in.

A Score may hold any Python string as its title or a track name: MIDI track
names from other programs often end in NUL or hold other control characters,
and a project file may carry anything JSON can. Each writer passes every text
it writes through the function for its format, so that every file Cadenza
writes is one it (and other programs) can read back:

* :func:`plain_line` — one line of printable text: control characters
  (NUL included), lone surrogates and the noncharacters U+FFFE/U+FFFF are
  removed; line breaks, tabs and other runs of white space become one space;
  the ends are trimmed. Every format's text starts from this.
* :func:`midi_text` / :func:`from_midi_text` — MIDI text meta events are bytes.
  Cadenza writes UTF-8 and reads UTF-8, falling back to Latin-1 (older files
  from Western tools), so a title such as "Nocturne — é 夜想曲" survives.
  mido itself encodes text as Latin-1 (a process-wide setting); these
  functions hand it strings whose Latin-1 bytes are the UTF-8 bytes.
* :func:`abc_text` — an ABC field value: one line, ``%`` (a comment in ABC)
  escaped as ``\\%``, as ABC 2.1 says.
* :func:`xml_text` — text MusicXML may hold (XML 1.0 has no control
  characters): the same as :func:`plain_line`.
"""

from __future__ import annotations

import re
import unicodedata

_DROPPED = {"Cc", "Cs"}  # controls (NUL, ESC...), lone surrogates
_NONCHARACTERS = {"\ufffe", "\uffff"}  # not allowed in XML
_SPACE = re.compile(r"\s+")


def plain_line(text: object) -> str:
    """``text`` as one clean line (see module doc); ``""`` for anything empty."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    kept = []
    for ch in text:
        if ch.isspace():  # tabs, line breaks, U+2028...: word breaks, kept as spaces
            kept.append(" ")
        elif unicodedata.category(ch) not in _DROPPED and ch not in _NONCHARACTERS:
            kept.append(ch)
    return _SPACE.sub(" ", "".join(kept)).strip()


def midi_text(text: object) -> str:
    """A clean line for a MIDI meta event, as mido's Latin-1 string of its UTF-8 bytes."""
    return plain_line(text).encode("utf-8").decode("latin-1")


def decode_midi_bytes(raw: str) -> str:
    """The text of a meta event mido read as Latin-1: UTF-8 when its bytes are UTF-8."""
    try:
        data = raw.encode("latin-1")
    except UnicodeEncodeError:  # mido was told another charset: take its text
        return raw
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def from_midi_text(raw: str) -> str:
    """A name read from a MIDI file (UTF-8, else Latin-1), as one clean line."""
    return plain_line(decode_midi_bytes(raw))


def abc_text(text: object) -> str:
    """A clean line for an ABC field (``T:``, a voice name): ``%`` written as ``\\%``."""
    return re.sub(r"(?<!\\)%", r"\\%", plain_line(text))


def xml_text(text: object) -> str:
    """A clean line for MusicXML (titles, part names)."""
    return plain_line(text)
