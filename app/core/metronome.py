"""The metronome's clicks: which ticks click, which one is beat one, and how loud.

Pure: the click schedule comes from the score's meter map (bars as
:func:`app.core.timing.bar_lines` lays them out across meter changes) and is
in ticks, so whoever turns ticks into time through the tempo map (the synth)
follows tempo changes for free. A simple meter clicks on its denominator
(3/4: three quarters, 2/2: two halves); a compound meter (6/8, 9/8, 12/8,
6/4...) clicks on the dotted beat, three of its units. Beat one may be
accented: a louder click on the high wood block, the others on the low one.

Only live playback asks for clicks; exports never do.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.score import Note, Score, TimeSignature, Track
from app.core.timing import bar_lines

ACCENT_KEY = 76  # GM percussion: Hi Wood Block (beat one)
BEAT_KEY = 77  # GM percussion: Low Wood Block (the other beats)
ACCENT_VELOCITY = 127  # at full volume
BEAT_VELOCITY = 90
DEFAULT_VOLUME = 0.7


@dataclass(frozen=True, slots=True)
class Click:
    """A metronome click at ``tick``; ``downbeat``: it is beat one of its bar."""

    tick: int
    downbeat: bool


@dataclass(frozen=True, slots=True)
class Metronome:
    """The metronome's settings: on or off, volume 0-1, accent on beat one."""

    enabled: bool = False
    volume: float = DEFAULT_VOLUME
    accent: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"metronome volume {self.volume} is outside 0-1")


def is_compound(sig: TimeSignature) -> bool:
    """6/8, 9/8, 12/8 (and 6/4, 6/16...): a numerator of 6 or more divisible by three."""
    return sig.numerator >= 6 and sig.numerator % 3 == 0 and sig.denominator >= 4


def beat_ticks(sig: TimeSignature, ppq: int) -> int:
    """Ticks per felt beat of ``sig``: the denominator's unit, or three of them in a compound meter."""
    unit = ppq * 4 // sig.denominator
    return 3 * unit if is_compound(sig) else unit


def click_schedule(score: Score, start: int, end: int) -> list[Click]:
    """Every beat in ``[start, end)`` under the meter in force there, beat one of each bar marked."""
    if end <= start:
        return []
    clicks: list[Click] = []
    bars = bar_lines(score, end)
    for i, bar in enumerate(bars):
        bar_end = bars[i + 1].tick if i + 1 < len(bars) else bar.tick + bar.signature.bar_ticks(score.ppq)
        if bar_end <= start:
            continue
        step = max(beat_ticks(bar.signature, score.ppq), 1)
        for tick in range(bar.tick, min(bar_end, end), step):
            if tick >= start:
                clicks.append(Click(tick, tick == bar.tick))
    return clicks


def click_notes(score: Score, start: int, end: int, metronome: Metronome) -> list[tuple[int, int, int]]:
    """``(tick, key, velocity)`` of each click in ``[start, end)``; none when off or silent."""
    if not metronome.enabled or metronome.volume <= 0.0:
        return []
    notes = []
    for click in click_schedule(score, start, end):
        accented = metronome.accent and click.downbeat
        key = ACCENT_KEY if accented else BEAT_KEY
        velocity = max(1, round((ACCENT_VELOCITY if accented else BEAT_VELOCITY) * metronome.volume))
        notes.append((click.tick, key, velocity))
    return notes


def click_track(score: Score, metronome: Metronome) -> Track | None:
    """The clicks of the whole piece as a drum track, for a MIDI output that plays the music instead of
    FluidSynth: GM wood blocks on channel 10, as the synth's clicks are; None when off."""
    notes = tuple(Note(tick, key, max(1, score.ppq // 8), velocity)
                  for tick, key, velocity in click_notes(score, 0, score.end, metronome))
    return Track("Metronome", 0, True, notes) if notes else None

