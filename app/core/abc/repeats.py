"""Repeats and 1st/2nd endings of one ABC voice played out into plain bars (pure Python).

Used by ``prepare.py`` (so music21 never sees a repeat sign) and by ``notes.py``.
The rules are ABC 2.1's, with abc2midi as the reference where the standard is
silent:

* ``|: ... :|`` is played twice; ``::`` (also ``:|:``, ``:||:``) ends one
  repeated section and starts the next.
* A ``:|`` with no ``|:`` before it repeats from the previous ``:|`` or double
  bar (``||``, ``|]``, ``[|``), else from the start of the tune.
* Endings ``[1``, ``|1``, ``:|2``, ``[2``, ``| [1`` (and lists and ranges:
  ``[1,3``, ``[1-3``): an ending is played on the passes it names and runs to
  the next ending or to the next bar line that is not a single ``|``; a
  section with endings is played as many times as its highest ending number
  (at least twice). An ending that starts while another is still playing
  (``|1 ... |2`` with no ``:|``) closes the repeat as a ``:|`` would.
* A second ``|:`` while a repeat is open ends the first one, as ``::`` would
  (abc2midi's reading).

Two places where abc2midi 4.84 plays something else, on purpose (its quirks,
not the standard): it plays a section a third time, without any ending, when
its last ending is also closed by ``:|`` (``|1 A :|2 B :|``); and its first
``:|`` without ``|:`` repeats from the start even after a ``||``.

:func:`expand` takes the voice's lines (field lines such as ``K:G`` on their
own, and music lines) and returns them with the music played out: bar lines
become plain ``|``, and a jump back re-states the ``K: M: L: Q:`` fields in
force where it lands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.abc.tunes import looks_like_music

_FIELD = re.compile(r"^[A-Za-z]:")
_STATE_FIELDS = "KMLQ"
_TOKEN = re.compile(r"""
    (?P<skip>"[^"]*"|![^!\n]*!)                                 # quoted text and !decorations!
  | (?P<bar>\.?(?:\[\|\]|:*\[?\|+\]?:*|:{2,}))                  # any bar line, repeat or not
    (?P<after>\d+(?:[,-]\d+)*|\s*\[\d+(?:[,-]\d+)*)?            # an ending right after it
  | (?P<ending>\[\d+(?:[,-]\d+)*)                               # an ending on its own
""", re.VERBOSE)
_MAX_GROWTH = 64  # a played-out voice is at most this many times its written tokens


@dataclass
class _Bar:
    text: str
    end: bool = False      # ends a repeat (:|, ::)
    start: bool = False    # starts one (|:, ::)
    double: bool = False   # ||, |], [| (a place a later :| may repeat from)
    endings: frozenset[int] = frozenset()


@dataclass
class _Ending:
    endings: frozenset[int]


@dataclass
class _Group:
    """Endings of one repeated section: where each pass starts, and how many passes."""

    target: int
    numbers: set[int] = field(default_factory=set)

    @property
    def passes(self) -> int:
        return max(2, max(self.numbers, default=2))


def expand(lines: list[str], state: dict[str, str] | None = None) -> list[str]:
    """The voice's ``lines`` with repeats and endings played out (see module doc).

    ``state`` holds the header's ``K: M: L: Q:`` lines (letter -> line), re-stated
    after a jump back to a place where they were in force.
    """
    tokens = _tokens(lines)
    if not any(isinstance(t, _Ending) or (isinstance(t, _Bar) and (t.end or t.start or t.endings))
               for t in tokens):
        return lines
    return _Player(tokens, dict(state or {})).play()


def _tokens(lines: list[str]) -> list:
    """Field lines (str ending in newline), music text (str), bars, endings, and newlines."""
    tokens: list = []
    for line in lines:
        if _FIELD.match(line) and not looks_like_music(line):
            tokens.append(line + "\n")
            continue
        pos = 0
        for match in _TOKEN.finditer(line):
            if match.group("skip") is not None:
                continue
            if match.start() > pos:
                tokens.append(line[pos:match.start()])
            if match.group("ending") is not None:
                tokens.append(_Ending(_numbers(match.group("ending")[1:])))
            else:
                tokens.append(_bar(match.group("bar"), match.group("after")))
            pos = match.end()
        if pos < len(line):
            tokens.append(line[pos:])
        tokens.append("\n")
    return tokens


def _bar(text: str, after: str | None) -> _Bar:
    core = text.lstrip(".")
    bar = _Bar(text, end=core.startswith(":"), start=core.endswith(":") and core != ":")
    if core.strip(":") == "" and len(core) >= 2:  # "::" alone
        bar.end = bar.start = True
    bar.double = not (bar.end or bar.start) and ("||" in core or "|]" in core or "[|" in core) and core != "[|]"
    if after:
        bar.endings = _numbers(after.strip().lstrip("["))
    return bar


def _numbers(text: str) -> frozenset[int]:
    """``"1,3"`` -> {1, 3}; ``"1-3"`` -> {1, 2, 3} (at most 16 passes)."""
    numbers: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        if low.isdigit():
            top = int(high) if high.isdigit() else int(low)
            numbers.update(n for n in range(int(low), min(top, int(low) + 16) + 1) if 0 < n <= 16)
    return frozenset(numbers)


def _endings(token) -> frozenset[int]:
    if isinstance(token, _Ending):
        return token.endings
    return token.endings if isinstance(token, _Bar) else frozenset()


def _stops_ending(token) -> bool:
    """Where an ending being skipped stops: another ending, or a bar line that is not a single ``|``."""
    if isinstance(token, _Ending):
        return True
    return isinstance(token, _Bar) and (token.end or token.start or token.double or bool(token.endings))


class _Player:
    """Walks the tokens as a player would: passes, jumps back, skipped endings."""

    def __init__(self, tokens: list, state: dict[str, str]) -> None:
        self.tokens = tokens
        self.targets, self.groups, self.closers = self._plan()
        self.states = self._states(state)
        self.out: list[str] = []
        self.emitted = dict(state)

    def _plan(self) -> tuple[dict[int, int], dict[int, _Group], dict[int, _Group]]:
        """Where each end of a repeat jumps back to, each ending's group, and the bars that close one."""
        targets: dict[int, int] = {}
        groups: dict[int, _Group] = {}
        closers: dict[int, _Group] = {}
        rep_point, open_start, group = 0, None, None
        for i, token in enumerate(self.tokens):
            if isinstance(token, _Bar):
                if token.start and open_start is not None and not token.end:
                    token.end = True  # |: ... |: reads as |: ... ::
                if token.end:
                    targets[i] = open_start if open_start is not None else rep_point
                    open_start, rep_point = None, i + 1
                if token.start:
                    open_start = i + 1
                elif token.double:
                    rep_point = i + 1
            numbers = _endings(token)
            if numbers:
                if group is None:
                    group = _Group(open_start if open_start is not None else rep_point)
                group.numbers |= numbers
                groups[i] = group
                stop = self._stop_after(i)
                if stop is not None and isinstance(self.tokens[stop], _Bar) and self.tokens[stop].end:
                    closers[stop] = group
                if stop is None or not _endings(self.tokens[stop]):
                    group = None
        return targets, groups, closers

    def _stop_after(self, index: int) -> int | None:
        return next((j for j in range(index + 1, len(self.tokens)) if _stops_ending(self.tokens[j])), None)

    def _states(self, state: dict[str, str]) -> list[dict[str, str]]:
        """The ``K: M: L: Q:`` lines in force before each token."""
        states = []
        current = dict(state)
        for token in self.tokens:
            states.append(current)
            if isinstance(token, str) and token.endswith("\n") and token[:1] in _STATE_FIELDS and token[1:2] == ":":
                current = {**current, token[0]: token.rstrip("\n")}
        return states

    def play(self) -> list[str]:
        i, passes, playing, unclosed = 0, 1, None, -1
        limit, steps = _MAX_GROWTH * len(self.tokens) + 1000, 0
        while i < len(self.tokens):
            steps += 1
            if steps > limit:
                raise ValueError("its repeats never end (check the :| and |: signs)")
            token = self.tokens[i]
            if isinstance(token, str):
                self._emit(token)
                i += 1
                continue
            if isinstance(token, _Bar):
                ends = token.end and i != unclosed  # the :| of a skipped ending is no jump
                unclosed = -1
                group = self.closers.get(i)
                if ends and (group is None or playing is group):
                    if passes < (group.passes if group is not None else 2):
                        self._emit("|")
                        passes, playing = passes + 1, None
                        i = self._land(group.target if group is not None else self.targets[i])
                        continue
                    passes = 1 if not token.endings else passes  # its endings still count this pass
                if token.start or (token.double and playing is not None):
                    passes = 1
                if token.start or ends or token.double:
                    playing = None
                self._emit("|")
            numbers = _endings(token)
            if numbers:
                group = self.groups[i]
                if playing is group and not (isinstance(token, _Bar) and token.end) and passes < group.passes:
                    passes, playing = passes + 1, None  # a new ending while one plays: the repeat closes here
                    i = self._land(group.target)
                    continue
                if passes not in numbers:
                    i = self._skip(i)
                    unclosed = i
                    continue
                playing = group
            i += 1
        return "".join(self.out).split("\n")

    def _skip(self, index: int) -> int:
        """Skip an ending not played on this pass; return where playing goes on (its closing bar, if any)."""
        stop = self._stop_after(index)
        return self._land(len(self.tokens) if stop is None else stop)

    def _land(self, index: int) -> int:
        """Go on at ``index``: re-state the fields in force there that differ from those emitted."""
        wanted = self.states[index] if index < len(self.states) else self.states[-1] if self.states else {}
        changed = [line for letter, line in wanted.items() if self.emitted.get(letter) != line]
        if changed:
            self.out.append("\n" + "\n".join(changed) + "\n")
            self.emitted.update({line[0]: line for line in changed})
        return index

    def _emit(self, text: str) -> None:
        if text.endswith("\n") and text[:1] in _STATE_FIELDS and text[1:2] == ":":
            self.emitted[text[0]] = text.rstrip("\n")
            if self.out and not self.out[-1].endswith("\n"):
                text = "\n" + text
        self.out.append(text)
