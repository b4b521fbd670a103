"""Held-out measures of an audio-lstm checkpoint, beside a linear predictor, and its speed.

* **per-sample loss** on the test split's windows (the pieces the training held out, levelled as in
  training), at the positions with at least ``window`` (100) samples before them in their window, for the
  LSTM, an LPC predictor of the same order fitted on the training clips (autocorrelation method, pooled
  over clips), and the previous sample repeated. Units that compare across heads: the mean squared error
  of the point prediction (the μ-law head's: the mean of its softmax), its prediction gain in dB
  (10 log10 of the signal's power over the error's), and the negative log-likelihood in nats of the
  sample's 8-bit μ-law class (the regression and LPC as Gaussians whose sd is their RMS error on
  training windows, integrated over each class's interval).
* **continuations** (listening proxies): from the first second of test clips, 2 s at temperatures 0.5 and 1: RMS
  against the seed's, spectral flatness (white noise about 0.5 at this size, tones near 0), and the share
  of silent 50 ms frames, beside the same figures of the clips' real next 2 s.
* **speed**: seconds of audio generated per second of compute on one CPU thread (process CPU time, so a
  busy machine's waiting is not counted; the wall time and the load average are given beside it).

``--write`` puts the figures in the card (``measured``) and, for the regression head, ``noise_sd``: its RMS
error on training windows, the sd of the noise generation adds (times the temperature).

    python -m models.audio_lstm.measure resources/checkpoints/audio-lstm [--write] [--clips N]
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from models.common.card import read_card, update_card

from models.audio_lstm import mulaw
from models.audio_lstm.clips import levelled, windows
from models.audio_lstm.generate import AudioLSTMGenerator
from models.audio_lstm.model import AudioLSTM, mulaw_encode
from models.audio_lstm.train import DEFAULT_CLIPS, MAX_HELD_WINDOWS, SEQ_LEN, load_clips

FIT_WINDOWS = 256  # training windows for the sd of the Gaussian predictors
SEED_SECONDS, CONTINUE_SECONDS, PROXY_CLIPS = 1.0, 2.0, 4
TEMPERATURES = (0.5, 1.0)
FRAME_SECONDS, SILENT_RMS = 0.05, 1e-3


def held_out(card: dict[str, Any], clips: int | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(train, test)`` clips as the run split them (same data, seed and clip count), not levelled."""
    training, config = card["training"], card["config"]
    limit = clips or training.get("clip_limit") or DEFAULT_CLIPS
    train, _, test, _ = load_clips(training["data"], config["sample_rate"], int(limit), int(training["seed"]))
    return train, test


def window_batch(clips: Sequence[np.ndarray], rms: float, count: int) -> np.ndarray:
    return np.stack([w for c in levelled(clips, rms) for w in windows(c, SEQ_LEN)][:count])  # (N, SEQ_LEN + 1)


def fit_lpc(clips: Sequence[np.ndarray], order: int) -> np.ndarray:
    """Coefficients ``a`` (order,) with x[t] ~ sum_k a[k] x[t - 1 - k]: pooled autocorrelation, Levinson."""
    from scipy.linalg import solve_toeplitz

    r = np.zeros(order + 1)
    for c in clips:
        c = np.asarray(c, dtype=np.float64)
        r += np.array([c[: len(c) - k] @ c[k:] for k in range(order + 1)])
    r[0] *= 1.0 + 1e-9  # white-noise correction: keeps the system well-posed
    return solve_toeplitz(r[:order], r[1:])


def lpc_predict(x: np.ndarray, a: np.ndarray, start: int) -> np.ndarray:
    """Predictions of x[:, start:] (N, T) from the ``len(a)`` samples before each."""
    order = len(a)
    frames = np.lib.stride_tricks.sliding_window_view(x, order, axis=1)[:, start - order: x.shape[1] - order]
    return frames[..., ::-1] @ a  # (N, T - start)


@torch.inference_mode()
def lstm_outputs(model: AudioLSTM, x: np.ndarray, batch: int = 32) -> torch.Tensor:
    """The network's outputs (N, T - 1, classes): out[:, t] predicts x[:, t + 1], each window from zero state."""
    return torch.cat([model(torch.from_numpy(x[i: i + batch, :-1]))[0] for i in range(0, len(x), batch)])


def gaussian_nll(pred: np.ndarray, target: np.ndarray, sd: float) -> float:
    """Mean nats of each target's μ-law class under N(pred, sd²) integrated over the class's interval."""
    from scipy.special import ndtr

    edges = mulaw.bin_edges()
    q = mulaw.encode(target)
    p = ndtr((edges[q + 1] - pred) / sd) - ndtr((edges[q] - pred) / sd)
    return float(-np.mean(np.log(np.maximum(p, 1e-12))))


def scores(pred: np.ndarray, target: np.ndarray, nll: float) -> dict[str, float]:
    mse = float(np.mean((pred - target) ** 2))
    return {"mse": round(mse, 7), "prediction_gain_db": round(10 * math.log10(np.mean(target ** 2) / mse), 2),
            "nll_mulaw_nats": round(nll, 4)}


def per_sample_loss(gen: AudioLSTMGenerator, train: Sequence[np.ndarray], test: Sequence[np.ndarray]
                    ) -> dict[str, Any]:
    cfg, model = gen.config, gen.model.cpu()
    start = cfg.window
    x = window_batch(test, cfg.level_rms, MAX_HELD_WINDOWS)
    fit = window_batch(train, cfg.level_rms, FIT_WINDOWS)
    target = x[:, start:]
    out = lstm_outputs(model, x)[:, start - 1:]  # predicts x[:, start:]
    pred = model.predict(out).numpy()
    fit_sd = None
    if cfg.head == "mulaw":
        n = out.shape[0] * out.shape[1]
        nll = float(F.cross_entropy(out.reshape(n, -1), mulaw_encode(torch.from_numpy(target)).reshape(n)))
    else:
        fit_error = model.predict(lstm_outputs(model, fit)[:, start - 1:]).numpy() - fit[:, start:]
        fit_sd = float(np.sqrt(np.mean(fit_error ** 2)))
        nll = gaussian_nll(pred, target, fit_sd)
    a = fit_lpc(levelled(train, cfg.level_rms), start)
    lpc = lpc_predict(x, a, start)
    lpc_sd = float(np.sqrt(np.mean((lpc_predict(fit, a, start) - fit[:, start:]) ** 2)))
    previous = x[:, start - 1:-1]
    previous_sd = float(np.sqrt(np.mean((fit[:, start - 1:-1] - fit[:, start:]) ** 2)))
    lstm = dict(scores(pred, target, nll), **({"train_error_sd": round(fit_sd, 6)} if fit_sd is not None else {}))
    return {"windows": len(x), "positions": int(target.size), "order": start, "lstm": lstm,
            f"lpc_{start}": scores(lpc, target, gaussian_nll(lpc, target, lpc_sd)),
            "previous_sample": scores(previous, target, gaussian_nll(previous, target, previous_sd))}


def proxies(audio: np.ndarray, reference_rms: float, rate: int) -> dict[str, float]:
    import librosa

    frame = int(FRAME_SECONDS * rate)
    rms = np.sqrt(np.mean(np.square(audio[: len(audio) // frame * frame].reshape(-1, frame)), axis=1))
    flatness = librosa.feature.spectral_flatness(y=audio.astype(np.float32), n_fft=256, hop_length=128)
    return {"rms_ratio": float(np.sqrt(np.mean(audio ** 2)) / reference_rms),
            "spectral_flatness": float(np.mean(flatness)), "silent_share": float(np.mean(rms < SILENT_RMS))}


def continuations(gen: AudioLSTMGenerator, test: Sequence[np.ndarray]) -> dict[str, Any]:
    rate = gen.config.sample_rate
    seed_n, cont_n = int(SEED_SECONDS * rate), int(CONTINUE_SECONDS * rate)
    chosen = [c for c in test if len(c) >= seed_n + cont_n][:PROXY_CLIPS]
    references = [float(np.sqrt(np.mean(c[:seed_n].astype(np.float64) ** 2))) for c in chosen]

    def mean(rows):
        return {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]}

    by_temperature = {}
    for temperature in TEMPERATURES:
        rows = [proxies(gen.continue_clip(c[:seed_n], rate, seconds=CONTINUE_SECONDS, temperature=temperature,
                                          random_seed=i), ref, rate) for i, (c, ref) in enumerate(zip(chosen, references))]
        by_temperature[f"{temperature:g}"] = mean(rows)
    real = [proxies(c[seed_n: seed_n + cont_n], ref, rate) for c, ref in zip(chosen, references)]
    noise = np.random.default_rng(0).standard_normal(cont_n) * 0.1
    return {"clips": len(chosen), "seed_seconds": SEED_SECONDS, "seconds": CONTINUE_SECONDS,
            "model_by_temperature": by_temperature, "real_continuation": mean(real),
            "white_noise_flatness": round(proxies(noise, 0.1, rate)["spectral_flatness"], 4)}


def speed(gen: AudioLSTMGenerator, seconds: float = 2.0) -> dict[str, Any]:
    """Seconds of audio per second of compute, one thread, continuing a 1 s clip."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rate = gen.config.sample_rate
        clip = (0.1 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate)).astype(np.float32)
        started, cpu = time.perf_counter(), time.process_time()
        gen.continue_clip(clip, rate, seconds=seconds)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        torch.set_num_threads(threads)
    return {"audio_seconds": seconds, "cpu_seconds": round(cpu, 2), "wall_seconds": round(elapsed, 2),
            "audio_seconds_per_compute_second": round(seconds / cpu, 3), "threads": 1,
            "samples_per_cpu_second": round(seconds * gen.config.sample_rate / cpu),
            "load_average": round(os.getloadavg()[0], 2)}


def measure(folder: str | Path, clips: int | None = None) -> dict[str, Any]:
    gen = AudioLSTMGenerator(folder, "cpu")
    train, test = held_out(read_card(folder), clips)
    return {"held_out_per_sample": per_sample_loss(gen, train, test), "continuations": continuations(gen, test),
            "speed": speed(gen)}


def main(argv: list[str]) -> int:
    folder = Path(next((a for a in argv if not a.startswith("--") and not a.isdigit()),
                       "resources/checkpoints/audio-lstm"))
    clips = int(argv[argv.index("--clips") + 1]) if "--clips" in argv else None
    measured = measure(folder, clips)
    print(json.dumps(measured, indent=1))
    if "--write" in argv:
        sd = measured["held_out_per_sample"]["lstm"].get("train_error_sd")
        update_card(folder, measured=measured, **({"noise_sd": sd} if sd is not None else {}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
