"""Scores <-> token ids for note-lstm; training windows; transposition done on tokens.

The tokens are ``models.common.note_tokens`` (pitch/chord, duration, wait).
Transposing a score and re-encoding it each epoch would run the quantiser
over the whole corpus again; :class:`PieceSet` instead keeps every training
piece's unmapped tokens once and transposes them through a lookup table per
shift, drawing the shift exactly as ``augment.random_transposition`` does (one
``rng.choice`` over ``augment.feasible_shifts`` of the score). The ids are the
same as ``encode_score(random_transposition(score, rng))`` would give.

Tempo scaling (``augment.scale_tempo``: half-time and double-time notation)
is encoded once per piece for each factor that the 12-steps-per-quarter grid
holds exactly (a piece of sixteenths has no half-time version; one with
whole notes no double-time one); each epoch then draws a factor per piece
with the same seeded RNG, after the shifts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

import numpy as np

from app.core.score import Score, Track
from models.common.augment import feasible_shifts, scale_tempo
from models.common.note_tokens import (STEPS_PER_QUARTER, Vocabulary, decode_tokens, encode_score, parse_pitch_token,
                                       pitch_token, token_kind, tokens_to_score)

TEMPO_FACTORS = (0.5, 2.0)  # besides 1: half-time and double-time notation
TEMPO_KEEP = 0.5  # probability of keeping a piece's own note values when others are feasible

PAD = -100  # padding in training windows (ignored by the loss)
NEUTRAL_START = ("c48.60.64.67", "d12", "w12")  # a C major chord, a quarter note, when there is no seed


class NoteCodec:
    """A vocabulary plus the conversions note-lstm needs."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> "NoteCodec":
        return cls(Vocabulary(tokens))

    def __len__(self) -> int:
        return len(self.vocab)

    def encode_tokens(self, tokens: Iterable[str]) -> np.ndarray:
        """Token strings -> ids (N,) int64 (rare chords map to their top note)."""
        return np.asarray(self.vocab.encode(tokens), dtype=np.int64)

    def encode(self, score: Score) -> np.ndarray:
        """A score reduced to piano -> ids (N,) int64."""
        return self.encode_tokens(encode_score(score))

    def decode(self, ids: Iterable[int], like: Score | None = None, end_steps: int | None = None) -> Score:
        """Ids -> a one-track piano score in ``like``'s tempo/meter/key, cut at ``end_steps`` grid steps."""
        score = tokens_to_score(self.vocab.decode(ids), like=like)
        if end_steps is None:
            return score
        end = round(end_steps * score.ppq / STEPS_PER_QUARTER)
        notes = [replace(n, duration=min(n.duration, end - n.start)) for n in score.tracks[0].notes if n.start < end]
        return replace(score, tracks=(Track(score.tracks[0].name, 0, False, tuple(notes)),))


def shift_token(token: str, semitones: int) -> str | None:
    """A pitch/chord token moved by ``semitones`` (None if it leaves 0-127); others unchanged."""
    if token_kind(token) != "p" or semitones == 0:
        return token
    pitches = [p + semitones for p in parse_pitch_token(token)]
    if min(pitches) < 0 or max(pitches) > 127:
        return None
    return pitch_token(pitches)


def tempo_variants(score: Score, tokens: Sequence[str] | None = None) -> dict[float, list[str]]:
    """``{factor: tokens of scale_tempo(score, factor)}`` for each factor the grid holds exactly."""
    tokens = encode_score(score) if tokens is None else tokens
    notes = [(n.start, n.pitch, n.duration) for n in decode_tokens(tokens, score.ppq)]
    out = {}
    for factor in TEMPO_FACTORS:
        scaled = encode_score(scale_tempo(score, factor))
        want = [(round(a * factor), p, round(d * factor)) for a, p, d in notes]
        if [(n.start, n.pitch, n.duration) for n in decode_tokens(scaled, score.ppq)] == want:
            out[factor] = scaled
    return out


class PieceSet:
    """Training pieces as unmapped tokens, transposable by table lookup, with their tempo variants."""

    def __init__(self, codec: NoteCodec, pieces: Sequence[Sequence[str]], shifts: Sequence[Sequence[int]],
                 max_shift: int = 6, tempos: Sequence[dict[float, Sequence[str]]] | None = None) -> None:
        self.codec, self.max_shift = codec, max_shift
        tempos = list(tempos) if tempos is not None else [{} for _ in pieces]
        raw = sorted({t for piece in pieces for t in piece} | {t for v in tempos for p in v.values() for t in p})
        index = {t: i for i, t in enumerate(raw)}

        def to_raw(piece: Sequence[str]) -> np.ndarray:
            return np.asarray([index[t] for t in piece], dtype=np.int64)

        self.raw_ids = [to_raw(piece) for piece in pieces]
        self.tempo_ids = [{f: to_raw(p) for f, p in sorted(v.items())} for v in tempos]
        self.shifts = [list(s) or [0] for s in shifts]
        # table[s + max_shift, raw id] -> vocabulary id of the token moved by s semitones
        self.table = np.stack([self._table(raw, s) for s in range(-max_shift, max_shift + 1)])

    @classmethod
    def from_scores(cls, codec: NoteCodec, scores: Sequence[Score], max_shift: int = 6,
                    tempo: bool = False) -> "PieceSet":
        tokens = [encode_score(s) for s in scores]
        return cls(codec, tokens, [feasible_shifts(s, max_shift) for s in scores], max_shift,
                   [tempo_variants(s, t) for s, t in zip(scores, tokens)] if tempo else None)

    def _table(self, raw: list[str], shift: int) -> np.ndarray:
        same = self.codec.encode_tokens(raw) if raw else np.zeros(0, dtype=np.int64)
        moved = [shift_token(t, shift) for t in raw]
        return np.asarray([self.codec.vocab.encode([m])[0] if m is not None else same[i]
                           for i, m in enumerate(moved)], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.raw_ids)

    def lengths(self) -> list[int]:
        """Tokens per piece (the same for every shift)."""
        return [len(r) for r in self.raw_ids]

    def draw_shifts(self, rng: np.random.Generator) -> list[int]:
        """One shift per piece, in order, drawn as ``random_transposition`` draws it."""
        return [int(rng.choice(s)) for s in self.shifts]

    def draw_tempos(self, rng: np.random.Generator) -> list[float]:
        """One tempo factor per piece, in order: 1 with probability TEMPO_KEEP, else a feasible other one."""
        out = []
        for variants in self.tempo_ids:
            others = list(variants)
            keep = not others or rng.random() < TEMPO_KEEP
            out.append(1.0 if keep else float(others[int(rng.integers(len(others)))]))
        return out

    def ids(self, index: int, shift: int = 0, tempo: float = 1.0) -> np.ndarray:
        """Piece ``index`` in tempo variant ``tempo``, transposed by ``shift`` semitones, as vocabulary ids (N,)."""
        raw = self.raw_ids[index] if tempo == 1.0 else self.tempo_ids[index][tempo]
        return self.table[shift + self.max_shift, raw]


def window_count(n_tokens: int, length: int) -> int:
    """Windows of ``length`` inputs (+1 target) cut from a piece of ``n_tokens`` (at least one)."""
    return max(1, (n_tokens - 1) // length)


def make_windows(pieces: Sequence[np.ndarray], length: int, rng: np.random.Generator | None = None,
                 counts: Sequence[int] | None = None) -> np.ndarray:
    """Non-overlapping windows (N, length + 1) of every piece, padded with PAD.

    With ``rng``, each piece's windows start at a random offset inside its
    slack (the count never changes, so the epoch size is fixed); without,
    at 0. ``counts`` fixes each piece's window count (a tempo variant keeps
    its original's count, so every epoch has as many batches).
    """
    rows = []
    for i, ids in enumerate(pieces):
        count = window_count(len(ids), length) if counts is None else counts[i]
        slack = max(0, len(ids) - 1 - count * length)
        start = int(rng.integers(0, slack + 1)) if rng is not None and slack else 0
        for k in range(count):
            chunk = ids[start + k * length: start + (k + 1) * length + 1]
            row = np.full(length + 1, PAD, dtype=np.int64)
            row[: len(chunk)] = chunk
            rows.append(row)
    return np.stack(rows) if rows else np.zeros((0, length + 1), dtype=np.int64)


def seed_ids(codec: NoteCodec, seed: Score | None, max_tokens: int = 384) -> np.ndarray:
    """The ids to warm the network on: the seed's last ``max_tokens`` (from an onset), or a neutral chord."""
    ids = codec.encode(seed) if seed is not None and seed.note_count else np.zeros(0, dtype=np.int64)
    if len(ids) == 0:
        return codec.encode_tokens(NEUTRAL_START)
    if len(ids) > max_tokens:
        kinds = [token_kind(t) for t in codec.vocab.decode(ids[-max_tokens:])]
        ids = ids[len(ids) - max_tokens + kinds.index("p"):] if "p" in kinds else ids[-max_tokens:]
    return ids
