"""The keys the grammar allows, the body subset's vocabulary, seed clean-up and the tune checker.

Pure Python (music21 is imported lazily, only by :func:`check_tune`). The rules
of the header fields themselves (meters, ``L:`` and its default, key
signatures) are ABC's, in :mod:`app.core.abc.header`.

- :func:`validate_key` accepts only ``K:`` values music21's ABC reader maps to the
  right key signature: a tonic ``A``-``G`` with an optional ``#``/``b`` and a
  major, minor or modal suffix (``D``, ``Em``, ``Ador``, ``Gmix``, ``Bb``, ``F#m``),
  at most seven sharps or flats. Locrian and bagpipe keys, and tonics music21
  does not know (``Fb``), are refused (music21 does not read them correctly).
- :func:`split_tune` cuts a tune into header and body.
- :func:`clean_seed_body` rewrites a seed body into the subset where that is
  safe: it drops chord symbols, decorations, grace notes, slurs, inline fields
  and comments, and writes broken rhythm (``A>B``) as lengths.
- the vocabulary (:data:`ALPHABET`) and lengths (:data:`LENGTHS`) of the body
  subset, and the rest arithmetic :meth:`AbcBodyGrammar.completion` uses;
- :func:`check_tune` is the acceptance test of the grammar-aware decoder: the
  headers are present, music21 parses the tune, it ends with ``|]`` and every
  inner bar lasts exactly what the meter asks for.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from app.core.abc.header import MODE_ABBREVIATIONS, key_signature, parse_meter, parse_unit

REQUIRED_FIELDS = ("X", "T", "M", "L", "K")
_READ_FIELDS = frozenset("XTMLKQR")

#: The tonic spellings music21's ABC reader knows (it reads ``Fb`` as ``F``).
_MUSIC21_TONICS = frozenset("C G D A E B F# C# G# D# A# E# F Bb Eb Ab Db Gb Cb".split())
_KEY_RE = re.compile(r"([A-G][#b]?)\s*([A-Za-z]*)")
_FIELD_RE = re.compile(r"([A-Za-z]):\s*(.*)")

# -- the vocabulary and the lengths of the body subset (used by grammar.py) ----------------
NOTE_LETTERS = "ABCDEFGabcdefg"
ACCIDENTALS = "^_="
OCTAVE_MARKS = "',"
LENGTH_CHARS = "/23468"
#: Length suffix -> length in units of ``L:``.
LENGTHS: dict[str, Fraction] = {
    "": Fraction(1), "/": Fraction(1, 2), "/2": Fraction(1, 2), "3/2": Fraction(3, 2),
    "2": Fraction(2), "3": Fraction(3), "4": Fraction(4), "6": Fraction(6), "8": Fraction(8),
}
#: The same in half units: the grammar counts in whole numbers of half units.
LENGTH_HALVES: dict[str, int] = {s: int(v * 2) for s, v in LENGTHS.items()}
#: Every character the body grammar can ever allow.
ALPHABET: frozenset[str] = frozenset(
    NOTE_LETTERS + ACCIDENTALS + OCTAVE_MARKS + LENGTH_CHARS + "z(-|:] \n")
_SHORTEST = {v: s for s, v in sorted(LENGTH_HALVES.items(), key=lambda kv: -len(kv[0]))}


@lru_cache(maxsize=256)
def rest_lengths(room: int) -> tuple[str, ...]:
    """Length suffixes of the run of rests with the fewest characters lasting ``room`` halves."""
    best: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    for n in range(1, room + 1):
        options = [(best[n - v][0] + 1 + len(s), (s,) + best[n - v][1])
                   for v, s in sorted(_SHORTEST.items(), reverse=True) if v <= n]
        best.append(min(options, key=lambda o: o[0]))
    return best[room][1]


def best_length_suffix(lenstr: str, room: int) -> str:
    """The characters that end a pending length ``lenstr`` with ``room`` halves left.

    Chosen so that the suffix plus the rests then filling the bar are fewest
    characters (the longer length on ties).
    """
    def cost(s: str, v: int) -> tuple[int, int]:
        return len(s) + sum(1 + len(r) for r in rest_lengths(room - v)), -v

    fits = [(cost(s, v), s) for s, v in LENGTH_HALVES.items()
            if s.startswith(lenstr) and v <= room]
    return min(fits)[1][len(lenstr):]


def _exact_mode(word: str) -> str | None:
    """The mode a ``K:`` mode word names as written in full or in three letters (``m`` minor), else None."""
    if word in ("", "m"):
        return "minor" if word else "major"
    mode = MODE_ABBREVIATIONS.get(word[:3])
    return mode if word in (word[:3], mode) else None


def key_sharps(value: str) -> int:
    """Sharps (>0) or flats (<0) of a ``K:`` value (:func:`key_signature`); ValueError if music21
    would misread it."""
    match = _KEY_RE.fullmatch(value.strip())
    mode = _exact_mode(match[2].lower()) if match else None
    if match is None or match[1] not in _MUSIC21_TONICS or mode in (None, "locrian"):
        raise ValueError(f"unsupported key {value!r} (use e.g. D, Em, Ador, Gmix, Bb, F#m)")
    return key_signature(value)


def validate_key(value: str) -> str:
    """Return the stripped ``K:`` value, or raise ValueError if it is not supported."""
    key_sharps(value)
    return value.strip()


def is_valid_key(value: str) -> bool:
    """True when :func:`validate_key` accepts ``value``."""
    try:
        key_sharps(value)
    except ValueError:
        return False
    return True


def split_tune(text: str) -> tuple[str, str]:
    """Cut a tune into (header, body): the header runs up to and including ``K:``.

    Without a ``K:`` line the header is the leading run of field and comment lines.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("%") or not stripped and i == end:
            end = i + 1
            continue
        if not _FIELD_RE.match(stripped):
            break
        end = i + 1
        if stripped.startswith("K:"):
            break
    return "\n".join(lines[:end]) + ("\n" if end else ""), "\n".join(lines[end:])


def header_fields(text: str) -> dict[str, str]:
    """The first value of each X T M L K Q R field in the header of ``text``."""
    fields: dict[str, str] = {}
    for line in split_tune(text)[0].split("\n"):
        match = _FIELD_RE.fullmatch(line.strip())
        if match and match[1] in _READ_FIELDS and match[1] not in fields:
            fields[match[1]] = match[2].strip()
    return fields


_STRIP_PATTERNS = (
    re.compile(r"%[^\n]*"),              # comments
    re.compile(r'"[^"\n]*"'),            # chord symbols and annotations
    re.compile(r"![^!\n]*!"),            # decorations !trill!
    re.compile(r"\+[^+\n\s]*\+"),        # old-style decorations +trill+
    re.compile(r"\{[^}]*\}"),            # grace notes
    re.compile(r"\[[A-Za-z]:[^\]]*\]"),  # inline fields
    re.compile(r"[~.HLMOPSTuv]"),        # one-character decorations
    re.compile(r"\((?!\d)|\)"),          # slurs
    re.compile(r"\\(?=\s*(?:\n|$))"),    # line continuations
)
_BAR_FIXES = ((re.compile(r":\|{0,2}:"), ":|"), (re.compile(r"\[\||\|\]"), "|"),
              (re.compile(r"\|\|+"), "|"), (re.compile(r"\(3\s+"), "(3"))
_PITCH = r"[_^=]?[A-Ga-g][,']*"
_LEN = r"\d*(?:/+\d*)?"
_BROKEN_RE = re.compile(rf"({_PITCH}|z)({_LEN})-? *(>+|<+)-? *({_PITCH}|z)({_LEN})")
_TIE_RE = re.compile(rf"({_PITCH})({_LEN})-([ |\n]*)")
_NOTATION = {v: s for s, v in LENGTHS.items() if s != "/2"}


def _abc_length(text: str) -> Fraction:
    """The value of an ABC length suffix: ``""`` 1, ``3`` 3, ``/`` 1/2, ``//`` 1/4, ``3/`` 3/2."""
    num, slashes, den = re.fullmatch(r"(\d*)(/*)(\d*)", text).groups()
    value = Fraction(int(num) if num else 1)
    if slashes:
        value /= int(den) if den else 2 ** len(slashes)
    return value


def _unbreak(match: re.Match) -> str:
    """``A>B`` -> ``A3/2B/`` (and ``<``, ``>>``) when both lengths are in the subset."""
    first, len1, arrows, second, len2 = match.groups()
    short = Fraction(1, 2 ** len(arrows))
    a, b = (2 - short, short) if arrows[0] == ">" else (short, 2 - short)
    v1, v2 = _abc_length(len1) * a, _abc_length(len2) * b
    if v1 not in _NOTATION or v2 not in _NOTATION:
        return match[0]
    return first + _NOTATION[v1] + second + _NOTATION[v2]


def _fix_tie(match: re.Match) -> str:
    """Keep a tie (without spaces) only when the next note repeats the pitch."""
    pitch, length, gap = match.groups()
    nxt = re.match(_PITCH, match.string[match.end():])
    same = nxt is not None and nxt[0] == pitch and gap.count("|") <= 1
    return pitch + length + ("-" + gap.replace(" ", "") if same else gap)


def clean_seed_body(body: str) -> str:
    """Rewrite a seed body into the grammar's subset where that is safe (leniently).

    Removes comments, field lines, chord symbols, decorations, grace notes, slurs
    and inline fields; turns ``::``/``:|:`` into ``:|``, ``||``/``[|``/``|]`` into
    ``|``, broken rhythm into lengths (``A>B`` -> ``A3/2B/``), drops ties to a
    different pitch; keeps a newline only after a bar line, single spaces elsewhere.
    """
    lines = [ln for ln in body.replace("\r", "").split("\n") if not _FIELD_RE.match(ln.strip())]
    text = "\n".join(lines).replace("\t", " ")
    for pattern in _STRIP_PATTERNS:
        text = pattern.sub("", text)
    for pattern, repl in _BAR_FIXES:
        text = pattern.sub(repl, text)
    out = ""
    for piece in filter(None, (" ".join(ln.split()) for ln in text.split("\n"))):
        if out.endswith("|") and piece.startswith("|") and not piece.startswith("|:"):
            piece = piece[1:].lstrip()  # "...|" then "| ..." on the next line
            if not piece:
                continue
        out += ("\n" if out[-1] in "|:" else " ") + piece if out else piece
    out = _BROKEN_RE.sub(_unbreak, out)
    out = re.sub(r"(\d)/(?![\d/])", r"\1/2", out)
    out = _TIE_RE.sub(_fix_tie, out)
    if out.startswith("|") and not out.startswith("|:"):
        out = out[1:].lstrip()
    return out


def first_bar_text(body: str) -> str | None:
    """A (cleaned) body up to its first bar line, a leading ``|:`` kept; None if no bar line."""
    lead = 2 if body.startswith("|:") else 0
    ends = [i for i in (body.find("|", lead), body.find(":", lead)) if i >= 0]
    return body[:min(ends)] if ends else None


def _bar_problem(measure, index: int, inner: bool) -> str:
    from music21 import meter

    sig = measure.timeSignature or measure.getContextByClass(meter.TimeSignature)
    if sig is None:
        return f"bar {index + 1} has no time signature"
    want = Fraction(sig.barDuration.quarterLength)
    got = Fraction(measure.duration.quarterLength)
    if (got != want) if inner else not 0 < got <= want:
        need = f"{want}" if inner else f"between 0 and {want}"
        return (f"bar {index + 1} (music21 measure {measure.number}) lasts {got} quarter "
                f"notes; the meter {sig.ratioString} asks for {need}")
    return ""


def _parse_with_music21(text: str):
    """The first part (or the flat stream) music21 reads from ``text``."""
    from music21 import converter, stream

    parsed = converter.parse(text, format="abc")
    if isinstance(parsed, stream.Opus):
        scores = list(parsed.scores)
        if len(scores) != 1:
            raise ValueError(f"{len(scores)} tunes in one text")
        parsed = scores[0]
    parts = list(parsed.parts) if isinstance(parsed, stream.Score) else []
    return parts[0] if parts else parsed


def _header_problem(text: str) -> str:
    fields = header_fields(text)
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if missing:
        return "missing header field(s): " + ", ".join(f"{f}:" for f in missing)
    try:
        parse_meter(fields["M"])
        parse_unit(fields["L"])
        validate_key(fields["K"])
    except ValueError as exc:
        return f"bad header: {exc}"
    body = split_tune(text)[1].rstrip()
    if not body:
        return "the tune has no body"
    if not body.endswith("|]"):
        return "the tune does not end with a final bar line |]"
    return ""


def check_tune(text: str) -> tuple[bool, str]:
    """Whether ``text`` meets the grammar-aware decoding requirement, and why not.

    The tune must have X: T: M: L: K: headers, end with ``|]``, be parsed by
    music21, and every inner bar (all music21 measures of the first part but
    the first and the last, after dropping empty ones) must last exactly the
    meter's bar; the first and last bars must not be longer than that.
    """
    problem = _header_problem(text)
    if problem:
        return False, problem
    try:
        part = _parse_with_music21(text)
    except Exception as exc:  # music21 raises many unrelated types
        return False, f"music21 could not parse the tune: {type(exc).__name__}: {exc}"
    from music21 import stream

    measures = [m for m in part.getElementsByClass(stream.Measure) if m.notesAndRests]
    if not measures:
        return False, "music21 found no bars (it needs at least two plain bar lines)"
    for i, measure in enumerate(measures):
        problem = _bar_problem(measure, i, inner=0 < i < len(measures) - 1)
        if problem:
            return False, problem
    return True, "ok"
