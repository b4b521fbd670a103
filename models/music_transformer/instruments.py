"""The instruments option: which tracks a continuation writes, as (name, GM program) slots (the options
table's ``ENSEMBLE_TRACKS``).

"as the seed" writes the seed's own tracks. Any other choice adds its tracks
after the seed's in the header, so the seed stays the context, and the model
writes only the new ones (the variation holds just those). Program 128 is the
drum kit (see ``vocab.DRUM_PROGRAM``).
"""

from __future__ import annotations

from models.common.options import ENSEMBLE_TRACKS  # its DRUM_KIT is vocab.DRUM_PROGRAM (a test holds them equal)


def ensemble(choice: str | None) -> tuple[tuple[str, int], ...]:
    """The (name, program) of each track to write; empty for the seed's own tracks."""
    return ENSEMBLE_TRACKS.get(choice or "", ())
