"""ABC 2.1 macros (``m:`` fields, section 4.16), expanded in the music before it is read.

A static macro replaces its name wherever it is written: with
``m: ~G3 = G{A}G{F}G`` every ``~G3`` plays ``G{A}G{F}G``. A transposing macro
names a note with a letter from ``h`` to ``z`` (``m: ~n2 = (3o/n/m/ n``): it
matches that spot filled with any note (``~A2``, ``~c'2``, ``~^F2``), and in
the replacement each letter from ``h`` to ``z`` is a note that many steps of
the scale from the one matched (``o`` the step above ``n``, ``m`` the step
below), octave marks included. An accidental on the matched note is kept on
its own notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DEFINITION = re.compile(r"^\s*(\S+)\s*=\s*(.*?)\s*$")
_LETTERS = "CDEFGAB"
_NOTE = r"(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<oct>[,']*)"
_PLACEHOLDER = re.compile(r'"[^"]*"|![^!]*!|[h-z]')


@dataclass(frozen=True)
class Macro:
    name: str
    replacement: str
    pattern: re.Pattern | None = None  # set for transposing macros
    variable: str = ""

    def apply(self, text: str) -> str:
        if self.pattern is None:
            return text.replace(self.name, self.replacement)
        return self.pattern.sub(self._transposed, text)

    def _transposed(self, match: re.Match) -> str:
        letter, marks = match["letter"], match["oct"]
        step = _LETTERS.index(letter.upper()) + 7 * ((1 if letter.islower() else 0)
                                                      + marks.count("'") - marks.count(","))
        accidental = match["acc"] or ""

        def note(found: re.Match) -> str:
            nonlocal accidental
            text = found.group()
            if len(text) != 1:  # a chord symbol or decoration: as written
                return text
            offset = ord(text) - ord(self.variable)
            mark, accidental = (accidental, "") if offset == 0 else ("", accidental)
            return mark + _spell(step + offset)

        return _PLACEHOLDER.sub(note, self.replacement)


def read_macro(value: str) -> Macro | None:
    """The macro an ``m:`` field defines (``~G3 = G{A}G{F}G``), or None if it defines none."""
    match = _DEFINITION.match(value)
    if not match or not match[2]:
        return None
    name, replacement = match[1], match[2]
    variables = [c for c in name if "h" <= c <= "z"]
    if not variables:
        return Macro(name, replacement)
    variable = variables[0]
    before, _, after = name.partition(variable)
    pattern = re.compile(re.escape(before) + _NOTE + re.escape(after))
    return Macro(name, replacement, pattern, variable)


def expand_macros(text: str, macros: list[Macro]) -> str:
    """``text`` with every macro applied, in the order they were defined."""
    for macro in macros:
        text = macro.apply(text)
    return text


def _spell(step: int) -> str:
    """A diatonic step (0 = middle C) as an ABC note: ``C``, ``c``, ``c'``, ``C,``."""
    octave, index = divmod(step, 7)
    letter = _LETTERS[index]
    if octave >= 1:
        return letter.lower() + "'" * (octave - 1)
    return letter + "," * (-octave)
