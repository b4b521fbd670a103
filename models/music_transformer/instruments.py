"""The instruments option: which tracks a continuation writes, as (name, GM program) slots.

"as the seed" writes the seed's own tracks. Any other choice adds its tracks
after the seed's in the header, so the seed stays the context, and the model
writes only the new ones (the variation holds just those). Program 128 is the
drum kit (see ``vocab.DRUM_PROGRAM``).
"""

from __future__ import annotations

from models.music_transformer.vocab import DRUM_PROGRAM

ENSEMBLE_TRACKS: dict[str, tuple[tuple[str, int], ...]] = {
    "piano": (("Piano", 0),),
    "piano and bass": (("Piano", 0), ("Bass", 33)),
    "lead and piano": (("Lead", 73), ("Piano", 0)),
    "string quartet": (("Violin 1", 40), ("Violin 2", 40), ("Viola", 41), ("Cello", 42)),
    "four voices": (("Soprano", 52), ("Alto", 52), ("Tenor", 52), ("Bass", 52)),
    "lead, piano, bass and drums": (("Lead", 73), ("Piano", 0), ("Bass", 33), ("Drums", DRUM_PROGRAM)),
}


def ensemble(choice: str | None) -> tuple[tuple[str, int], ...]:
    """The (name, program) of each track to write; empty for the seed's own tracks."""
    return ENSEMBLE_TRACKS.get(choice or "", ())
