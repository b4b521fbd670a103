"""Grammar-aware decoding for the character-level ABC LSTM (pure Python, no torch).

The sampler keeps one :class:`AbcBodyGrammar` per tune in a batch, asks
:meth:`AbcBodyGrammar.allowed` for the characters that may come next, masks all
others, and feeds the drawn character back with :meth:`AbcBodyGrammar.feed`.
The header is not sampled character by character: :class:`TuneConstraint`
(``constraint.py``) forces or chooses its fields.

The ABC subset of the tune body
-------------------------------
- notes ``A``-``G`` ``a``-``g``, with at most one accidental prefix (``^`` ``_``
  ``=``) and at most two octave marks (``,`` after an upper-case letter, ``'``
  after a lower-case one);
- rests ``z``;
- a length suffix from :data:`LENGTHS`: none (1 unit of ``L:``), ``/`` or ``/2``
  (1/2), ``3/2``, ``2``, ``3``, ``4``, ``6``, ``8``. Every length is a multiple
  of 1/2 and 1/2 is always available, so any remainder of a bar can be filled;
- triplets ``(3`` followed by exactly three notes without length suffix (2 units);
- a tie ``-`` right after a note (outside triplets), followed by the same pitch
  written the same way (accidental, letter, octave marks), possibly across a
  plain bar line (not a repeat);
- single spaces between elements and before bar lines;
- bar lines ``|``, repeat bars ``|:`` and ``:|`` (also ``|:`` at the very start),
  a newline only right after a bar line, and the final ``|]``.
Chord symbols, decorations, grace notes, broken rhythm, chords, inline fields,
multi-bar rests, endings and double bars are outside the subset: never allowed.

Guarantees
----------
Every bar lasts exactly the meter's bar (in units of ``L:``), except the first
one, which lasts ``pickup`` units when ``pickup > 0``. After ``bars`` full bars
only ``|]`` is allowed (``|]`` is allowed from ``min_bars`` full bars on). At
least two plain ``|`` bar lines are written, because music21 builds measures
only then. A length, tie, triplet or bar line is allowed only when the tune can
still be completed, so :meth:`~AbcBodyGrammar.allowed` is never empty before
:attr:`~AbcBodyGrammar.done`: any walk through allowed characters ends with a
tune that :func:`check_tune` accepts, whatever the sampling temperature.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from app.core.abc.header import bar_units, format_meter

from models.abc_lstm.grammar_header import (  # noqa: F401  (re-exported API)
    ACCIDENTALS, ALPHABET, LENGTH_CHARS, LENGTH_HALVES, LENGTHS, NOTE_LETTERS, OCTAVE_MARKS,
    best_length_suffix, check_tune, clean_seed_body, first_bar_text, is_valid_key, rest_lengths, validate_key,
)

_ORDERED = tuple(sorted(ALPHABET))
_MAX_OCTAVE_MARKS = 2
_TRIPLET = 4  # half units


class _Spec(NamedTuple):
    """What a tune must look like: bar and pickup in half units, bar counts."""

    bar_len: int
    pickup: int
    max_bars: int
    min_bars: int


class _State(NamedTuple):
    """Immutable parser state; ``phase`` names what was written last."""

    phase: str = "start"
    pos: int = 0                  # committed half units of the current bar
    bars_done: int = 0            # full bars closed (the pickup is not counted)
    pickup_open: bool = False
    plain: int = 0                # plain "|" bar lines written, capped at 2
    repeat_open: bool = False
    tie: bool = False             # a tie waits for its note (cleared when that note ends)
    pitch: str = ""               # accidental + letter + octave marks of the latest note
    want: str = ""                # characters the tied note must still repeat
    kind: str = ""                # pending token: "note", "rest", "tnote"
    upper: bool = False
    octs: int = 0
    lenstr: str = ""
    tri_left: int = 0             # triplet notes still to start


def _rem(spec: _Spec, st: _State) -> int:
    return (spec.pickup if st.pickup_open else spec.bar_len) - st.pos


def _fits(prefix: str, room: int) -> bool:
    return any(s.startswith(prefix) and v <= room for s, v in LENGTH_HALVES.items())


def _plain_ok(spec: _Spec, plain: int, bars_done: int, pickup_open: bool) -> bool:
    """Whether enough non-final bar lines remain to write two plain ones."""
    closes = spec.max_bars - bars_done - 1 + (1 if pickup_open else 0)
    return max(0, 2 - plain) <= closes


def _tie_ok(spec: _Spec, st: _State) -> bool:
    return _rem(spec, st) > 0 or st.pickup_open or st.bars_done + 1 < spec.max_bars


def _start_element(spec: _Spec, st: _State, ch: str) -> _State | None:
    """A note, rest or triplet starting at an element boundary."""
    room = _rem(spec, st)
    if room <= 0:
        return None
    if st.want and ch != st.want[0]:
        return None
    if ch in ACCIDENTALS:
        return st._replace(phase="acc", kind="note", pitch=ch, want=st.want[1:])
    if ch in NOTE_LETTERS:
        return st._replace(phase="note", kind="note", upper=ch.isupper(), pitch=ch,
                           want=st.want[1:])
    if st.tie:
        return None
    if ch == "z":
        return st._replace(phase="note", kind="rest")
    if ch == "(" and room >= _TRIPLET:
        return st._replace(phase="paren", pos=st.pos + _TRIPLET)
    return None


def _on_start(spec: _Spec, st: _State, ch: str) -> _State | None:
    return st._replace(phase="lead_pipe") if ch == "|" else _start_element(spec, st, ch)


# Phases whose next character is fixed: phase -> (character, fields of the next state).
_FIXED = {
    "lead_pipe": (":", {"phase": "bar", "repeat_open": True}),  # leading |:
    "paren": ("3", {"phase": "tri", "tri_left": 3}),             # (3
    "colon": ("|", {"phase": "bar"}),                            # :|
}


def _on_fixed(spec: _Spec, st: _State, ch: str) -> _State | None:
    want, fields = _FIXED[st.phase]
    return st._replace(**fields) if ch == want else None


def _on_acc(spec: _Spec, st: _State, ch: str) -> _State | None:
    if ch not in NOTE_LETTERS or st.want and ch != st.want[0]:
        return None
    left = st.tri_left - 1 if st.kind == "tnote" else 0
    return st._replace(phase="note", upper=ch.isupper(), octs=0, pitch=st.pitch + ch,
                       want=st.want[1:], tri_left=left)


def _on_tri(spec: _Spec, st: _State, ch: str) -> _State | None:
    if ch in ACCIDENTALS:
        return st._replace(phase="acc", kind="tnote", pitch=ch)
    if ch in NOTE_LETTERS:
        return st._replace(phase="note", kind="tnote", upper=ch.isupper(), octs=0, pitch=ch,
                           tri_left=st.tri_left - 1)
    return None


def _on_note(spec: _Spec, st: _State, ch: str) -> _State | None:
    """Inside a note or rest: octave marks, length characters, or its end.

    A tied note repeats the pitch text of the note before the tie exactly.
    """
    if ch in OCTAVE_MARKS:
        ok = ch == st.want[0] if st.want else (
            st.kind != "rest" and not st.tie and ch == ("," if st.upper else "'")
            and not st.lenstr and st.octs < _MAX_OCTAVE_MARKS)
        return st._replace(octs=st.octs + 1, pitch=st.pitch + ch, want=st.want[1:]) if ok else None
    if st.want:
        return None
    if ch in LENGTH_CHARS and st.kind != "tnote":
        longer = st.lenstr + ch
        return st._replace(lenstr=longer) if _fits(longer, _rem(spec, st)) else None
    if st.kind == "tnote" and st.tri_left > 0:
        return _on_tri(spec, st, ch)
    value = 0 if st.kind == "tnote" else LENGTH_HALVES.get(st.lenstr)
    if value is None or value > _rem(spec, st):
        return None
    ended = st._replace(phase="free", pos=st.pos + value, kind="", upper=False, octs=0,
                        lenstr="", tri_left=0, tie=False)
    return _after_element(spec, ended, ch, st.kind)


def _after_element(spec: _Spec, st: _State, ch: str, last_kind: str) -> _State | None:
    if ch == " ":
        return st._replace(phase="space")
    if ch == "-":
        ok = last_kind == "note" and _tie_ok(spec, st)
        return st._replace(phase="tie", tie=True, want=st.pitch) if ok else None
    if ch in "|:":
        return _bar_line(spec, st, ch)
    return _start_element(spec, st, ch)


def _on_space(spec: _Spec, st: _State, ch: str) -> _State | None:
    return _bar_line(spec, st, ch) if ch in "|:" else _start_element(spec, st, ch)


def _on_tie(spec: _Spec, st: _State, ch: str) -> _State | None:
    return _bar_line(spec, st, ch) if ch == "|" else _start_element(spec, st, ch)


def _bar_line(spec: _Spec, st: _State, ch: str) -> _State | None:
    """``|`` (type decided by the next character) or ``:`` of ``:|`` at a full bar."""
    if _rem(spec, st) != 0:
        return None
    closed = st._replace(phase="pipe", pos=0, pickup_open=False,
                         bars_done=st.bars_done + (0 if st.pickup_open else 1))
    if ch == "|":
        return None if st.tie and closed.bars_done >= spec.max_bars else closed
    if st.tie or st.pickup_open or closed.bars_done >= spec.max_bars:
        return None
    if not _plain_ok(spec, st.plain, closed.bars_done, False):
        return None
    return closed._replace(phase="colon", repeat_open=False)


def _on_pipe(spec: _Spec, st: _State, ch: str) -> _State | None:
    """After ``|``: ``]`` ends the tune, ``:`` makes ``|:``, anything else makes it plain."""
    if ch == "]":
        ok = not st.tie and st.bars_done >= spec.min_bars and st.plain >= 2
        return st._replace(phase="done") if ok else None
    if st.bars_done >= spec.max_bars:
        return None
    if ch == ":":
        ok = (not st.tie and not st.repeat_open
              and _plain_ok(spec, st.plain, st.bars_done, False))
        return st._replace(phase="bar", repeat_open=True) if ok else None
    return _on_bar(spec, st._replace(plain=min(st.plain + 1, 2)), ch)


def _on_bar(spec: _Spec, st: _State, ch: str) -> _State | None:
    if ch == "\n":
        return st._replace(phase="nl")
    if ch == " ":
        return None if st.tie else st._replace(phase="space")
    return _start_element(spec, st, ch)


_PHASES = {
    "start": _on_start, "lead_pipe": _on_fixed, "paren": _on_fixed, "colon": _on_fixed,
    "acc": _on_acc, "note": _on_note, "tri": _on_tri, "space": _on_space, "tie": _on_tie,
    "pipe": _on_pipe, "bar": _on_bar, "nl": _start_element,
}


@lru_cache(maxsize=1 << 17)
def _step(spec: _Spec, st: _State, ch: str) -> _State | None:
    """The state after ``ch``, or None when ``ch`` is not allowed."""
    handler = _PHASES.get(st.phase)
    return handler(spec, st, ch) if handler else None


@lru_cache(maxsize=1 << 15)
def _allowed_canonical(spec: _Spec, st: _State) -> frozenset[str]:
    return frozenset(ch for ch in _ORDERED if _step(spec, st, ch) is not None)


def _allowed(spec: _Spec, st: _State) -> frozenset[str]:
    """The allowed characters, cached on a canonical form of (spec, state).

    One step looks at the bar count only through ``bars_done >= min_bars`` and
    the bars left before ``max_bars`` (up to 4), so those two are all the key keeps.
    """
    left = min(spec.max_bars - st.bars_done, 4)
    reached = st.bars_done >= spec.min_bars
    return _allowed_canonical(spec._replace(max_bars=1 + left, min_bars=1 if reached else 2),
                              st._replace(bars_done=1, pitch=""))


class AbcBodyGrammar:
    """Character-level state machine over the ABC body subset (see the module doc).

    ``meter`` is (numerator, denominator), ``unit`` the ``L:`` length, ``bars`` the
    number of full bars of the tune (the pickup not counted), ``pickup`` the
    length of the first bar in units (0: no pickup), ``min_bars`` the fewest
    full bars after which ``|]`` may end the tune (default: ``bars``).
    """

    def __init__(self, meter: tuple[int, int], unit: Fraction, bars: int,
                 pickup: Fraction = Fraction(0), min_bars: int | None = None) -> None:
        bar_len, pickup = bar_units(meter, unit), Fraction(pickup)
        min_bars = bars if min_bars is None else min_bars
        if bar_len <= 0 or (bar_len * 2).denominator != 1:
            raise ValueError(f"a bar of {format_meter(meter)} is {bar_len} units of {unit}; "
                             "it must be a positive multiple of 1/2")
        if not 0 <= pickup < bar_len or (pickup * 2).denominator != 1:
            raise ValueError(f"pickup {pickup} must be a multiple of 1/2 below {bar_len}")
        if not 1 <= min_bars <= bars:
            raise ValueError(f"need 1 <= min_bars ({min_bars}) <= bars ({bars})")
        spec = _Spec(int(bar_len * 2), int(pickup * 2), int(bars), int(min_bars))
        if not _plain_ok(spec, 0, 0, pickup > 0):
            raise ValueError("too few bars: music21 needs two plain bar lines before |] "
                             "(3 bars, or 2 with a pickup)")
        self._spec = spec
        self._state = _State(pickup_open=pickup > 0)
        self._text: list[str] = []

    # -- queries ---------------------------------------------------------------
    def allowed(self) -> frozenset[str]:
        """The characters that may come next (empty once :attr:`done`)."""
        return _allowed(self._spec, self._state)

    @property
    def done(self) -> bool:
        """True once the final ``|]`` has been written."""
        return self._state.phase == "done"

    @property
    def bars_written(self) -> int:
        """Full bars closed so far (the pickup is not counted)."""
        return self._state.bars_done

    @property
    def bars(self) -> int:
        """The number of full bars after which only ``|]`` is allowed."""
        return self._spec.max_bars

    @property
    def pickup(self) -> Fraction:
        """The length of the first bar in units (0 when there is no pickup)."""
        return Fraction(self._spec.pickup, 2)

    @property
    def bar_position(self) -> Fraction:
        """Units written in the current bar, counting a pending note whose length is whole."""
        st = self._state
        pending = LENGTH_HALVES.get(st.lenstr, 0) if st.kind in ("note", "rest") else 0
        return Fraction(st.pos + (pending if pending <= _rem(self._spec, st) else 0), 2)

    @property
    def text(self) -> str:
        """Every character fed so far."""
        return "".join(self._text)

    # -- feeding -----------------------------------------------------------------
    def feed(self, ch: str) -> None:
        """Advance by one character; ValueError (state unchanged) if it is not allowed."""
        nxt = _step(self._spec, self._state, ch) if isinstance(ch, str) and len(ch) == 1 else None
        if nxt is None:
            allowed = "".join(sorted(self.allowed()))
            raise ValueError(f"{ch!r} is not allowed at body position {len(self._text)} "
                             f"after {self.text[-20:]!r}; allowed: {allowed!r}")
        self._state = nxt
        self._text.append(ch)

    def feed_text(self, text: str) -> None:
        """Feed every character of ``text``, all or nothing.

        Raises ValueError naming the position in ``text`` of the first character
        outside the subset (or not allowed there); the grammar is then unchanged.
        """
        probe = self.copy()
        for i, ch in enumerate(text):
            try:
                probe.feed(ch)
            except ValueError as exc:
                raise ValueError(f"position {i} of the body text "
                                 f"({text[max(0, i - 12):i + 8]!r}): {exc}") from None
        self.__dict__.update(probe.__dict__)

    def copy(self) -> AbcBodyGrammar:
        """An independent clone (the state itself is immutable and shared)."""
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone._text = list(self._text)
        return clone

    # -- finishing -----------------------------------------------------------------
    def _next_chunk(self) -> str:
        """The next few characters of :meth:`completion`."""
        spec, st = self._spec, self._state
        if st.phase in _FIXED:
            return _FIXED[st.phase][0]
        if st.want and st.phase in ("acc", "note"):
            return st.want  # the rest of a tied note's pitch
        room = _rem(spec, st)
        if st.phase in ("acc", "tri") or st.phase == "note" and st.tri_left > 0:
            return "c"
        if st.phase == "note" and st.kind != "tnote":
            suffix = best_length_suffix(st.lenstr, room)
            if suffix:
                return suffix
            room -= LENGTH_HALVES[st.lenstr]
        if st.phase == "pipe" and "]" in self.allowed():
            return "]"
        if room == 0:
            return "|"
        lengths = rest_lengths(room)
        first = (st.pitch if st.tie and st.phase != "note" else "z") + lengths[0]
        return first + "".join("z" + s for s in lengths[1:])

    def completion(self) -> str:
        """A short deterministic string that completes the tune from here.

        It ends the pending token, fills the current bar with rests (the tied
        note first when a tie waits), adds rest bars up to ``min_bars`` and ``|]``.
        """
        probe, out = self.copy(), []
        for _ in range(8 * (self._spec.max_bars + 2)):
            if probe.done:
                return "".join(out)
            chunk = probe._next_chunk()
            probe.feed_text(chunk)
            out.append(chunk)
        raise RuntimeError("completion did not terminate")  # unreachable by construction

    def force_finish(self) -> str:
        """Feed :meth:`completion` (e.g. when a length budget runs out) and return it."""
        rest = self.completion()
        self.feed_text(rest)
        return rest

    # -- seeds -----------------------------------------------------------------
    @classmethod
    def seed_pickup(cls, body_text: str, meter: tuple[int, int], unit: Fraction) -> Fraction:
        """The pickup of a (cleaned) seed body: its first bar if shorter than a bar, else 0."""
        bar_len = bar_units(meter, unit)
        first = first_bar_text(body_text)
        if first is None:
            return Fraction(0)
        probe = cls((1000, 1), Fraction(1), 3)  # a bar long enough for any first bar
        probe.feed_text(first)
        length = probe.bar_position
        if length > bar_len:
            raise ValueError(f"the seed's first bar lasts {length} units, more than a bar "
                             f"of {bar_len}")
        return Fraction(0) if length == bar_len else length

    @classmethod
    def from_seed(cls, body_text: str, meter: tuple[int, int], unit: Fraction, bars: int,
                  min_bars: int | None = None) -> AbcBodyGrammar:
        """A grammar that has already read a seed's body (its first bars).

        The seed is first rewritten by :func:`clean_seed_body` (chord symbols,
        decorations, grace notes, slurs, inline fields stripped; broken rhythm
        written out); :attr:`text` holds what was fed. The pickup is the first
        bar when it is shorter than a bar. Raises ValueError, with a position in
        the cleaned text, when the seed uses other syntax outside the subset or
        has bars of the wrong length.
        """
        text = clean_seed_body(body_text)
        grammar = cls(meter, unit, bars, cls.seed_pickup(text, meter, unit), min_bars)
        grammar.feed_text(text)
        return grammar
