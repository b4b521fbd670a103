"""Syntax highlighting for ABC notation, in colours that read on the dark theme.

Each line is classified the way ``app.core.abc.read`` reads it: ``%`` comments and
``%%`` directives, information fields (``X: T: M: L: Q: K: V: w:``...), and
music lines, where notes, accidentals, rests, lengths, bar lines and repeats,
chord symbols (``"Am7"``), chords (``[CEG]``), decorations (``!trill!``,
``~``, ``H``, ``.``), inline fields (``[K:G]``), tuplets, slurs, ties and
grace notes each get a format. A block state remembers whether a line is
outside a tune (free text), in a tune's header or in its body; a blank line
after ``K:`` ends the tune, as it does for the reader.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from app.core.abc.tunes import comment_start, looks_like_music

OUTSIDE, HEADER, BODY = 0, 1, 2

# name: (colour, bold, italic)
STYLES: dict[str, tuple[str, bool, bool]] = {
    "field": ("#c792ea", True, False),
    "field_value": ("#e6c07b", False, False),
    "inline_field": ("#c792ea", False, False),
    "lyrics": ("#b8c0cc", False, True),
    "comment": ("#6a737d", False, True),
    "directive": ("#56b6c2", False, True),
    "note": ("#82aaff", False, False),
    "accidental": ("#89ddff", True, False),
    "length": ("#a6accd", False, False),
    "rest": ("#7f848e", False, False),
    "bar": ("#f2a63b", True, False),
    "chord_symbol": ("#c3e88d", False, False),
    "chord": ("#ffcb6b", True, False),
    "decoration": ("#f07178", False, False),
    "phrase": ("#b2ccd6", False, False),  # tuplets, slurs, ties, broken rhythm
    "grace": ("#ff9cac", False, False),
}

_FIELD = re.compile(r"^([A-Za-z+]):")
_MUSIC = re.compile(r"""
    (?P<chord_symbol>"[^"]*"?)
  | (?P<decoration>![^!]*!?|\+[^+\s]*\+)
  | (?P<inline_field>\[[A-Za-z]:[^\]]*\]?)
  | (?P<bar>\[\|:*|:*\|[|\]]?:*(?:\d+(?:[,-]\d+)*)?|::+|\[\d+(?:[,-]\d+)*)
  | (?P<chord>[\[\]])
  | (?P<accidental>\^{1,2}|_{1,2}|=)(?=[A-Ga-g])
  | (?P<note>[A-Ga-g][,']*)
  | (?P<rest>[zxZ])
  | (?P<length>\d*/+\d*|\d+)
  | (?P<decoration_short>[~.H-Wh-w])
  | (?P<phrase>\(\d(?::\d*)*|[()\-<>])
  | (?P<grace>[{}])
""", re.VERBOSE)


def make_format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class AbcHighlighter(QSyntaxHighlighter):
    """Colours ABC text; ``formats`` maps each style name (see :data:`STYLES`) to its format."""

    def __init__(self, document: QTextDocument) -> None:
        self.formats = {name: make_format(*style) for name, style in STYLES.items()}
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        previous = self.previousBlockState()
        state = previous if previous in (OUTSIDE, HEADER, BODY) else OUTSIDE
        self.setCurrentBlockState(self._highlight_line(text, state))

    def _highlight_line(self, text: str, state: int) -> int:
        """Format one line; return the state for the next."""
        if not text.strip():
            return OUTSIDE if state == BODY else state
        if text.startswith("%"):
            self.setFormat(0, len(text), self.formats["directive" if text.startswith("%%") else "comment"])
            return state
        field = _FIELD.match(text)
        if field and not looks_like_music(text):
            self._highlight_field(text, field.group(1))
            if field.group(1) == "X":
                return HEADER
            return BODY if field.group(1) == "K" else state
        if state == OUTSIDE:
            return state  # free text between tunes
        self._highlight_music(text)
        return BODY

    def _highlight_field(self, text: str, letter: str) -> None:
        end = comment_start(text)
        end = len(text) if end < 0 else end
        self.setFormat(0, 2, self.formats["field"])
        value = "lyrics" if letter in "wW" else "field_value"
        self.setFormat(2, end - 2, self.formats[value])
        if end < len(text):
            self.setFormat(end, len(text) - end, self.formats["comment"])

    def _highlight_music(self, text: str) -> None:
        end = comment_start(text)
        music = text if end < 0 else text[:end]
        for match in _MUSIC.finditer(music):
            kind = match.lastgroup
            if kind == "decoration_short":
                kind = "decoration"
            self.setFormat(match.start(), match.end() - match.start(), self.formats[kind])
        if end >= 0:
            self.setFormat(end, len(text) - end, self.formats["comment"])
