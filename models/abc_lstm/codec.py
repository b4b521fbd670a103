"""ABC text codec for the character-level LSTM: corpus clean-up, transposition, vocabulary.

Pure Python. Header rules (meters, ``L:`` and its default, ``K:`` values and key
signatures) are ABC's, from :mod:`app.core.abc.header`.

- :func:`normalize_tune` turns one corpus tune into the training form: the
  header lines ``X:1``, ``T:``, ``M:``, ``L:``, ``K:`` (in that order, ``M:`` and
  ``L:`` numeric, ``K:`` compact such as ``D``, ``Em``, ``Ador``), then the body
  with one line per original line. Chord symbols, decorations, grace notes,
  slurs (and ties between different notes, which are slurs), comments, lyrics
  and other fields are dropped; broken rhythm (``A>B``)
  is written out as lengths (``A3/2B/``); note lengths and octave marks get one
  spelling each (``A/`` not ``A/2``, ``C`` not ``c,``) and ``x`` rests become
  ``z``. Tunes outside the accepted syntax (chords ``[CEG]``, several voices,
  field changes inside the body, multi-bar rests, ...) give ``None``.
- :func:`transpose_tune` moves a normalized tune by a number of semitones and
  respells it: new key signature, note letters moved by the diatonic step
  between the tonics, explicit accidentals recomputed with the accidentals that
  run to the end of the bar (per letter and octave, as in ABC 2.1). A note has
  an explicit accidental in the result exactly when it had one before, so the
  result sounds the original shifted whichever way a reader carries accidentals.
- :class:`CharVocab` maps characters to ids; :data:`END` ends every training tune.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from functools import lru_cache
from itertools import takewhile
from typing import NamedTuple

from app.core.abc.header import (
    ABC_MODE, default_unit, format_meter, format_unit, key_from_abc, parse_meter, parse_unit,
)
from app.core.keys import LETTER_PC, LETTERS, MODES, key_alterations, parse_key, signature_fifths

from models.abc_lstm.grammar_header import is_valid_key

#: The end-of-tune character appended to every training tune.
from models.abc_lstm.vocab import END, CharVocab  # noqa: F401  (re-exported)
MIDI_RANGE = (21, 108)

_ACC_ALTER = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}
_ALTER_ACC = {v: k for k, v in _ACC_ALTER.items()}
_FIELD = re.compile(r"([A-Za-z+]):(.*)")
_REJECT_FIELDS = frozenset("KMLVm")
_LEN = r"\d*(?:/+\d*)?"
_TOKEN = re.compile(rf"""
    (?P<note>(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<oct>[,']*)(?P<len>{_LEN}))
  | (?P<rest>[zx](?P<rlen>{_LEN}))
  | (?P<tuplet>\([2-9](?![:\d]))
  | (?P<bar>(?::*\[?\|+\]?:*|::+)(?:\d+(?:[,-]\d+)*)?)
  | (?P<ending>\[\d+(?:[,-]\d+)*)
  | (?P<tie>-)
  | (?P<broken>>{{1,3}}|<{{1,3}})
  | (?P<space>\s+)
""", re.X)
_STRIP = (
    re.compile(r'"[^"]*"'),                    # chord symbols and annotations
    re.compile(r'![^!|\s"]{0,40}!'),           # decorations !trill!
    re.compile(r"\+[^+|\s\"]{1,40}\+"),        # old-style decorations +trill+
    re.compile(r"\{[^}]*\}"),                  # grace notes
    re.compile(r"\[[A-Za-z]:[^\]]*\]"),        # inline fields (K M L V are refused first)
    re.compile(r"[~.HKLMOPSTUkuvy`)]|\((?!\d)"),  # one-character decorations, spacers, slurs
)
_BAD_INLINE = re.compile(r"\[[KMLVm]:")


class _Note(NamedTuple):
    """A note (``step`` = 7 * octave + letter index, C4 = 28) or a rest (``step`` None)."""

    acc: str
    step: int | None
    length: Fraction


class Rejected(ValueError):
    """Why :func:`normalize_tune` refused a tune (see :func:`normalize_reason`)."""


# -- lengths and notes --------------------------------------------------------------------

@lru_cache(maxsize=512)
def _parse_length(text: str) -> Fraction:
    """``"3/2"`` -> 3/2, ``"//"`` -> 1/4 (units of ``L:``); raises Rejected."""
    num, slashes, den = re.fullmatch(r"(\d*)(/*)(\d*)", text).groups()
    if den and len(slashes) > 1:
        raise Rejected(f"odd length {text!r}")
    value = Fraction(int(num or 1), int(den) if den else 2 ** len(slashes))
    if value <= 0:
        raise Rejected(f"zero length {text!r}")
    return value


@lru_cache(maxsize=512)
def format_length(value: Fraction) -> str:
    """The one spelling of a length in units of ``L:``: 1 "", 2 "2", 1/2 "/", 3/4 "3/4"."""
    value = Fraction(value)
    if value.denominator == 1:
        return "" if value == 1 else str(value.numerator)
    if value == Fraction(1, 2):
        return "/"
    num = "" if value.numerator == 1 else str(value.numerator)
    return f"{num}/{value.denominator}"


@lru_cache(maxsize=512)
def _step_of(letter: str, marks: str) -> int:
    """Diatonic step of a letter with octave marks: ``C`` -> 28, ``c`` -> 35, ``C,`` -> 21."""
    octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
    return 7 * octave + LETTERS.index(letter.upper())


def _note_text(note: _Note) -> str:
    """The ABC of a note or rest, octave marks in their one spelling."""
    if note.step is None:
        return "z" + format_length(note.length)
    octave, index = divmod(note.step, 7)
    letter = LETTERS[index]
    pitch = letter.lower() + "'" * (octave - 5) if octave >= 5 else letter + "," * (4 - octave)
    return note.acc + pitch + format_length(note.length)


def _midi(step: int, alter: int) -> int:
    """MIDI pitch of a diatonic step raised by ``alter`` semitones."""
    octave, index = divmod(step, 7)
    return 12 * (octave + 1) + LETTER_PC[LETTERS[index]] + alter


# -- the body ------------------------------------------------------------------------------

def _tokenize(line: str) -> list:
    """Items of one body line: :class:`_Note` or ``(kind, text)``; raises Rejected."""
    items: list = []
    pos = 0
    while pos < len(line):
        match = _TOKEN.match(line, pos)
        if not match:
            what = "a chord" if line[pos] == "[" else f"{line[pos]!r}"
            raise Rejected(f"{what} at {line[pos:pos + 12]!r}")
        kind = match.lastgroup
        if kind == "note":
            items.append(_Note(match["acc"] or "", _step_of(match["letter"], match["oct"]),
                               _parse_length(match["len"])))
        elif kind == "rest":
            items.append(_Note("", None, _parse_length(match["rlen"])))
        else:
            items.append((kind, " " if kind == "space" else match.group()))
        pos = match.end()
    return _apply_broken(items)


def _neighbour(items: list, start: int, step: int, skip: tuple[str, ...]) -> int | None:
    """Index of the nearest note or rest from ``start`` on (by ``step``) over ``skip`` kinds."""
    i = start
    while 0 <= i < len(items) and not isinstance(items[i], _Note):
        if items[i][0] not in skip:
            return None
        i += step
    return i if 0 <= i < len(items) else None


def _apply_broken(items: list) -> list:
    """Write broken rhythm out: ``A>B`` -> ``A3/2 B/2`` (as lengths), ``A<<B`` likewise."""
    items = list(items)
    for i, item in enumerate(items):
        if isinstance(item, _Note) or item[0] != "broken":
            continue
        before = _neighbour(items, i - 1, -1, ("space", "tie"))
        after = _neighbour(items, i + 1, 1, ("space", "tie"))
        if before is None or after is None:
            raise Rejected("broken rhythm without a note on each side")
        short = Fraction(1, 2 ** len(item[1]))
        first, second = (2 - short, short) if item[1][0] == ">" else (short, 2 - short)
        items[before] = items[before]._replace(length=items[before].length * first)
        items[after] = items[after]._replace(length=items[after].length * second)
        items[i] = ("space", "")
    return items


def _drop_slur_ties(lines: list[list]) -> None:
    """Drop ties (in place) that do not join two notes of the same letter and octave."""
    spots = [(n, i) for n, line in enumerate(lines) for i in range(len(line))]
    items = [lines[n][i] for n, i in spots]
    for k, item in enumerate(items):
        if item == ("tie", "-"):
            before = _neighbour(items, k - 1, -1, ("space",))
            after = _neighbour(items, k + 1, 1, ("space", "bar"))
            if before is None or after is None or items[before].step is None \
                    or items[before].step != items[after].step:
                n, i = spots[k]
                lines[n][i] = ("space", "")


def _items_text(items: list) -> str:
    """The ABC of a line of items."""
    return "".join(_note_text(i) if isinstance(i, _Note) else i[1] for i in items).strip()


def _clean_line(line: str) -> str:
    """Strip comments, continuations and everything but notes, rests and bar lines."""
    line = line.split("%", 1)[0].rstrip()
    line = line[:-1] if line.endswith("\\") else line
    if _BAD_INLINE.search(line):
        raise Rejected("a field change inside the body")
    for pattern in _STRIP:
        line = pattern.sub("", line)
    return line.replace("\t", " ")


def _body_lines(lines: list[str]) -> list[str]:
    """The normalized body; raises Rejected."""
    parsed = []
    for line in lines:
        field = _FIELD.match(line.strip())
        if field:
            if field[1] in _REJECT_FIELDS:
                raise Rejected(f"field {field[1]}: inside the body")
            continue
        parsed.append(_tokenize(_clean_line(line)))
    _drop_slur_ties(parsed)
    out = [text for text in map(_items_text, parsed) if text]
    if not any(re.search(r"[A-Ga-g]", line) for line in out):
        raise Rejected("no notes")
    return out


# -- the header ------------------------------------------------------------------------------

def _split(text: str) -> tuple[dict[str, str], list[str]]:
    """First T M L K values of the header and the body lines up to the first blank line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
    fields: dict[str, str] = {}
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            return fields, []
        if line.startswith("%"):
            continue
        field = _FIELD.match(line)
        if not field:
            return fields, list(takewhile(str.strip, lines[i:]))
        if field[1] in "Vm":
            raise Rejected(f"header field {field[1]}:")
        fields.setdefault(field[1], field[2].split("%", 1)[0].strip())
        if field[1] == "K":
            return fields, list(takewhile(str.strip, lines[i + 1:]))
    return fields, []


def _title(value: str | None) -> str:
    """The title in printable ASCII, without quotes, ``!``, ``%`` or backslashes."""
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    text = re.sub(r'["!%\\]', "", text)
    return " ".join("".join(c for c in text if c.isprintable()).split()) or "Untitled"


def normalize_key(value: str | None) -> str:
    """A ``K:`` value in compact form (``"E minor"`` -> ``"Em"``); raises Rejected."""
    value = (value or "").strip() or "C"
    match = re.fullmatch(r"([A-Ga-g][#b]?)\s*([A-Za-z]*)", value)
    word = match[2].lower() if match else ""
    if not match or word and word != "m" and (
            len(word) < 3 or not any(w.startswith(word) for w in MODES)):
        raise Rejected(f"key {value!r}")
    tonic, mode = parse_key(key_from_abc(value))
    compact = tonic + ABC_MODE[mode]
    if not is_valid_key(compact):
        raise Rejected(f"key {value!r}")
    return compact


def _header(fields: dict[str, str]) -> list[str]:
    """The five header lines (ABC defaults for missing ``M:``, ``L:``, ``K:``)."""
    try:
        meter = parse_meter(fields.get("M") or "4/4")
        unit = parse_unit(fields["L"]) if fields.get("L") else default_unit(meter)
    except ValueError as exc:
        raise Rejected(str(exc)) from None
    return ["X:1", f"T:{_title(fields.get('T'))}", f"M:{format_meter(meter)}",
            f"L:{format_unit(unit)}", f"K:{normalize_key(fields.get('K'))}"]


def normalize_reason(text: str) -> tuple[str | None, str]:
    """``(tune, "ok")`` or ``(None, why)``: :func:`normalize_tune` with its reason."""
    try:
        if not text.lstrip().startswith("X:"):
            raise Rejected("no X: line")
        fields, body = _split(text.lstrip())
        header = _header(fields)
        return "\n".join(header + _body_lines(body)) + "\n", "ok"
    except Rejected as exc:
        return None, str(exc)


def normalize_tune(text: str) -> str | None:
    """The training form of one corpus tune (ends with a newline), or None if unusable."""
    return normalize_reason(text)[0]


# -- transposition ---------------------------------------------------------------------------

def tonic_choices(tonic: str, mode: str, semitones: int) -> list[tuple[str, int]]:
    """Spellings of the tonic moved by ``semitones`` whose key the grammar allows (at most 7
    sharps/flats, a tonic music21 reads: :func:`is_valid_key`), best first (fewest sharps/flats;
    sharps going up, flats going down on a tie), each with the number of letter steps the notes
    move by. A whole number of octaves keeps the tonic's spelling."""
    octaves = int(semitones / 12)
    rest = semitones - 12 * octaves
    if rest == 0:
        return [(tonic, 7 * octaves)]
    target = (LETTER_PC[tonic[0]] + tonic.count("#") - tonic.count("b") + semitones) % 12
    spellings = [letter + acc for letter in LETTERS for acc, alt in (("", 0), ("#", 1), ("b", -1))
                 if (LETTER_PC[letter] + alt) % 12 == target]
    spellings.sort(key=lambda t: (abs(signature_fifths(t, mode)), (signature_fifths(t, mode) < 0) == (rest > 0)))
    choices = []
    for new in spellings:
        k = (LETTERS.index(new[0]) - LETTERS.index(tonic[0])) % 7
        steps = min((k - 7, k, k + 7), key=lambda d: abs(d - rest * 7 / 12))
        if is_valid_key(new + ABC_MODE[mode]):
            choices.append((new, steps + 7 * octaves))
    return choices


class _CannotMove(Exception):
    """A moved note leaves :data:`MIDI_RANGE` (``out_of_range``) or needs a triple accidental."""

    def __init__(self, out_of_range: bool):
        super().__init__()
        self.out_of_range = out_of_range


class _Mover:
    """Moves notes from the old key to the new one, carrying bar accidentals in both."""

    def __init__(self, old_fifths: int, new_fifths: int, semitones: int, steps: int):
        self.old_key, self.new_key = key_alterations(old_fifths), key_alterations(new_fifths)
        self.semitones, self.steps = semitones, steps
        self.old_bar: dict[int, int] = {}
        self.new_bar: dict[int, int] = {}

    def bar(self) -> None:
        """A bar line: accidentals stop carrying."""
        self.old_bar.clear()
        self.new_bar.clear()

    def move(self, note: _Note) -> _Note:
        """The moved note; raises _CannotMove."""
        if note.step is None:
            return note
        alter = self._alter(self.old_bar, self.old_key, note.step, note.acc)
        step = note.step + self.steps
        midi = _midi(note.step, alter) + self.semitones
        new_alter = midi - _midi(step, 0)
        if not MIDI_RANGE[0] <= midi <= MIDI_RANGE[1] or abs(new_alter) > 2:
            raise _CannotMove(not MIDI_RANGE[0] <= midi <= MIDI_RANGE[1])
        if note.acc or new_alter != self._alter(self.new_bar, self.new_key, step, ""):
            self.new_bar[step] = new_alter
            return note._replace(acc=_ALTER_ACC[new_alter], step=step)
        return note._replace(step=step)

    @staticmethod
    def _alter(bar: dict[int, int], key: dict[str, int], step: int, acc: str) -> int:
        """Alteration of a note: its accidental (now carried), a carried one, or the key's."""
        if acc:
            bar[step] = _ACC_ALTER[acc]
        return bar.get(step, key[LETTERS[step % 7]])


def transpose_tune(text: str, semitones: int) -> str | None:
    """``text`` (a normalized tune) moved by ``semitones`` and respelled in the new key.

    None when a note would leave :data:`MIDI_RANGE`, or when no key within 7 sharps or
    flats spells every note with at most a double sharp or flat.
    """
    lines = text.rstrip("\n").split("\n")
    k_index = next((i for i, line in enumerate(lines) if line.startswith("K:")), None)
    if k_index is None:
        return None
    try:
        tonic, mode = parse_key(key_from_abc(normalize_key(lines[k_index][2:])))
        body = [_tokenize(line) for line in lines[k_index + 1:]]
    except (Rejected, ValueError):
        return None
    for new_tonic, steps in tonic_choices(tonic, mode, semitones):
        mover = _Mover(signature_fifths(tonic, mode), signature_fifths(new_tonic, mode), semitones, steps)
        try:
            moved = [_items_text(_move_items(items, mover)) for items in body]
        except _CannotMove as exc:
            if exc.out_of_range:
                return None
            continue
        return "\n".join(lines[:k_index] + [f"K:{new_tonic}{ABC_MODE[mode]}"] + moved) + "\n"
    return None


def _move_items(items: list, mover: _Mover) -> list:
    """A line of items moved note by note; bar lines end carried accidentals."""
    out = []
    for item in items:
        if isinstance(item, _Note):
            item = mover.move(item)
        elif item[0] == "bar":
            mover.bar()
        out.append(item)
    return out
