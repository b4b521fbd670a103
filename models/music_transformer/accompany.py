"""How the music-transformer writes a band under a lead (the band request, Add a Band).

The five band tracks are an infill of :data:`ACCOMPANY_BARS` bar at a time
that sees the lead and the band so far on its left (a band bar is 100-200
tokens, so about a bar of band fits beside it in the 512-token window).
Left to itself the model writes thin bands: the bar's ``Dens`` token, the
notes of the masked tracks together, came out at 5-13 notes where the band
corpus's bars hold 17-49 (its drums fell silent in half the bars). So each
variation draws one density from the training pieces' own (:func:`quarter_notes_table`:
each band piece's median band notes per quarter note, in the card's
``accompaniment``) and forces every bar's ``Dens`` to it times the bar's
quarters (a 2/4 bar half a 4/4 one's); which track plays which notes stays the
model's choice. MMA's bands keep one density through a piece, hence one draw
per variation, not per bar.
"""

from __future__ import annotations

import random
import statistics
from typing import Any, Iterable, Mapping, Sequence

ACCOMPANY_BARS = 1  # a bar of band at a time (see above)
RULE = ("each variation draws one density from notes_per_quarter (a training band piece's median band notes per "
        "quarter note) and every bar's Dens token is forced to the bucket of that density times the bar's "
        "quarters; the model writes the notes")


def quarters(meter: str) -> float:
    """Quarter notes in a bar of ``meter`` ("6/8" -> 3.0)."""
    n, d = (int(x) for x in meter.split("/"))
    return 4 * n / d


def quarter_notes_table(pieces: Iterable[Any], lead_slots: Iterable[Iterable[int]]) -> list[float]:
    """Each piece's median of its bars' band notes per quarter note (codec pieces; ``lead_slots``: each
    piece's lead track slots, whose notes are not the band's), sorted, to a hundredth."""
    table = []
    for piece, leads in zip(pieces, lead_slots):
        skip = set(leads)
        rates = [sum(1 for e in bar if e.track not in skip) / quarters(meter)
                 for bar, meter in zip(piece.bars, piece.meters)]
        if rates and any(rates):
            table.append(round(statistics.median(rates), 2))
    return sorted(table)


def accompaniment_card(pieces: Sequence[Any], source: str) -> dict[str, Any]:
    """The card's ``accompaniment`` from the training band pieces (codec pieces of ``source``): the table
    :func:`drawn_density` draws from, the rule, and what it was measured on."""
    from app.core.score import Track
    from models.common.band_roll import LEAD, track_role
    from models.music_transformer.vocab import DRUM_PROGRAM

    leads = [[k for k, (name, program) in enumerate(zip(p.names, p.programs))
              if track_role(Track(name, program % 128, program == DRUM_PROGRAM)) == LEAD] for p in pieces]
    return {"notes_per_quarter": quarter_notes_table(pieces, leads), "rule": RULE,
            "measured_on": f"the {len(pieces)} training pieces of {source}"}


def drawn_density(card: Mapping[str, Any], random_seed: int, variation: int) -> float | None:
    """The band notes per quarter note variation ``variation`` writes (None: no table in the card)."""
    table = (card.get("accompaniment") or {}).get("notes_per_quarter")
    if not table:
        return None
    return float(random.Random(random_seed * 7919 + variation).choice(table))


def bar_notes(density: float, meter: str) -> int:
    """The notes a bar of ``meter`` holds at ``density`` notes per quarter."""
    return max(1, round(density * quarters(meter)))
