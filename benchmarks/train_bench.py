"""Training throughput of markov and abc-lstm, abc-lstm's beside a bare PyTorch loop, same run.

(note-lstm's training throughput is in ``note_lstm_bench.py``; vae-nn's in
``vae_nn_bench.py``.)

- markov: the n-gram counting (orders 1 to 8) that ``cadenza train --model
  markov`` runs, over note-token sequences of random-walk melodies (pitch
  steps of up to a third, note values from a 16th to a half note); pure
  Python on the CPU. Tokens per second of the fit, median of 3 fits
  (``--quick``: 1, on fewer tokens).
- abc-lstm: the shared training loop (AdamW, warm-up, gradient clipping,
  per-step dropout seeding, AMP on CUDA) training the bundled configuration
  (embedding 512, 3 x LSTM 256) on windows of 128 characters of real folk
  tunes (the first 300 of ``corpus:folk-abc``), on the device ``auto`` picks
  (CUDA when present), against the loop a user would write: the same model,
  batches, loss and AdamW, with nothing else. Tokens per second from the
  median step time (the first step warms up and the last evaluates, so
  neither is timed); batch 64 (``--quick``: 16, and fewer steps).

Prints one JSON object; ``run(quick)`` returns the same dict for ``cadenza bench``.
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

import numpy as np  # noqa: E402

from models.common.ngram import MarkovConfig, MarkovModel  # noqa: E402
from models.common.note_tokens import LENGTHS, Vocabulary  # noqa: E402

SEQ_LEN = 128
ABC_TUNES = 300


def walk_tokens(onsets: int, rng: np.random.Generator) -> list[str]:
    """P D W tokens of a random-walk melody."""
    pitch, out = 67, []
    for _ in range(onsets):
        pitch = int(np.clip(pitch + rng.integers(-4, 5), 48, 84))
        length = int(rng.choice(LENGTHS[:9]))
        out += [f"p{pitch}", f"d{length}", f"w{length}"]
    return out


def bench_markov(quick: bool) -> dict:
    rng = np.random.default_rng(0)
    pieces = [walk_tokens(100, rng) for _ in range(60 if quick else 600)]
    vocab = Vocabulary.build(pieces)
    ids = [vocab.encode(p) for p in pieces]
    tokens = sum(map(len, ids))
    times = []
    for _ in range(1 if quick else 3):
        start = time.perf_counter()
        MarkovModel(MarkovConfig(len(vocab), 8)).fit(ids)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {"tokens_per_s": round(tokens / seconds, 1), "device": "cpu", "tokens": tokens, "max_order": 8,
            "fit_s": round(seconds, 3)}


def _abc_task(batch: int):
    from models.abc_lstm.train import AbcLSTMTask
    from models.common.train_task import TrainConfig

    cfg = TrainConfig(epochs=1, batch_size=batch, device="auto", checkpoint_every=0, patience=0, warmup_steps=1)
    return AbcLSTMTask(["corpus:folk-abc"], cfg, seq_len=SEQ_LEN, limit=ABC_TUNES), cfg


def _loop_step_times(task, cfg, steps: int) -> list[float]:
    """Seconds per step of the shared loop: ``steps`` steps after a warm-up step.

    The run is stopped (closed) before its last step, which would evaluate and save.
    """
    from dataclasses import replace

    from models.common.train_loop import train

    stamps = []
    with tempfile.TemporaryDirectory() as out:
        run = train(task, replace(cfg, max_steps=steps + 2), out)
        for _ in run:  # the first report comes before step 1, then one after every step
            stamps.append(time.perf_counter())
            if len(stamps) == steps + 2:
                run.close()
                break
    return list(np.diff(stamps)[1:])


def _bare_step_times(task, steps: int) -> list[float]:
    """Seconds per step of a plain PyTorch loop over the same batches, model and loss."""
    import torch

    from models.common.device import resolve_device

    device = resolve_device("auto")
    torch.manual_seed(0)
    model = task.build_model().to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    times = []
    for i, batch in enumerate(task.train_batches(0)):
        if i > steps:
            break
        start = time.perf_counter()
        loss, _, _ = task.loss(model, batch, device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        float(loss.detach())  # wait for the device, as the shared loop does
        times.append(time.perf_counter() - start)
    return times[1:]  # the first step warms up


def bench_abc_lstm(quick: bool) -> dict:
    import torch

    from models.common.device import resolve_device

    batch, steps = (16, 2) if quick else (64, 6)
    task, cfg = _abc_task(batch)
    ours = _loop_step_times(task, cfg, steps)
    bare = _bare_step_times(task, steps)
    tokens = batch * SEQ_LEN
    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    device = resolve_device("auto")
    return {"tokens_per_s": round(tokens / ours_s, 1), "bare_loop_tokens_per_s": round(tokens / bare_s, 1),
            "speed_vs_bare_loop": round(bare_s / ours_s, 2),
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else device.type,
            "batch": batch, "seq_len": SEQ_LEN, "steps_timed": len(ours), "threads": torch.get_num_threads()}


def run(quick: bool = False) -> dict:
    """Both benchmarks as one dict (printed as JSON by ``main``)."""
    return {"train": {"markov": bench_markov(quick), "abc_lstm": bench_abc_lstm(quick)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, one repeat")
    print(json.dumps(run(parser.parse_args(argv).quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
