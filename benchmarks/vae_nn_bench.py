"""vae-nn slider latency beside the LSTMs, and vae-nn training throughput, on the CPU.

Slider latency: the bundled vae-nn has encoded a 4-bar chorale seed once (as
the editor does when a seed is picked); then, as a musician drags the noise
sd or style alpha slider, each new value regenerates 16 bars (one variation,
with a style song for the alpha case) through ``generate()``, provenance and
all. Beside it, in the same run, the bundled note-lstm and abc-lstm generate
16 bars from bundled seeds: the wait a user would have with an LSTM for the
same length. Each figure is the median over the slider values (``--quick``:
fewer values and one LSTM run).

Training throughput: the shared loop trains the bundled-size vae-nn on
chorale segment pairs; a token is one track-step (4 tracks x 32 steps x 2
segments per pair), the first step (warm-up) not counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `models` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from app.core.formats import load_score  # noqa: E402
from models.common.generator import GenerationRequest, run_generation  # noqa: E402
from models.common.options import GenerationOptions
from models.common.train_loop import train  # noqa: E402
from models.common.train_task import TrainConfig  # noqa: E402
from models.registry import load_generator  # noqa: E402

BARS = 16
SEED = "seed:bach-jesu-meine-freude"
STYLE = "seed:bach-wenn-ich-einmal-soll-scheiden"


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def slider_latency(quick: bool) -> dict:
    gen = load_generator("vae-nn", device="cpu")
    seed, style = load_score(SEED), load_score(STYLE)
    run_generation(gen.generate(GenerationRequest(seed=seed, bars=BARS, style=style, options=GenerationOptions(noise_sd=0.5, style_alpha=0.5))))
    values = [0.1, 0.4, 0.7, 1.0] if quick else [i / 20 for i in range(1, 21)]
    noise = [_ms(lambda v=v: run_generation(gen.generate(GenerationRequest(seed=seed, bars=BARS, options=GenerationOptions(noise_sd=v)))))
             for v in values]
    alpha = [_ms(lambda v=v: run_generation(gen.generate(GenerationRequest(seed=seed, bars=BARS, style=style, options=GenerationOptions(noise_sd=0.5, style_alpha=v))))) for v in values]
    return {"slider_regen_ms": round(statistics.median(noise + alpha), 2),
            "noise_sd_regen_ms": round(statistics.median(noise), 2), "style_alpha_regen_ms": round(statistics.median(alpha), 2),
            "bars": BARS, "goal_ms": 50, "device": "cpu", "threads": torch.get_num_threads()}


def lstm_latency(quick: bool) -> dict:
    from app.core.generation_settings import abc_seed_text

    repeats = 1 if quick else 3
    note = load_generator("note-lstm", device="cpu")
    seed = load_score(SEED)
    note_ms = statistics.median(_ms(lambda: run_generation(note.generate(GenerationRequest(seed=seed, bars=BARS))))
                                for _ in range(repeats))
    abc = load_generator("abc-lstm", device="cpu")
    text = abc_seed_text("seed:swallowtail-jig")
    abc_ms = statistics.median(_ms(lambda: run_generation(abc.generate(GenerationRequest(seed_text=text, bars=BARS))))
                               for _ in range(repeats))
    return {"note_lstm_ms": round(note_ms, 1), "abc_lstm_ms": round(abc_ms, 1)}


def bench_train(quick: bool) -> dict:
    from models.vae_nn.data import load_items, prepare
    from models.vae_nn.model import VaeNNConfig
    from models.vae_nn.roles import PRESETS
    from models.vae_nn.train import VaeNNTask

    items, _ = load_items("corpus:chorales")
    data = prepare(items[: 60 if quick else 200], PRESETS["chorales"])
    task = VaeNNTask(data, VaeNNConfig(), batch_size=64)
    steps = 3 if quick else 10
    cfg = TrainConfig(epochs=20, batch_size=64, max_steps=steps, device="cpu", checkpoint_every=0, patience=0)
    stamps: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as out:
        for progress in train(task, cfg, out):
            stamps.append((progress.step, time.perf_counter()))
    (s0, t0), (s1, t1) = stamps[1], stamps[-1]
    per_step = 64 * 2 * 32 * len(task.roles)
    return {"tokens_per_s": round((s1 - s0) * per_step / (t1 - t0), 1), "device": "cpu", "batch": 64,
            "token": "track-step", "steps_timed": s1 - s0, "threads": torch.get_num_threads()}


def run(quick: bool = False) -> dict:
    slider, lstm = slider_latency(quick), lstm_latency(quick)
    vae = dict(slider, **{f"{k}_same_length": v for k, v in lstm.items()},
               speedup_vs_note_lstm=round(lstm["note_lstm_ms"] / slider["slider_regen_ms"], 1),
               speedup_vs_abc_lstm=round(lstm["abc_lstm_ms"] / slider["slider_regen_ms"], 1))
    return {"generate": {"vae_nn": vae}, "train": {"vae_nn": bench_train(quick)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer slider values and one LSTM run")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
