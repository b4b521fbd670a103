"""Note/chord tokens with durations and offsets (shared by the note-token models).

After Skuldur's Classical-Piano-Composer, a score is reduced to piano and read
as a sequence of onsets; each onset is a pitch ("p60") or chord ("c55.60.64")
token. Unlike the original, rhythm is generated rather than fixed at 0.5
beats: every onset is followed by a duration token ("d12") and a wait token
("w6", the time to the next onset). Times are on a grid of 12 steps per
quarter note, which holds sixteenths and eighth-note triplets.

The stream is always ``P D W P D W ...``; :func:`token_kind` tells a decoder
which kind comes next, so generation can mask the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from app.core.score import Note, Score, Track

STEPS_PER_QUARTER = 12
LENGTHS = (3, 4, 6, 8, 9, 12, 16, 18, 24, 36, 48)  # grid steps: 16th ... whole
MAX_CHORD = 4
KINDS = ("p", "d", "w")  # pitch/chord, duration, wait


def nearest_length(steps: float) -> int:
    return min(LENGTHS, key=lambda v: (abs(v - steps), v))


def token_kind(token: str) -> str:
    """``'p'`` for pitch and chord tokens, ``'d'`` duration, ``'w'`` wait."""
    return "p" if token[0] in "pc" else token[0]


@dataclass(frozen=True)
class Onset:
    """One onset: its pitches, duration and wait, both in grid steps."""

    pitches: tuple[int, ...]
    duration: int
    wait: int


def pitch_token(pitches: Sequence[int]) -> str:
    pitches = sorted(set(pitches))
    if len(pitches) > MAX_CHORD:  # keep the bass and the top voices
        pitches = [pitches[0]] + pitches[-(MAX_CHORD - 1):]
    return f"p{pitches[0]}" if len(pitches) == 1 else "c" + ".".join(map(str, pitches))


def parse_pitch_token(token: str) -> tuple[int, ...]:
    return (int(token[1:]),) if token[0] == "p" else tuple(int(x) for x in token[1:].split("."))


def token_pitches(token: str) -> tuple[int, ...] | None:
    """The pitches of a pitch or chord token; None for a duration or wait token."""
    return parse_pitch_token(token) if token_kind(token) == "p" else None


def score_onsets(score: Score) -> list[Onset]:
    """Quantised onsets of every non-drum note, merged to one piano part."""
    step = score.ppq / STEPS_PER_QUARTER
    groups: dict[int, list[Note]] = {}
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            groups.setdefault(round(note.start / step), []).append(note)
    times = sorted(groups)
    onsets = []
    for i, t in enumerate(times):
        notes = groups[t]
        dur = nearest_length(max(n.duration for n in notes) / step)
        wait = times[i + 1] - t if i + 1 < len(times) else dur
        onsets.append(Onset(tuple(sorted({n.pitch for n in notes})), dur, wait))
    return onsets


def encode_onsets(onsets: Iterable[Onset]) -> list[str]:
    """Onsets -> ``P D W`` tokens; long waits become several wait tokens of one onset."""
    tokens: list[str] = []
    for onset in onsets:
        tokens += [pitch_token(onset.pitches), f"d{onset.duration}"]
        tokens += [f"w{w}" for w in split_wait(onset.wait)]
    return tokens


def split_wait(steps: int) -> list[int]:
    """A wait as a sum of allowed lengths (at least one token; 0 becomes a 16th)."""
    parts, left = [], max(int(steps), 0)
    while left > LENGTHS[-1]:
        parts.append(LENGTHS[-1])
        left -= LENGTHS[-1]
    parts.append(nearest_length(left) if left else LENGTHS[0])
    return parts


def encode_score(score: Score) -> list[str]:
    return encode_onsets(score_onsets(score))


def decode_tokens(tokens: Iterable[str], ppq: int = 480, start_tick: int = 0,
                  velocity: int = 80) -> list[Note]:
    """Tokens -> notes, tolerant of any order (a stray token is skipped)."""
    step = ppq / STEPS_PER_QUARTER
    notes: list[Note] = []
    pitches: tuple[int, ...] = ()
    time = 0
    for token in tokens:
        kind = token_kind(token)
        if kind == "p":
            pitches = parse_pitch_token(token)
        elif kind == "d" and pitches:
            dur = max(1, round(int(token[1:]) * step))
            start = start_tick + round(time * step)
            notes += [Note(start, min(127, max(0, p)), dur, velocity) for p in pitches]
            pitches = ()
        elif kind == "w":
            time += int(token[1:])
    return notes


def bar_steps(score: Score | None, tick: int = 0) -> int:
    """Grid steps in one bar of the meter in force at ``tick`` (4/4 without a score)."""
    from app.core.timing import signature_at

    sig = signature_at(score or Score(), tick)
    return sig.numerator * STEPS_PER_QUARTER * 4 // sig.denominator


def continuation_context(seed: Score | None) -> Score:
    """An empty score in the tempo, meter and key in force at the seed's end (where a continuation starts)."""
    from app.core.score import TempoChange, TimeSignature
    from app.core.timing import bpm_at, signature_at

    if seed is None:
        return Score()
    tick = max(seed.end - 1, 0)
    sig = signature_at(seed, tick)
    return Score(ppq=seed.ppq, tempos=(TempoChange(0, bpm_at(seed, tick)),),
                 time_signatures=(TimeSignature(0, sig.numerator, sig.denominator),),
                 key=seed.key_at(tick) or seed.key, title=seed.title)  # a key text that names no key stays


def tokens_steps(tokens: Iterable[str]) -> int:
    """Total grid steps the wait tokens advance."""
    return sum(int(t[1:]) for t in tokens if t[0] == "w")


def tokens_to_score(tokens: Sequence[str], like: Score | None = None, start_tick: int = 0,
                    name: str = "Piano") -> Score:
    """A one-track piano score from tokens, keeping ``like``'s tempo, meter and key."""
    base = like or Score()
    notes = decode_tokens(tokens, base.ppq, start_tick)
    return Score(tracks=(Track(name, 0, False, tuple(notes)),), ppq=base.ppq, tempos=base.tempos,
                 time_signatures=base.time_signatures, key=base.key, title=base.title)


class Vocabulary:
    """Token <-> id; rare chords map to their top note, so every piece encodes."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.kind_masks = {k: np.array([token_kind(t) == k for t in self.tokens]) for k in KINDS}

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], min_count: int = 2) -> "Vocabulary":
        counts = Counter(t for seq in sequences for t in seq)
        fixed = [f"d{v}" for v in LENGTHS] + [f"w{v}" for v in LENGTHS] + [f"p{p}" for p in range(128)]
        chords = sorted(t for t, c in counts.items() if t[0] == "c" and c >= min_count)
        return cls(fixed + chords)

    def __len__(self) -> int:
        return len(self.tokens)

    def map_token(self, token: str) -> str:
        if token in self.index or token[0] != "c":
            return token
        return f"p{parse_pitch_token(token)[-1]}"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.index[self.map_token(t)] for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[int(i)] for i in ids]

    def next_kind(self, token: str) -> str:
        """Which kind may follow ``token`` (``P -> D -> W -> W|P``)."""
        kind = token_kind(token)
        return {"p": "d", "d": "w", "w": "wp"}[kind]
