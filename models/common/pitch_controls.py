"""The key lock and pitch range of the options table, as masks over a model's pitch tokens.

Shared by every model that writes notes from a vocabulary of pitch (and
chord) tokens: a pitch token is allowed when each of its pitches is in the
locked key's scale and inside ``lowest_pitch..highest_pitch``; tokens that
are not pitches are never masked. ``key_lock`` "seed" locks to the seed's key
(:func:`app.core.variations.score_key`, the key every part of Cadenza shows).

Pure: numpy only.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from app.core.keys import scale_pitch_classes
from app.core.score import Score
from app.core.variations import score_key
from models.common.options import GenerationOptions, OptionError, option


def locked_scale(options: GenerationOptions, seed: Score | None) -> frozenset[int] | None:
    """The pitch classes the key lock allows, or None when it is off."""
    if not options.key_lock or options.key_lock == "off":
        return None
    if options.key_lock == "seed":
        return scale_pitch_classes(score_key(seed) if seed is not None else None)
    return scale_pitch_classes(options.key_lock)


def pitch_range(options: GenerationOptions) -> tuple[int, int]:
    low = options.lowest_pitch or 0
    high = 127 if options.highest_pitch is None else options.highest_pitch
    if low > high:
        raise OptionError(option("lowest_pitch"), reason="is above the highest note")
    return low, high


def allowed_tokens(tokens: Sequence[str], pitches_of: Callable[[str], tuple[int, ...] | None],
                   options: GenerationOptions, seed: Score | None) -> np.ndarray | None:
    """(V,) bool: the tokens the controls allow (``pitches_of`` gives a token's pitches, None for a
    token that is not a pitch); None when no control is on. OptionError when no pitch token is left."""
    scale = locked_scale(options, seed)
    low, high = pitch_range(options)
    if scale is None and (low, high) == (0, 127):
        return None
    out = np.ones(len(tokens), dtype=bool)
    any_pitch = False
    for i, token in enumerate(tokens):
        pitches = pitches_of(token)
        if pitches is None:
            continue
        ok = all(low <= p <= high and (scale is None or p % 12 in scale) for p in pitches)
        out[i] = ok
        any_pitch |= ok
    if not any_pitch:
        raise OptionError(option("lowest_pitch"), reason="and the key lock leave no note this model knows")
    return out
