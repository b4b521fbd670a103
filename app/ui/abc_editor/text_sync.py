"""Pure helpers that keep ABC text and the score in step (no Qt: tested directly).

* :func:`merge_parsed` puts what the document knows and ABC does not say back
  into a parsed score: the mixer strip (volume, mute, solo) of each track by
  index, track names where the ABC has none, programs and drum flags unless
  the tune has ``%%MIDI program``/``%%MIDI channel`` lines, and provenance.
* :func:`same_music` tells whether two scores differ only in what ABC text
  does not show (the mixer strip; the name of a lone track), so the text
  need not be rewritten.
* :func:`rewrite_tune` writes a score as ABC into the place of one tune of a
  (possibly multi-tune) text, keeping its ``X:`` number and the header lines
  the writer does not produce (``C:``, ``N:``, ``O:``, comments...).
* :func:`edit_span` is the smallest replacement turning one text into another,
  in UTF-16 positions as QTextCursor counts them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.core.abc.tunes import tune_spans
from app.core.abc.write import write_abc
from app.core.score import Score, Track

_MIDI = re.compile(r"^\s*%%MIDI\s+(program|channel)\b", re.IGNORECASE)
_WRITTEN_FIELDS = frozenset("XTMLQKV")  # fields write_abc produces itself

Span = tuple[int, int, str]  # (start, end) in UTF-16 units of the old text, replacement


def merge_parsed(current: Score, parsed: Score, programs_from_abc: bool) -> Score:
    """``parsed`` with the document's track properties where ABC says nothing (see module doc)."""
    tracks: list[Track] = []
    for index, new in enumerate(parsed.tracks):
        if index >= len(current.tracks):
            tracks.append(replace(new, name=new.name or f"Track {index + 1}"))
            continue
        old = current.tracks[index]
        program, drum = (new.program, new.is_drum) if programs_from_abc else (old.program, old.is_drum)
        notes = old.notes if new.notes == old.notes else new.notes  # share what did not change
        tracks.append(replace(new, name=new.name or old.name, program=program, is_drum=drum, notes=notes,
                              volume=old.volume, mute=old.mute, solo=old.solo))
    return replace(parsed, tracks=tuple(tracks), provenance=current.provenance)


def _written_part(track: Track, alone: bool) -> tuple:
    return (None if alone else track.name, track.program, track.is_drum)


def same_music(a: Score, b: Score) -> bool:
    """True if ``a`` and ``b`` would be written as the same ABC (mixer strips aside)."""
    if (a.ppq, a.tempos, a.time_signatures, a.key, a.title) != (b.ppq, b.tempos, b.time_signatures, b.key, b.title):
        return False
    if len(a.tracks) != len(b.tracks):
        return False
    alone = len(a.tracks) == 1
    return all(_written_part(x, alone) == _written_part(y, alone) and (x.notes is y.notes or x.notes == y.notes)
               for x, y in zip(a.tracks, b.tracks))


def rewrite_tune(score: Score, text: str, tune_index: int) -> tuple[str, list[tuple[int, str]], Span]:
    """``text`` with tune ``tune_index`` replaced by ``score`` written as ABC.

    Returns the new text, its tunes ``(X: number, title)`` and the edit span
    from the old text to the new one.
    """
    written = write_abc(score).splitlines()
    spans = tune_spans(text)
    if not spans:
        new_text = "\n".join(written) + "\n"
    else:
        number, _, first, last = spans[max(0, min(tune_index, len(spans) - 1))]
        lines = text.splitlines()
        old = lines[first - 1: last]
        if old and old[0].lstrip().startswith("X:"):
            written[0] = f"X:{number}"
        written[1:1] = _kept_header_lines(old)
        new_text = "\n".join(lines[: first - 1] + written + lines[last:]) + "\n"
    tunes = [(number, title) for number, title, _, _ in tune_spans(new_text)]
    return new_text, tunes, edit_span(text, new_text)


def _kept_header_lines(lines: list[str]) -> list[str]:
    """Header lines of a tune (before ``K:``) that the writer would drop: C:, N:, O:, comments..."""
    kept = []
    for line in lines[1:]:
        if line.startswith("K:"):
            break
        field = re.match(r"([A-Za-z]):", line)
        if field and field.group(1) not in _WRITTEN_FIELDS or (line.startswith("%") and not _MIDI.match(line)):
            kept.append(line)
    return kept


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # bisect on slice equality: C speed for long texts
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low


def edit_span(old: str, new: str) -> Span:
    """The one replacement that turns ``old`` into ``new``: UTF-16 (start, end) in ``old`` and its text."""
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
    start = _utf16(old[:prefix])
    end = start + _utf16(old[prefix: len(old) - suffix])
    return start, end, new[prefix: len(new) - suffix]
