"""Rendering speed: Cadenza's Synth against pretty_midi's FluidSynth rendering, same run.

Builds a 60-second, four-track piece (piano chords, bass, melody, drums) from
``app.core.score`` objects and renders it with

- ours: ``Synth.render_blocks`` on a long-lived synth (SoundFont loaded once,
  as the app does), timing the whole render and the first block;
- ours cold: constructing a ``Synth`` (loading the SoundFont) and rendering;
- pretty_midi: ``PrettyMIDI.fluidsynth(fs=44100, synthesizer=<same .sf2>)``,
  which loads the SoundFont and renders instrument by instrument.

Each is repeated (median of 3 runs; ``--quick``: 1). Prints one JSON object;
``run(quick)`` returns the same dict for ``cadenza bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audio.soundfonts import find_soundfont  # noqa: E402
from app.audio.synth import Synth  # noqa: E402
from app.core.score import Note, Score, TempoChange, Track  # noqa: E402
from app.core.timing import TempoMap, duration_seconds  # noqa: E402

SAMPLE_RATE = 44100
PPQ = 480
BARS = 30  # 30 bars of 4/4 at 120 bpm = 60 s
CHORDS = ((48, 52, 55, 60), (45, 48, 52, 57), (41, 45, 48, 53), (43, 47, 50, 55))  # C Am F G
SCALE = (60, 62, 64, 65, 67, 69, 71, 72)


def build_piece(bars: int = BARS) -> Score:
    """A 4-track piece of ``bars`` bars at 120 bpm: piano chords, bass, melody, drums."""
    bar = 4 * PPQ
    piano, bass, melody, drums = [], [], [], []
    for b in range(bars):
        chord, t0 = CHORDS[b % len(CHORDS)], b * bar
        for half in (0, 2 * PPQ):
            piano += [Note(t0 + half, p, 2 * PPQ - 20, 70) for p in chord]
        bass += [Note(t0 + q * PPQ, chord[0] - 12, PPQ - 30, 95) for q in range(4)]
        for e in range(8):
            pitch = SCALE[(b * 3 + e * (1 + b % 3)) % len(SCALE)]
            melody.append(Note(t0 + e * PPQ // 2, pitch + 12 * (e % 2 == 0 and b % 4 == 3), PPQ // 2 - 10, 85))
            drums.append(Note(t0 + e * PPQ // 2, 42, PPQ // 4, 60))  # closed hi-hat eighths
        drums += [Note(t0 + q * PPQ, 36 if q % 2 == 0 else 38, PPQ // 4, 110) for q in range(4)]
    tracks = (Track("Piano", 0, False, tuple(piano)), Track("Bass", 33, False, tuple(bass)),
              Track("Flute", 73, False, tuple(melody)), Track("Drums", 0, True, tuple(drums)))
    return Score(tracks=tracks, ppq=PPQ, tempos=(TempoChange(0, 120.0),), title="bench piece")


def to_pretty_midi(score: Score):
    """The same piece as a ``pretty_midi.PrettyMIDI`` (times in seconds via the tempo map)."""
    import pretty_midi

    tempo = TempoMap(score)
    pm = pretty_midi.PrettyMIDI(initial_tempo=score.tempos[0].bpm)
    for track in score.tracks:
        inst = pretty_midi.Instrument(program=track.program, is_drum=track.is_drum, name=track.name)
        inst.notes = [pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=tempo.seconds(n.start),
                                       end=tempo.seconds(n.end)) for n in track.notes]
        pm.instruments.append(inst)
    return pm


def _time_ours(synth: Synth, score: Score) -> tuple[float, float, int]:
    """(total seconds, first-block seconds, frames) of one streamed render."""
    t0 = time.perf_counter()
    blocks = synth.render_blocks(score, block_frames=1024)
    first = next(blocks)
    t_first = time.perf_counter() - t0
    frames = len(first) + sum(len(b) for b in blocks)
    return time.perf_counter() - t0, t_first, frames


def _time_ours_cold(sf2: Path, score: Score) -> float:
    t0 = time.perf_counter()
    with Synth(soundfont=sf2, sample_rate=SAMPLE_RATE) as synth:
        for _ in synth.render_blocks(score):
            pass
    return time.perf_counter() - t0


def _time_pretty_midi(pm, sf2: Path) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pm.fluidsynth(fs=SAMPLE_RATE, synthesizer=str(sf2))
        except TypeError:  # pretty_midi < 0.2.11 only knows sf2_path
            pm.fluidsynth(fs=SAMPLE_RATE, sf2_path=str(sf2))
    return time.perf_counter() - t0


def run(quick: bool = False) -> dict:
    """Run the benchmark; returns ``{"render": {...}}`` with the ratio and the raw figures."""
    repeats = 1 if quick else 3
    score = build_piece()
    sf2 = find_soundfont()
    pm = to_pretty_midi(score)
    ours, first, cold, theirs = [], [], [], []
    with Synth(soundfont=sf2, sample_rate=SAMPLE_RATE) as synth:
        for _ in range(repeats):
            total, t_first, frames = _time_ours(synth, score)
            ours.append(total)
            first.append(t_first)
            cold.append(_time_ours_cold(sf2, score))
            theirs.append(_time_pretty_midi(pm, sf2))
    ours_s, theirs_s, cold_s = (statistics.median(x) for x in (ours, theirs, cold))
    return {"render": {
        "speedup_vs_pretty_midi": round(theirs_s / ours_s, 2),
        "speedup_cold_vs_pretty_midi": round(theirs_s / cold_s, 2),
        "first_block_ms": round(statistics.median(first) * 1000, 2),
        "ours_s": round(ours_s, 4),
        "ours_cold_s": round(cold_s, 4),
        "pretty_midi_s": round(theirs_s, 4),
        "audio_seconds": round(frames / SAMPLE_RATE, 3),
        "score_seconds": round(duration_seconds(score), 3),
        "notes": score.note_count,
        "repeats": repeats,
    }}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run instead of the median of three")
    args = parser.parse_args(argv)
    print(json.dumps(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
