"""vae-nn's training data: each piece as per-role pianorolls, and pairs of consecutive segments.

A piece's rolls carry ``margin`` extra pitch rows on each side, so
transposing by up to ``margin`` semitones is a slice; a piece's feasible
shifts keep every note of every role inside the role's window. Training
draws a shift per piece per epoch (seeded by (seed, epoch)); validation and
test use the pieces as written. A piece needs its lead track and at least two
segments (one pair).

Datasets: ``corpus:NAME`` and folders go through the shared corpus loader
(music21, cached); ``.npz`` files in a folder are read as LPD-5 pianorolls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from app.core.errors import DatasetError
from app.core.score import Score
from models.common.corpus import CorpusItem, load_scores, split_of

from models.vae_nn.lpd5 import read_lpd5
from models.vae_nn.pianoroll import STEPS, notes_to_rolls, score_grid
from models.vae_nn.roles import Role, assign_tracks


@dataclass
class PieceRolls:
    """One piece: per-role rolls ``(segments * 32, pitches + 2 * margin)`` and its feasible shifts."""

    rolls: list[np.ndarray]
    shifts: list[int]

    @property
    def segments(self) -> int:
        return self.rolls[0].shape[0] // STEPS


@dataclass
class VaeData:
    roles: tuple[Role, ...]
    margin: int
    train: list[PieceRolls]
    valid: list[PieceRolls]
    test: list[PieceRolls]
    datasets: dict[str, Any] = field(default_factory=dict)

    def pairs(self, split: str) -> int:
        return sum(p.segments - 1 for p in getattr(self, split))


def piece_rolls(score: Score, roles: Sequence[Role], margin: int) -> PieceRolls | None:
    """A piece's rolls, or None when it lacks the lead or is shorter than two segments."""
    parts = assign_tracks(score, roles)
    if not parts[0]:
        return None
    rolls = notes_to_rolls(parts, [(r.low, r.pitches) for r in roles], score_grid(score), margin=margin)
    if rolls[0].shape[0] < 2 * STEPS:
        return None
    shifts = [s for s in range(-margin, margin + 1)
              if all(r.low <= n.pitch + s < r.high for r, part in zip(roles, parts) if not r.is_drum for n in part)]
    return PieceRolls(rolls, shifts or [0])


def segment_pairs(piece: PieceRolls, role: int, margin: int, pitches: int, shift: int = 0) -> np.ndarray:
    """All ``(t, t + 1)`` segment pairs of one role, transposed by ``shift``: ``(segments - 1, 2, 32, P)``."""
    roll = piece.rolls[role][:, margin - shift: margin - shift + pitches]
    segs = roll.reshape(piece.segments, STEPS, pitches)
    return np.stack([segs[:-1], segs[1:]], axis=1)


def _folder_npz(spec: str) -> list[Path]:
    folder = Path(spec)
    return sorted(folder.rglob("*.npz")) if not spec.startswith("corpus:") and folder.is_dir() else []


def load_items(spec: str) -> tuple[list[CorpusItem], dict[str, Any]]:
    """A dataset's scores with their splits (LPD-5 ``.npz`` files read directly), and counts for the card."""
    npz = _folder_npz(spec)
    items: list[CorpusItem] = []
    skipped = 0
    for path in npz:
        try:
            key = str(path.relative_to(spec))
            items.append(CorpusItem(key, read_lpd5(path), split_of(key)))
        except DatasetError:
            skipped += 1
    try:
        report = load_scores(spec)
        items += report.items
        skipped += report.skipped
    except DatasetError:
        if not npz:
            raise
    if not items:
        raise DatasetError(f"No file of {spec} could be read ({skipped} skipped).")
    splits = {s: sum(1 for i in items if i.split == s) for s in ("train", "valid", "test")}
    info = {"items": len(items), "skipped": skipped, "lpd5_files": len(npz), "splits": splits}
    if spec == "corpus:band":  # pieces, bars, notes per role and grooves, for the card
        from models.common.band_corpus import band_summary

        info["summary"] = band_summary()
    return items, info


def prepare(items: Sequence[CorpusItem], roles: Sequence[Role], margin: int = 5,
            datasets: dict[str, Any] | None = None) -> VaeData:
    """Rolls of every usable piece by split; DatasetError when training would have nothing."""
    by_split: dict[str, list[PieceRolls]] = {"train": [], "valid": [], "test": []}
    for item in items:
        piece = piece_rolls(item.score, roles, margin)
        if piece is not None:
            by_split[item.split].append(piece)
    if not by_split["train"]:
        lead = roles[0].name
        raise DatasetError(f"No training piece has a '{lead}' track two segments long; "
                           "check the track roles (--roles) against the files' track names.")
    return VaeData(tuple(roles), margin, by_split["train"], by_split["valid"], by_split["test"], dict(datasets or {}))


def pair_batches(data: VaeData, pieces: Sequence, pitches: Sequence[int], shifts: Sequence[int],
                 order: np.ndarray | None, batch_size: int) -> list[list[np.ndarray]]:
    """Every pair of ``pieces`` (each transposed by its shift), in ``order``, cut into batches."""
    per_role = [np.concatenate([segment_pairs(p, k, data.margin, pitches[k], s) for p, s in zip(pieces, shifts)])
                for k in range(len(pitches))]
    index = order if order is not None else np.arange(len(per_role[0]))
    return [[roles[index[i: i + batch_size]] for roles in per_role] for i in range(0, len(index), batch_size)]
