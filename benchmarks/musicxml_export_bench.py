"""MusicXML export speed: Cadenza's own notation against music21's ``makeNotation``, same run.

Builds a MIDI-like score of 5,000 notes in 13 tracks (one of them drums):
humanised starts a few ticks off the beat, lengths from one tick to two
beats, chords, a tempo change off the grid and a meter change — what a
DAW export looks like. It is written as MusicXML bytes by

- ours: ``app.core.musicxml.musicxml_bytes`` — the measures, ties, tuplets,
  beams and accidentals built by ``music21_export`` and written with
  music21's exporter in ``makeNotation=False`` mode;
- music21: the path Cadenza used before (and the one music21's documentation
  shows): one flat Part per track filled with ``insert`` (the same sliced,
  quantised notes), ``makeNotation`` on each part, then
  ``GeneralObjectExporter(score).parse()``, which copies the score and makes
  notation again.

CPU seconds of each (one run each: the alternative takes half a minute;
``--quick``: 600 notes in 3 tracks). Prints one JSON object;
``run(quick)`` returns the same dict for ``cadenza bench``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.score import Note, Score, TempoChange, TimeSignature, Track  # noqa: E402

PPQ = 480


def build_score(notes: int = 5000, tracks: int = 13, seed: int = 1) -> Score:
    """``notes`` humanised notes in ``tracks`` tracks (the last one drums), 4/4 then 3/4."""
    rng = random.Random(seed)
    per = notes // tracks
    out = []
    for t in range(tracks):
        drum = t == tracks - 1
        tick, made = 0, []
        for _ in range(per + (notes - per * tracks if t == 0 else 0)):
            tick = max(0, tick + rng.choice([0, 0, 120, 240, 240, 480, 160]) + rng.randint(-7, 7))
            length = rng.choice([1, 5, 30, 110, 230, 470, 950]) + rng.randint(0, 9)
            pitch = rng.randint(35, 81) if drum else rng.randint(36, 96)
            made.append(Note(start=tick, pitch=pitch, duration=length, velocity=rng.randint(20, 120)))
        out.append(Track(name=f"Track {t + 1}", program=(t * 7) % 128, is_drum=drum, notes=tuple(made)))
    return Score(tuple(out), ppq=PPQ, tempos=(TempoChange(0, 96.0), TempoChange(PPQ * 32 + 3, 120.0)),
                 time_signatures=(TimeSignature(0, 4, 4), TimeSignature(PPQ * 64, 3, 4)), key="E minor",
                 title="Benchmark")


def music21_make_notation(score: Score) -> bytes:
    """The score as MusicXML through flat parts, ``makeNotation`` and music21's default exporter."""
    from app.core.music21_bridge import quiet_music21

    with quiet_music21():  # music21 prints its beaming complaints to stderr
        return _music21_make_notation(score)


def _music21_make_notation(score: Score) -> bytes:
    from music21 import chord, metadata, meter, note, stream, tempo, tie
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    from app.core.slicing import bar_end, quantized_end, slice_track

    grid = PPQ // 48
    end = bar_end(score, quantized_end(score, grid))
    result = stream.Score()
    result.insert(0, metadata.Metadata(title=score.title))
    for track in score.tracks:
        part = stream.Part()
        for sig in score.time_signatures:
            part.insert(Fraction(sig.tick, PPQ), meter.TimeSignature(f"{sig.numerator}/{sig.denominator}"))
        for change in score.tempos if track is score.tracks[0] else ():
            part.insert(Fraction(change.tick, PPQ), tempo.MetronomeMark(number=change.bpm))
        tied: set[int] = set()
        for piece in slice_track(score, track, grid=grid, end=end):
            length = Fraction(piece.duration, PPQ)
            if piece.is_rest:
                element = note.Rest(quarterLength=length)
            else:
                members = []
                for sliced in piece.notes:
                    n = note.Note(sliced.pitch, quarterLength=length)
                    if sliced.pitch in tied or sliced.tie_to_next:
                        n.tie = tie.Tie("stop" if not sliced.tie_to_next else
                                        "continue" if sliced.pitch in tied else "start")
                    members.append(n)
                element = members[0] if len(members) == 1 else chord.Chord(members, quarterLength=length)
            part.insert(Fraction(piece.start, PPQ), element)
            tied = {n.pitch for n in piece.notes if n.tie_to_next}
        part.makeNotation(inPlace=True)
        result.insert(0, part)
    return GeneralObjectExporter(result).parse()


def _cpu_seconds(fn, *args) -> tuple[float, object]:
    start = time.process_time()
    value = fn(*args)
    return time.process_time() - start, value


def run(quick: bool = False) -> dict:
    """Run the benchmark; returns ``{"musicxml_export": {...}}`` with the ratio and both times."""
    from app.core.musicxml import musicxml_bytes
    from app.core.notation_grid import GridReport

    notes, tracks = (600, 3) if quick else (5000, 13)
    score = build_score(notes, tracks)
    report = GridReport()
    ours_s, ours = _cpu_seconds(musicxml_bytes, score, report)
    theirs_s, theirs = _cpu_seconds(music21_make_notation, score)
    return {"musicxml_export": {
        "speedup_vs_music21_make_notation": round(theirs_s / ours_s, 2),
        "ours_s": round(ours_s, 3),
        "music21_make_notation_s": round(theirs_s, 3),
        "notes": score.note_count,
        "tracks": len(score.tracks),
        "ours_bytes": len(ours),
        "music21_bytes": len(theirs),
        "notes_moved_to_grid": report.moved,
        "notes_lengthened": report.lengthened,
    }}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 notes in 3 tracks instead of 5,000 in 13")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
