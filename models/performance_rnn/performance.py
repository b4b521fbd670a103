"""Scores and MIDI files <-> performances (notes in seconds), with the sustain pedal folded into note lengths.

Reading: the tempo map turns ticks into seconds (``app.core.timing``), so
tempo changes disappear into absolute time. Cadenza's MIDI reader keeps no
controllers, so for a MIDI file this module reads the sustain pedal (CC 64,
down at 64 or more, on any channel) from the file itself with mido and folds
it in the way Magenta's ``apply_sustain_control_changes`` does: a note
released while the pedal is down sounds until the pedal comes up, or until
its pitch is struck again, whichever is first.

Writing: a performance becomes one piano track at one fixed tempo (the
seed's, else :data:`OUT_BPM`; :data:`OUT_PPQ` ticks a beat, 1 tick = 1.04 ms
at 120 bpm) with its real timing and velocities, so nothing is pulled onto
a grid.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Sequence

from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from app.core.timing import TempoMap

from models.performance_rnn.events import PerfNote

OUT_BPM = 120.0
OUT_PPQ = 480
PEDAL_CONTROL, PEDAL_DOWN = 64, 64
MIDI_SUFFIXES = (".mid", ".midi")


def score_performance(score: Score, pedal: Sequence[tuple[float, float]] = ()) -> list[PerfNote]:
    """Every pitched note of ``score`` in seconds, sorted by start then pitch; ``pedal`` (down, up) spans in
    seconds are folded into the note lengths."""
    tempo = TempoMap(score)
    notes = [PerfNote(tempo.seconds(n.start), tempo.seconds(n.end), n.pitch, n.velocity)
             for t in score.tracks if not t.is_drum for n in t.notes]
    notes.sort(key=lambda n: (n.start, n.pitch))
    return fold_pedal(notes, pedal) if pedal else notes


def fold_pedal(notes: Sequence[PerfNote], pedal: Sequence[tuple[float, float]]) -> list[PerfNote]:
    """Notes lengthened by the sustain pedal: a release inside a (down, up) span moves to ``up``, but never past
    the next start of the same pitch."""
    spans = sorted(pedal)
    downs = [d for d, _ in spans]
    next_start: dict[int, float] = {}
    out: list[PerfNote] = [None] * len(notes)  # type: ignore[list-item]
    for i in range(len(notes) - 1, -1, -1):  # from the last, so the next start of each pitch is known
        n = notes[i]
        end = n.end
        j = bisect.bisect_right(downs, n.end) - 1
        if j >= 0 and spans[j][0] <= n.end < spans[j][1]:
            end = spans[j][1]
        later = next_start.get(n.pitch)
        if later is not None and later > n.start:
            end = min(end, later)  # a pitch struck again ends the note sounding before
        out[i] = PerfNote(n.start, end, n.pitch, n.velocity)
        next_start[n.pitch] = n.start
    return out


def midi_pedal(path: str | Path, score: Score) -> list[tuple[float, float]]:
    """The (down, up) spans of the sustain pedal in a MIDI file, in seconds through ``score``'s tempo map
    (``score`` read from the same file); empty when the file cannot be read."""
    import mido

    try:
        mid = mido.MidiFile(str(path), clip=True)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError):
        return []
    changes: list[tuple[int, bool]] = []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "control_change" and msg.control == PEDAL_CONTROL:
                changes.append((tick, msg.value >= PEDAL_DOWN))
    changes.sort(key=lambda c: c[0])
    tempo, spans, down_at = TempoMap(score), [], None
    for tick, down in changes:
        if down and down_at is None:
            down_at = tick
        elif not down and down_at is not None:
            spans.append((tempo.seconds(down_at), tempo.seconds(tick)))
            down_at = None
    if down_at is not None:
        spans.append((tempo.seconds(down_at), tempo.seconds(max(score.end, down_at))))
    return spans


def file_performance(path: str | Path, score: Score) -> list[PerfNote]:
    """The performance of a corpus file: ``score`` (read from ``path``) with the file's pedal when it is MIDI."""
    pedal = midi_pedal(path, score) if Path(path).suffix.lower() in MIDI_SUFFIXES else []
    return score_performance(score, pedal)


def seconds_to_tick(seconds: float, bpm: float = OUT_BPM) -> int:
    """A tick at one tempo (:data:`OUT_PPQ` ticks a beat)."""
    return max(0, int(round(seconds * bpm / 60.0 * OUT_PPQ)))


def performance_score(notes: Sequence[PerfNote], title: str = "", name: str = "Piano", bpm: float = OUT_BPM,
                      meter: TimeSignature | None = None, key: str | None = None) -> Score:
    """One piano track at the one tempo ``bpm`` holding ``notes`` at their real times and velocities."""
    out = []
    for n in notes:
        start = seconds_to_tick(n.start, bpm)
        out.append(Note(start, n.pitch, max(1, seconds_to_tick(n.end, bpm) - start), max(1, min(127, n.velocity))))
    return Score(tracks=(Track(name, 0, False, tuple(out)),), ppq=OUT_PPQ, tempos=(TempoChange(0, bpm),),
                 time_signatures=(meter or TimeSignature(0, 4, 4),), key=key, title=title)
