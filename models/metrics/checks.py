"""Plain checks of generated pieces: notes in key, and copying from the training set.

* **In-key share**: the share of a piece's (non-drum) notes whose pitch class
  belongs to the diatonic scale of the piece's key (``Score.key``; a modal key
  uses its own scale). A piece without a known key is given the major scale
  (of the twelve) that holds the most of its notes.
* **Copying**: a piece is read as a sequence of note events, each a pitch and a
  length in 16th notes (nearest, at least one), in onset order (by start,
  then pitch; rests are not events). The copying check is the length of the
  longest run of consecutive events that also occurs, consecutively, in some
  piece of the training set. Runs are found by hashing every window of each
  length (a 64-bit polynomial hash with an odd random base, so a false match
  is about as likely as 2**-64 per pair) and a binary search on the length.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from app.core.abc.notes import abc_notes
from app.core.keys import scale_pitch_classes
from app.core.variations import score_key
from app.core.score import Score

from models.metrics.features import piece_notes

_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so invertible modulo 2**64
_BASE_INV = np.uint64(pow(int(_BASE), -1, 2 ** 64))
LENGTH_CAP = 511  # event lengths in 16ths are capped here (32 whole notes)


def key_scale(score: Score) -> frozenset[int]:
    """The pitch classes of the piece's diatonic scale, in its key as Cadenza finds it (``score_key``);
    empty without pitched notes."""
    key = score_key(score)
    return scale_pitch_classes(key) if key else frozenset()


def in_key_share(score: Score) -> float | None:
    """The share of notes in the key's scale (None for a piece without notes)."""
    notes = piece_notes(score)
    if not notes:
        return None
    scale = key_scale(score)
    return sum(n.pitch % 12 in scale for n in notes) / len(notes)


def event_id(pitch: int, sixteenths: int) -> int:
    """One note event (pitch, length in 16ths) as a positive integer."""
    return pitch * (LENGTH_CAP + 1) + min(max(int(sixteenths), 1), LENGTH_CAP) + 1


def note_events(score: Score) -> list[int]:
    """The piece's note events (see the module docstring), in onset order."""
    step = score.ppq / 4
    return [event_id(n.pitch, round(n.duration / step)) for n in piece_notes(score)]


def abc_note_events(text: str) -> list[int]:
    """The note events of one ABC tune, read without music21 (``app.core.abc.notes``)."""
    return [event_id(pitch, sixteenths) for pitch, sixteenths in abc_notes(text)]


def _prefix_hashes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(prefix, powers)``: prefix[i] hashes values[:i]; powers[i] = BASE**i (both modulo 2**64)."""
    n = len(values)
    powers = np.ones(n + 1, dtype=np.uint64)
    inverse = np.ones(n + 1, dtype=np.uint64)
    if n:
        powers[1:] = np.cumprod(np.full(n, _BASE, dtype=np.uint64), dtype=np.uint64)
        inverse[1:] = np.cumprod(np.full(n, _BASE_INV, dtype=np.uint64), dtype=np.uint64)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    # prefix[i + 1] = sum_j values[j] * BASE**(i - j) = BASE**i * sum_j values[j] * BASE**-j
    prefix[1:] = powers[:n] * np.cumsum(values.astype(np.uint64) * inverse[:n], dtype=np.uint64)
    return prefix, powers


def _window_hashes(prefix: np.ndarray, powers: np.ndarray, length: int) -> np.ndarray:
    """Hashes of every window of ``length`` values (the hash of values[i:i+length] at i)."""
    return prefix[length:] - prefix[:-length] * powers[length]


class CopyIndex:
    """The training set's event sequences, asked for the longest run a piece shares with them."""

    def __init__(self, sequences: Iterable[Sequence[int]]) -> None:
        seqs = [np.asarray(s, dtype=np.uint64) for s in sequences if len(s)]
        self.values = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.uint64)
        self.owner = np.repeat(np.arange(len(seqs)), [len(s) for s in seqs])
        self.prefix, self.powers = _prefix_hashes(self.values)
        self.longest = max((len(s) for s in seqs), default=0)
        self._sets: dict[int, np.ndarray] = {}

    def _hash_set(self, length: int) -> np.ndarray:
        """Sorted hashes of every window of ``length`` events inside one training sequence."""
        if length not in self._sets:
            hashes = _window_hashes(self.prefix, self.powers, length)
            inside = self.owner[: len(hashes)] == self.owner[length - 1:]
            self._sets[length] = np.sort(hashes[inside])
        return self._sets[length]

    def _shares(self, prefix: np.ndarray, powers: np.ndarray, length: int) -> bool:
        if length > self.longest:
            return False
        known = self._hash_set(length)
        hashes = _window_hashes(prefix, powers, length)
        pos = np.clip(np.searchsorted(known, hashes), 0, max(len(known) - 1, 0))
        return bool(len(known) and (known[pos] == hashes).any())

    def longest_run(self, events: Sequence[int]) -> int:
        """The length of the longest run of ``events`` found in some training sequence."""
        prefix, powers = _prefix_hashes(np.asarray(events, dtype=np.uint64))
        low, high = 0, len(events)  # a run of ``low`` is shared; none longer than ``high`` can be
        while low < high:
            mid = (low + high + 1) // 2
            if self._shares(prefix, powers, mid):
                low = mid
            else:
                high = mid - 1
        return low

