"""Pure edits of a score's tempo, meter and key maps: each returns a new Score.

A map always has a change at tick 0 (see ``Score``): it can be changed
(``set_*`` at tick 0) but not removed or moved away. Setting a change at a
tick that already has one replaces it; moving a change onto another replaces
that one. Meter changes snap to the nearest bar line of the meters before
them (later meter changes keep their ticks). Invalid values (a tempo outside
1-1000 bpm, a meter like 3/5, a key name that names no key) raise
:class:`MarkerError`, one sentence for the musician. The undoable commands in
the UI wrap these; the inverse of an edit is the score before it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, TypeVar

from app.core.errors import CadenzaError
from app.core.score import KeyChange, Score, TempoChange, TimeSignature
from app.core.timing import bar_lines

Change = TypeVar("Change", TempoChange, TimeSignature, KeyChange)


class MarkerError(CadenzaError):
    """A tempo, meter or key change that cannot be made (says which and why)."""


def _check_tick(tick: int) -> None:
    if tick < 0:
        raise MarkerError(f"A change cannot be placed before the start of the piece (tick {tick}).")


def _made(what: str, build: Callable[[], Change]) -> Change:
    try:
        return build()
    except ValueError as err:
        raise MarkerError(f"The {what} cannot be set: {err}.") from None


def _put(changes: tuple[Change, ...], change: Change) -> tuple[Change, ...]:
    """``changes`` with ``change`` in place of any at its tick, sorted by tick."""
    return tuple(sorted([c for c in changes if c.tick != change.tick] + [change], key=lambda c: c.tick))


def _without(changes: tuple[Change, ...], tick: int, what: str) -> tuple[Change, ...]:
    """``changes`` less the one at ``tick``; the opening one stays."""
    if tick == 0:
        raise MarkerError(f"The opening {what} can be changed but not removed.")
    kept = tuple(c for c in changes if c.tick != tick)
    if len(kept) == len(changes):
        raise MarkerError(f"There is no {what} change at tick {tick}.")
    return kept


def _find(changes: tuple[Change, ...], tick: int, what: str) -> Change:
    for change in changes:
        if change.tick == tick:
            return change
    raise MarkerError(f"There is no {what} change at tick {tick}.")


def _moving(changes: tuple[Change, ...], old_tick: int, new_tick: int, what: str) -> Change:
    """The change at ``old_tick``, checked to be one that may move to ``new_tick``."""
    _check_tick(new_tick)
    change = _find(changes, old_tick, what)
    if old_tick == 0 and new_tick != 0:
        raise MarkerError(f"The opening {what} stays at the start of the piece; change it instead.")
    return change


def _moved(changes: tuple[Change, ...], old_tick: int, new_tick: int, what: str) -> tuple[Change, ...]:
    """``changes`` with the one at ``old_tick`` moved to ``new_tick`` (replacing any there)."""
    change = _moving(changes, old_tick, new_tick, what)
    return _put(tuple(c for c in changes if c.tick != old_tick), replace(change, tick=new_tick))


# --- tempo -----------------------------------------------------------------

def set_tempo(score: Score, tick: int, bpm: float) -> Score:
    """``score`` with a tempo of ``bpm`` from ``tick`` on."""
    _check_tick(tick)
    change = _made("tempo", lambda: TempoChange(tick, float(bpm)))
    return replace(score, tempos=_put(score.tempos, change))


def remove_tempo(score: Score, tick: int) -> Score:
    """``score`` without the tempo change at ``tick`` (not the opening one)."""
    return replace(score, tempos=_without(score.tempos, tick, "tempo"))


def move_tempo(score: Score, old_tick: int, new_tick: int) -> Score:
    """``score`` with the tempo change at ``old_tick`` moved to ``new_tick``."""
    return replace(score, tempos=_moved(score.tempos, old_tick, new_tick, "tempo"))


# --- meter -----------------------------------------------------------------

def snap_to_bar(score: Score, tick: int, ignore: int | None = None) -> int:
    """The bar line nearest ``tick`` under the meters before it (the change at ``ignore`` left out)."""
    sigs = tuple(s for s in score.time_signatures if s.tick != ignore or s.tick == 0)
    base = replace(score, time_signatures=sigs)
    longest = max(s.bar_ticks(score.ppq) for s in sigs)
    lines = [bar.tick for bar in bar_lines(base, until=tick + longest)]
    return min(lines, key=lambda line: (abs(line - tick), line))


def set_meter(score: Score, tick: int, numerator: int, denominator: int) -> Score:
    """``score`` in ``numerator``/``denominator`` from the bar line nearest ``tick`` on."""
    _check_tick(tick)
    sig = _made("meter", lambda: TimeSignature(tick, int(numerator), int(denominator)))
    at = snap_to_bar(score, tick, ignore=tick)
    return replace(score, time_signatures=_put(score.time_signatures, replace(sig, tick=at)))


def remove_meter(score: Score, tick: int) -> Score:
    """``score`` without the meter change at ``tick`` (not the opening one)."""
    return replace(score, time_signatures=_without(score.time_signatures, tick, "meter"))


def move_meter(score: Score, old_tick: int, new_tick: int) -> Score:
    """``score`` with the meter change at ``old_tick`` moved to the bar line nearest ``new_tick``."""
    change = _moving(score.time_signatures, old_tick, new_tick, "meter")
    if old_tick == 0:
        return score
    rest = replace(score, time_signatures=tuple(c for c in score.time_signatures if c.tick != old_tick))
    at = snap_to_bar(rest, new_tick, ignore=new_tick)
    return replace(score, time_signatures=_put(rest.time_signatures, replace(change, tick=at)))


# --- key -------------------------------------------------------------------

def set_key(score: Score, tick: int, key: str) -> Score:
    """``score`` in ``key`` (a name such as ``"D minor"``) from ``tick`` on.

    On a score with no key yet, the first key set is its opening key, from tick 0.
    """
    _check_tick(tick)
    return replace(score, keys=_put(score.keys, _made("key", lambda: KeyChange(tick, key))))


def remove_key(score: Score, tick: int) -> Score:
    """``score`` without the key change at ``tick`` (not the opening one)."""
    return replace(score, keys=_without(score.keys, tick, "key"))


def move_key(score: Score, old_tick: int, new_tick: int) -> Score:
    """``score`` with the key change at ``old_tick`` moved to ``new_tick``."""
    return replace(score, keys=_moved(score.keys, old_tick, new_tick, "key"))
