"""How the music-transformer writes a band under a lead (the band request, Add a Band).

The five band tracks are an infill of :data:`ACCOMPANY_BARS` bar at a time
that sees the lead and the band so far on its left (a band bar is 100-200
tokens, so about a bar of band fits beside it in the 512-token window).
Left to itself the model writes thin bands: the bar's ``Dens`` token, the
notes of the masked tracks together, came out at 5-13 notes where the band
corpus's bars hold 17-49 (its drums fell silent in half the bars). So each
variation draws one count from the training pieces' own (:func:`bar_notes_table`:
each band piece's median notes per bar over its band tracks, in the card's
``accompaniment``) and forces every bar's ``Dens`` to it; which track plays
which notes stays the model's choice. MMA's bands keep one density through a
piece, hence one draw per variation, not per bar.
"""

from __future__ import annotations

import random
import statistics
from typing import Any, Iterable, Mapping

ACCOMPANY_BARS = 1  # a bar of band at a time (see above)
RULE = ("each variation draws one count from bar_notes (a training band piece's median notes per bar over its "
        "band tracks) and every bar's Dens token is forced to that count's bucket; the model writes the notes")


def bar_notes_table(pieces: Iterable[Any], lead_slots: Iterable[Iterable[int]]) -> list[int]:
    """Each piece's median count of band notes per bar (codec pieces; ``lead_slots``: each piece's lead
    track slots, whose notes are not the band's), sorted."""
    table = []
    for piece, leads in zip(pieces, lead_slots):
        skip = set(leads)
        counts = [sum(1 for e in bar if e.track not in skip) for bar in piece.bars]
        if counts and any(counts):
            table.append(int(statistics.median(counts)))
    return sorted(table)


def drawn_bar_notes(card: Mapping[str, Any], random_seed: int, variation: int) -> int | None:
    """The notes per bar variation ``variation`` writes (None: the card has no table; the model's own)."""
    table = (card.get("accompaniment") or {}).get("bar_notes")
    if not table:
        return None
    return int(random.Random(random_seed * 7919 + variation).choice(table))
