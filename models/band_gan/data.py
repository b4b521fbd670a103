"""band-gan's training data: two-bar band segments with their lead, previous segment and chords.

Pieces are read as band rolls (``models.common.band_roll``: the lead and the five roles as 128-pitch
rolls on a 16th grid, tracks matched to roles the way every band model matches them). A segment is
32 steps, two bars of 4/4 from a bar line; pieces in other meters are left out (counted in the card).
Each segment comes with its *condition*: the lead's segment and the band's previous segment (silence
before the first), and its chords: per beat, the share of the beat's four steps in which each pitch
class sounds in the band's pitched roles (bass, guitar, piano, strings). Training transposes each
piece by a shift drawn per piece per epoch from those (within ±5) that keep every note in 0-127.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from app.core.errors import DatasetError
from models.common.band_roll import TRACKS, bar_steps, feasible_shifts, score_rolls, shifted

from models.band_gan.model import BEATS, CHROMA, STEPS

SHIFT_LIMIT = 5
PITCHED = [k for k, name in enumerate(TRACKS) if name not in ("lead", "drums")]  # the chords' sources


def chroma(band: np.ndarray) -> np.ndarray:
    """Chords of a ``(5, 32, 128)`` band segment (roles as in band_roll.ROLES): ``(8, 12)`` shares in [0, 1]."""
    pitched = band[[k - 1 for k in PITCHED]].any(axis=0)  # (32, 128): a pitched role sounds
    classes = np.zeros((STEPS, CHROMA), dtype=bool)
    for pc in range(CHROMA):
        classes[:, pc] = pitched[:, pc::CHROMA].any(axis=1)
    return classes.reshape(BEATS, STEPS // BEATS, CHROMA).mean(axis=1, dtype=np.float32)


def segments(rolls: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A piece's ``(6, steps, 128)`` rolls as ``(bands (N, 5, 32, 128), conditions (N, 6, 32, 128),
    chords (N, 8, 12))``, one per whole 32-step segment."""
    n = rolls.shape[1] // STEPS
    cut = rolls[:, : n * STEPS].reshape(rolls.shape[0], n, STEPS, -1).transpose(1, 0, 2, 3)  # (N, 6, 32, 128)
    bands = cut[:, 1:]
    previous = np.concatenate([np.zeros_like(bands[:1]), bands[:-1]])
    conditions = np.concatenate([cut[:, :1], previous], axis=1)
    return bands, conditions, np.stack([chroma(b) for b in bands]) if n else np.zeros((0, BEATS, CHROMA), np.float32)


@dataclass
class GanData:
    """Pieces' rolls by split (4/4 only), each with its feasible transpositions, and the card's data facts."""

    train: list[np.ndarray]
    valid: list[np.ndarray]
    test: list[np.ndarray]
    shifts: list[list[int]]  # per training piece
    datasets: dict[str, Any] = field(default_factory=dict)

    def count(self, split: str) -> int:
        """Segments in a split."""
        return sum(r.shape[1] // STEPS for r in getattr(self, split))


def load_data(specs: Sequence[str]) -> GanData:
    """Every 4/4 piece of ``specs`` with a band part, two bars or longer; DatasetError when none trains."""
    from models.common.corpus import load_scores

    data = GanData([], [], [], [])
    for spec in specs:
        report = load_scores(spec)
        other_meters = used = 0
        for item in report.items:
            if bar_steps(item.score) != 16:
                other_meters += 1
                continue
            rolls = score_rolls(item.score)
            if rolls.shape[1] < STEPS or not rolls[1:].any():
                continue
            getattr(data, item.split).append(rolls)
            used += 1
        info: dict[str, Any] = {"items": len(report.items), "skipped": report.skipped, "used": used,
                                "left_out_not_4_4": other_meters}
        if spec == "corpus:band":
            from models.common.band_corpus import band_summary

            info["summary"] = band_summary()
        data.datasets[spec] = info
    if not data.train:
        raise DatasetError(f"No training piece of {', '.join(specs)} has a band part (drums, bass, guitar, piano "
                           "or strings) two bars of 4/4 long; train on corpus:band or multi-track MIDI files.")
    data.shifts = [feasible_shifts(r, SHIFT_LIMIT) for r in data.train]
    return data


def split_segments(pieces: Sequence[np.ndarray], shifts: Sequence[int] | None = None):
    """All segments of ``pieces`` (each transposed by its shift) as the three arrays of :func:`segments`."""
    parts = [segments(shifted(r, s) if shifts else r) for r, s in zip(pieces, shifts or [0] * len(pieces))]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
