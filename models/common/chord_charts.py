"""Chord charts for the band corpus: a source piece read as a chord per beat plus its melody.

A chorale is named beat by beat from its sounding notes (the bass counting as the root) against
major, minor, 7, m7 and diminished chords; a melody alone gets the key's diatonic chords (and the
dominant seventh) per half bar, per bar in 3/4. Pure: no subprocess, no Qt, no torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from app.core.score import Score
from app.core.variations import key_pitch_classes, score_key

MIN_BARS, MAX_BARS = 8, 16  # a chart's length
_ROOTS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_QUALITIES = {"": (0, 4, 7), "m": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "mb5": (0, 3, 6)}
_CHORD = re.compile(r"^([A-G][#b]?)(.*)$")



@dataclass(frozen=True)
class Chart:
    """A chord chart with its melody: ``chords[bar][beat]`` (MMA chord names, one per beat) and
    ``melody`` as ``(start beat, pitch, length in beats, velocity)`` from the chart's first beat."""

    title: str
    key: str | None
    beats: int
    chords: tuple[tuple[str, ...], ...]
    melody: tuple[tuple[float, int, float, int], ...]
    source: str = ""

    @property
    def bars(self) -> int:
        return len(self.chords)

    def mma_lines(self) -> list[str]:
        """One MMA chord line per bar: a chord per beat, ``/`` where the chord goes on."""
        lines = []
        for bar in self.chords:
            words = [c if i == 0 or c != bar[i - 1] else "/" for i, c in enumerate(bar)]
            lines.append(words[0] if all(w == "/" for w in words[1:]) else " ".join(words))
        return lines


def _pc(name: str) -> tuple[int, str]:
    match = _CHORD.match(name)
    if not match or match.group(1) not in _ROOTS + ("Db", "D#", "Gb", "G#", "A#", "Cb", "E#", "Fb", "B#"):
        raise ValueError(f"{name!r} is not a chord name")
    letter = "C D EF G A B".index(match.group(1)[0])
    return (letter + match.group(1).count("#") - match.group(1).count("b")) % 12, match.group(2)


def chord_tones(name: str) -> frozenset[int]:
    """The pitch classes of a chart's chord name (``"Bmb5"`` -> B, D, F)."""
    root, quality = _pc(name)
    return frozenset((root + step) % 12 for step in _QUALITIES.get(quality, _QUALITIES[""]))


def _name_chord(weights: Sequence[float], bass: int | None, candidates: Sequence[tuple[int, str]]) -> str | None:
    total = sum(weights)
    if total <= 0:
        return None
    best, best_score = None, float("-inf")
    for root, quality in candidates:
        tones = {(root + s) % 12 for s in _QUALITIES[quality]}
        inside = sum(weights[pc] for pc in tones)
        score = inside - 0.6 * (total - inside)
        score += 0.35 * total * (bass == root) - 0.12 * total * (len(tones) > 3 or quality == "mb5")
        score -= 0.3 * total * any(weights[pc] == 0 for pc in ((root + s) % 12 for s in _QUALITIES[quality][:2]))
        if score > best_score:
            best, best_score = f"{_ROOTS[root]}{quality}", score
    return best


def _diatonic(key: str | None) -> list[tuple[int, str]]:
    try:
        scale = key_pitch_classes(key or "C major")
    except ValueError:
        scale = key_pitch_classes("C major")
    out = [(root, q) for root in sorted(scale) for q in ("", "m")
           if all((root + s) % 12 in scale for s in _QUALITIES[q])]
    tonic = _pc((key or "C").split()[0])[0]
    dominant = (tonic + 7) % 12
    out.append((dominant, "7"))
    if (dominant, "") not in out:
        out.append((dominant, ""))  # the minor's raised leading note
    return out


_METERS = {(4, 4): (4, 1), (2, 2): (4, 1), (3, 4): (3, 1), (2, 4): (4, 2)}  # -> (chart beats, source bars per bar)


def chart_from_score(score: Score, title: str = "", source: str = "",
                     max_bars: int = MAX_BARS, min_bars: int = MIN_BARS) -> Chart | None:
    """A score's first bars as a chord chart with its melody (the first pitched track), or None when
    its meter is not 4/4, 2/2, 3/4 or 2/4, it changes meter, or it is shorter than ``min_bars``."""
    sig = score.time_signatures[0]
    if len(score.time_signatures) > 1 or (sig.numerator, sig.denominator) not in _METERS:
        return None
    beats, _ = _METERS[(sig.numerator, sig.denominator)]
    beat = score.ppq  # a quarter note (2/2's half note is played as two beats)
    pitched = [t for t in score.tracks if not t.is_drum and t.notes]
    if not pitched:
        return None
    melody_track = pitched[0]
    bar = beats * beat
    first = min(n.start for t in pitched for n in t.notes)
    offset = -(-first // bar) * bar  # the first whole bar: a pickup is left out
    bars = min(max_bars, (score.end - offset) // bar)
    if bars < min_bars:
        return None
    end = offset + bars * bar
    harmony = len(pitched) >= 3
    key = score_key(score)
    step = 1 if harmony else (2 if beats == 4 else 3)
    candidates = [(r, q) for r in range(12) for q in _QUALITIES] if harmony else _diatonic(key)
    notes = [n for t in pitched for n in t.notes]
    chords: list[str | None] = []
    for s in range(offset, end, beat * step):
        weights = [0.0] * 12
        sounding = [n for n in notes if n.start < s + beat * step and n.end > s]
        for n in sounding:
            weights[n.pitch % 12] += (min(n.end, s + beat * step) - max(n.start, s)) / beat
        at_start = [n for n in sounding if n.start <= s] or sounding
        bass = min(at_start, key=lambda n: n.pitch).pitch % 12 if harmony and at_start else None
        chords.append(_name_chord(weights, bass, candidates))
    known = [c for c in chords if c]
    if not known:
        return None
    filled, last = [], known[0]
    for c in chords:
        last = c or last
        filled.extend([last] * step)
    per_bar = tuple(tuple(filled[i * beats:(i + 1) * beats]) for i in range(bars))
    melody = tuple(((n.start - offset) / beat, n.pitch, (min(n.end, end) - n.start) / beat, n.velocity)
                   for n in melody_track.notes if offset <= n.start < end)
    return Chart(title or score.title, key, beats, per_bar, melody, source)


