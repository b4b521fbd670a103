"""Piano-roll scrolling: frame time over a 10,000-note score against an empty piano roll, same run.

Builds a four-track score of 10,000 notes (chords, bass, a running melody,
drums; about 160 bars at 120 bpm), shows it in a ``PianoRoll`` (offscreen Qt
unless a platform is set) and scrolls it across in steps of a quarter of the
viewport, repainting the viewport after each step:

- ours: the 10,000-note score;
- floor: the same scroll over an empty piano roll of the same length (grid,
  rows and playhead only), what any piano roll pays for a frame.

Reports the median milliseconds per frame of each and their ratio, the time
to build the scene for 10,000 notes (median of repeats), a frame fully zoomed
out (every note on screen) and the cost of one playhead move during playback.
Prints one JSON object; ``run(quick)`` returns the same dict for ``cadenza bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.score import Note, Score, TempoChange, Track  # noqa: E402
from app.document import Document  # noqa: E402
from app.ui.pianoroll import PianoRoll  # noqa: E402

PPQ = 480
NOTES = 10_000
SIZE = (1400, 800)
CHORDS = ((48, 52, 55, 60), (45, 48, 52, 57), (41, 45, 48, 53), (43, 47, 50, 55))
SCALE = (60, 62, 64, 65, 67, 69, 71, 72, 74, 76)


def build_score(count: int = NOTES) -> Score:
    """Four tracks, ``count`` notes in all, bar after bar until the count is reached."""
    bar = 4 * PPQ
    tracks: list[list[Note]] = [[], [], [], []]
    b = 0
    while sum(map(len, tracks)) < count:
        chord, t0 = CHORDS[b % 4], b * bar
        tracks[0] += [Note(t0 + half, p, 2 * PPQ - 20, 60 + 10 * (half == 0)) for half in (0, 2 * PPQ) for p in chord]
        tracks[1] += [Note(t0 + q * PPQ, chord[0] - 12, PPQ - 30, 95) for q in range(4)]
        tracks[2] += [Note(t0 + e * PPQ // 4, SCALE[(b * 5 + e * 3) % len(SCALE)], PPQ // 4 - 10, 50 + 5 * (e % 12))
                      for e in range(16)]
        tracks[3] += [Note(t0 + e * PPQ // 2, 42 if e % 2 else 36, PPQ // 4, 100) for e in range(8)]
        b += 1
    flat = [(i, n) for i, notes in enumerate(tracks) for n in notes][:count]
    names = (("Piano", 0, False), ("Bass", 33, False), ("Flute", 73, False), ("Drums", 0, True))
    out = [Track(name, prog, drum, tuple(n for i, n in flat if i == k)) for k, (name, prog, drum) in enumerate(names)]
    return Score(tracks=tuple(out), ppq=PPQ, tempos=(TempoChange(0, 120.0),), title="scroll bench")


def _show(score: Score, width_ticks: int) -> PianoRoll:
    roll = PianoRoll(Document(score))
    roll.resize(*SIZE)
    roll.show()
    roll.view.note_scene.ensure_width(width_ticks)
    QApplication.processEvents()
    roll.view.center_pitch(60)
    return roll


def _scroll_frames(roll: PianoRoll, steps: int) -> list[float]:
    """Seconds per frame: scroll a quarter viewport across, repaint the viewport."""
    view = roll.view
    bar, vp = view.horizontalScrollBar(), view.viewport()
    bar.setValue(0)
    vp.repaint()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        bar.setValue(bar.value() + vp.width() // 4)
        vp.repaint()
        times.append(time.perf_counter() - t0)
        if bar.value() >= bar.maximum():
            bar.setValue(0)
    return times


def _playhead_frames(roll: PianoRoll, steps: int) -> list[float]:
    """Seconds per playback tick: move the playhead ~1/30 s at 120 bpm, repaint the viewport."""
    roll.scroll_to_tick(0)
    times, tick = [], 0
    for _ in range(steps):
        tick += PPQ // 15
        t0 = time.perf_counter()
        roll.set_playhead(tick)
        roll.view.viewport().repaint()
        times.append(time.perf_counter() - t0)
    return times


def _zoomed_out_frame(roll: PianoRoll) -> float:
    view = roll.view
    view.zoom_horizontal(view.tpp / (view.note_scene.sceneRect().width() / view.viewport().width()))
    view.scroll_to_tick(0)
    t0 = time.perf_counter()
    view.viewport().repaint()
    return time.perf_counter() - t0


def _build_times(score: Score, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        doc = Document(score)
        t0 = time.perf_counter()
        roll = PianoRoll(doc)
        times.append(time.perf_counter() - t0)
        roll.deleteLater()
    QApplication.processEvents()
    return times


def run(quick: bool = False) -> dict:
    """Run the benchmark; returns ``{"pianoroll_scroll": {...}}`` with the ratio and the raw figures."""
    app = QApplication.instance() or QApplication([])
    steps, repeats = (60, 2) if quick else (300, 5)
    score = build_score()
    full, empty = _show(score, score.end), _show(Score(ppq=PPQ), score.end)
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    for roll in (full, empty):  # warm up the caches
        _scroll_frames(roll, 8)
    ours, floor = ms(_scroll_frames(full, steps)), ms(_scroll_frames(empty, steps))
    result = {
        "frame_ratio_vs_empty": round(ours / floor, 2),
        "scroll_frame_ms": round(ours, 3),
        "empty_scroll_frame_ms": round(floor, 3),
        "playhead_frame_ms": round(ms(_playhead_frames(full, steps // 2)), 3),
        "zoomed_out_frame_ms": round(_zoomed_out_frame(full) * 1000, 2),
        "build_scene_s": round(statistics.median(_build_times(score, repeats)), 4),
        "notes": score.note_count,
        "viewport": list(SIZE),
        "frames": steps,
        "platform": app.platformName(),
    }
    for roll in (full, empty):
        roll.close()
    return {"pianoroll_scroll": result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames and build repeats")
    args = parser.parse_args(argv)
    print(json.dumps(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
