"""performance-rnn speed: stateful sampling against re-running a window, seconds of music per second, Humanize.

- **events per second**: a randomly initialised network of the bundled size
  (2 LSTM layers of 256, 388 events, conditioned on a key and a density)
  samples 500 events after a 256-event seed on the CPU, two ways with the
  same sampler and random seed: ours, reading the seed once and then one
  recurrent step per event, carrying (h, c); and re-running the last 256
  events from a zero state for every event (what a stateless sampler does).
- **seconds of music per second**: the bundled checkpoint generates 16 s of
  music (8 bars at 120 bpm) without a seed, one variation, through the
  generator the app uses (``generate``); the music's length over the wall
  time, and its events per second.
- **Humanize**: the bundled checkpoint plays 200 quantized notes (a melody in
  eighths over whole-note chords) by constrained decoding; ms per note.

Each timing is the median of 3 runs (``--quick``: 1). Prints one JSON object;
``run(quick)`` returns the same dict for ``cadenza bench``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `models` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.timing import median_seconds  # noqa: E402

from app.core.score import Note  # noqa: E402
from models.common.generator import GenerationRequest, run_generation  # noqa: E402
from models.common.options import GenerationOptions  # noqa: E402
from models.common.sampling import make_generator  # noqa: E402
from models.performance_rnn.conditioning import control_vector, key_profile  # noqa: E402
from models.performance_rnn.events import VOCAB_SIZE  # noqa: E402
from models.performance_rnn.generate import (PerformanceRNNGenerator, carried_state_generate,  # noqa: E402
                                             window_refeed_generate)
from models.performance_rnn.humanize import humanize  # noqa: E402
from models.performance_rnn.model import PerformanceRNN, PerformanceRNNConfig, count_parameters  # noqa: E402
from models.performance_rnn.train import SEQ_LEN  # noqa: E402

EVENTS = 500
MUSIC_BARS = 8  # 16 s at 120 bpm 4/4


def bench_sampling(quick: bool) -> dict:
    torch.manual_seed(0)
    model = PerformanceRNN(PerformanceRNNConfig()).eval()
    seed = np.random.default_rng(0).integers(0, VOCAB_SIZE, SEQ_LEN).tolist()
    control = control_vector(key_profile("C major"), 4)
    cpu, repeats = torch.device("cpu"), 1 if quick else 3
    n = EVENTS // 5 if quick else EVENTS
    carry = median_seconds(lambda: carried_state_generate(model, seed, control, n, make_generator(1, cpu)), repeats)
    refeed = median_seconds(lambda: window_refeed_generate(model, seed, control, n, make_generator(1, cpu),
                                                            window=SEQ_LEN), repeats)
    return {"events_per_s": round(n / carry, 1), "refeed_events_per_s": round(n / refeed, 1),
            "speedup_vs_window_refeed": round(refeed / carry, 1), "events": n, "window": SEQ_LEN,
            "parameters": count_parameters(model), "device": "cpu", "threads": torch.get_num_threads()}


def _bundled() -> PerformanceRNNGenerator:
    from models.registry import find_checkpoint

    return PerformanceRNNGenerator(find_checkpoint("performance-rnn"), device="cpu")


def bench_music(gen: PerformanceRNNGenerator, quick: bool) -> dict:
    bars = MUSIC_BARS // 4 if quick else MUSIC_BARS
    request = GenerationRequest(options=GenerationOptions(pitch_profile="C major"), bars=bars, variations=1,
                                random_seed=0)
    scores = []
    seconds = median_seconds(lambda: scores.append(run_generation(gen.generate(request))[0]), 1 if quick else 3)
    music = bars * 2.0
    return {"music_seconds_per_second": round(music / seconds, 2), "music_seconds": music,
            "wall_seconds": round(seconds, 3), "notes": scores[-1].note_count, "device": "cpu"}


def bench_humanize(gen: PerformanceRNNGenerator, quick: bool) -> dict:
    melody = [Note(i * 240, (72, 74, 76, 77, 79, 77, 76, 74)[i % 8], 220, 90) for i in range(176)]
    chords = [Note(b * 1920, p, 1900, 70) for b in range(8) for p in (48, 55, 64)]
    notes = (melody + chords)[: 50 if quick else 200]
    seconds = median_seconds(lambda: humanize(gen, notes, ppq=480, bpm=120, amount=1.0, random_seed=0),
                              1 if quick else 3)
    return {"ms_per_note": round(seconds * 1000 / len(notes), 2), "notes": len(notes), "seconds": round(seconds, 3)}


def run(quick: bool = False) -> dict:
    """The benchmarks as one dict (printed as JSON by ``main``)."""
    gen = _bundled()
    return {"generate": {"performance_rnn": dict(bench_sampling(quick), **bench_music(gen, quick))},
            "humanize": {"performance_rnn": bench_humanize(gen, quick)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each timing instead of the median of 3")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
