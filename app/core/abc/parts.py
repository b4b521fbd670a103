"""ABC parts (``P:``, ABC 2.1 section 3.1.9): a voice's music played in the header's part order.

In the header, ``P:`` gives the order the parts are played in: ``P:ABA``,
``P:A2B`` (A twice), ``P:(AB)3``, ``P:A.B.C`` (dots and spaces are only for
reading). In the body, ``P:A`` starts part A. :func:`play` plays a voice's
music out in that order, each part's repeats and endings expanded on their
own (``repeats.py``), with the ``K: M: L: Q:`` fields in force where the part
starts; music before the first part is played first. Without an order (or
without parts in the body) the music is played as written. abc2midi plays
parts the same way.
"""

from __future__ import annotations

import re

from app.core.abc import repeats

_STATE_FIELD = re.compile(r"^[KMLQI]:")
_MAX_PARTS = 256  # a part order longer than this is cut (a hostile P:(((A9)9)9)9)
_MAX_GROWTH = 64  # the parts played out are at most this many times the music written


def play(lines: list[str], order: str | None, state: dict[str, str]) -> list[str]:
    """``lines`` (music and field lines, ``P:X`` lines starting parts) played in ``order``."""
    labels = [line for line in lines if line.startswith("P:")]
    sequence = play_order(order or "")
    if not labels or not sequence:
        return repeats.expand([line for line in lines if not line.startswith("P:")], state)
    intro: list[str] = []
    parts: dict[str, list[str]] = {}
    starts: dict[str, dict[str, str]] = {}
    current, running = intro, dict(state)
    for line in lines:
        if line.startswith("P:"):
            label = line[2:].strip()[:1].upper()
            starts.setdefault(label, dict(running))
            current = parts.setdefault(label, [])
            continue
        if _STATE_FIELD.match(line):
            running[line[0]] = line
        current.append(line)
    played = repeats.expand(intro, state) if intro else []
    expanded = {label: repeats.expand(music, starts[label]) for label, music in parts.items()}
    budget = _MAX_GROWTH * sum(len(line) for line in lines) + 10_000
    for label in sequence:
        if label in expanded:
            played += list(starts[label].values()) + expanded[label]
            budget -= sum(len(line) for line in expanded[label])
            if budget < 0:
                raise ValueError(f"its part order P:{order} plays far more music than it writes")
    return played


def play_order(text: str) -> list[str]:
    """``"A(BC)2D"`` -> ``["A", "B", "C", "B", "C", "D"]``; [] when it names no part."""
    tokens = re.findall(r"[A-Za-z]|\d+|[()]", text)
    sequence, _ = _sequence(tokens, 0)
    return sequence[:_MAX_PARTS]


def _sequence(tokens: list[str], pos: int) -> tuple[list[str], int]:
    """The parts from ``tokens[pos]`` up to a closing ``)`` (or the end); and where it stopped."""
    out: list[str] = []
    while pos < len(tokens) and tokens[pos] != ")":
        token = tokens[pos]
        if token == "(":
            group, pos = _sequence(tokens, pos + 1)
            pos += 1  # past ")"
        elif token.isalpha():
            group, pos = [token.upper()], pos + 1
        else:  # a count with nothing before it
            pos += 1
            continue
        count = 1
        if pos < len(tokens) and tokens[pos].isdigit():
            count, pos = min(int(tokens[pos]), 16), pos + 1
        out += group * count
        if len(out) > _MAX_PARTS:
            return out[:_MAX_PARTS], len(tokens)
    return out, pos
