"""The card's figures: restyling a FluidSynth-rendered piano seed after a string-quartet seed (and back).

    OMP_NUM_THREADS=1 python -m models.style_transfer.measure [--write-card]

For each restyle: the relative content loss (against the content clip's
activations) and style loss (against the style clip's Gram matrix) of the
output sound, beside the two trivial outputs (the content clip itself: content
0; the style clip itself: style 0), so the output is shown to sit between
them; the optimisation's own losses at its first and last step; the relative
log-spectral distance of the output from the content; and the time, in CPU
seconds on one thread and in wall seconds, per second of audio. One more run
starts from noise instead of the content (style weight 0), for the card's
reason to start from the content.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np
import torch

from models.common.card import update_card
from models.registry import find_checkpoint, load_generator
from models.style_transfer import SPEC
from models.style_transfer.generate import LEVEL_RMS, StyleTransferGenerator
from models.style_transfer.spectrogram import log_magnitude, stft

PIANO, STRINGS = "seed:mozart-sonata-k545-opening", "seed:beethoven-quartet-op18-no1-opening"
STEPS = 200


def render(seed: str, sample_rate: int, seconds: float | None = None) -> np.ndarray:
    """``seed`` rendered by the project's FluidSynth (its default SoundFont), mono float32."""
    from app.audio.synth import Synth
    from app.core.formats import load_score

    with Synth(sample_rate=sample_rate) as synth:
        audio = synth.render(load_score(seed)).mean(axis=1).astype(np.float32)
    return audio[: int(seconds * sample_rate)] if seconds else audio


def spectral_distance(generator: StyleTransferGenerator, a: np.ndarray, b: np.ndarray, rate: int) -> float:
    """||L(a) - L(b)|| / ||L(b)|| with L the log1p-magnitude STFT frames the network reads (both at one level)."""
    frames = [log_magnitude(stft(generator._prepare(x, rate, "clip")[0], generator.config)) for x in (a, b)]
    return float((frames[0] - frames[1]).norm() / frames[1].norm())


def restyle_figures(generator: StyleTransferGenerator, content: np.ndarray, style: np.ndarray, rate: int,
                    style_weight: float = 1.0) -> dict[str, Any]:
    weights = {"content_weight": 1.0, "style_weight": style_weight}
    wall, cpu = time.perf_counter(), time.process_time()
    out = generator.restyle(content, style, rate, steps=STEPS, **weights)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    seconds = len(content) / rate
    first, last = generator.history[0], generator.history[-1]
    return {
        "weights": weights, "steps": STEPS, "seconds_of_audio": round(seconds, 2),
        "output": _rounded(generator.losses(out, content, style, rate)),
        "content_clip_itself": _rounded(generator.losses(content, content, style, rate)),
        "style_clip_itself": _rounded(generator.losses(style, content, style, rate)),
        "optimisation_first_step": {"content": round(first[0], 4), "style": round(first[1], 4)},
        "optimisation_last_step": {"content": round(last[0], 4), "style": round(last[1], 4)},
        "spectral_distance_from_content": round(spectral_distance(generator, out, content, rate), 4),
        "cpu_seconds_per_second_of_audio": round(cpu / seconds, 2),
        "wall_seconds_per_second_of_audio": round(wall / seconds, 2),
    }


def from_noise(generator: StyleTransferGenerator, content: np.ndarray, style: np.ndarray, rate: int) -> dict[str, Any]:
    """Style weight 0, from seeded noise at the content's level instead of from the content."""
    clip, _ = generator._prepare(content, rate, "content")
    targets = generator._targets(clip, generator._prepare(style, rate, "style")[0])
    noise = torch.randn(clip.shape, generator=torch.Generator().manual_seed(0)) * LEVEL_RMS
    out = generator._optimise(noise.to(generator.device), targets, 1.0, 0.0, STEPS, None, None).cpu().numpy()
    return {"steps": STEPS, "seconds_of_audio": round(len(content) / rate, 2),
            "content_loss": round(generator.losses(out, clip.cpu().numpy(), style, generator.config.sample_rate)
                                  ["content"], 4),
            "spectral_distance_from_content": round(spectral_distance(generator, out, clip.cpu().numpy(),
                                                                      generator.config.sample_rate), 4)}


def _rounded(losses: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in losses.items()}


def measure() -> dict[str, Any]:
    torch.set_num_threads(1)
    generator = load_generator(SPEC.name, device="cpu")
    rate = generator.config.sample_rate
    piano, strings = render(PIANO, rate), render(STRINGS, rate)
    return {
        "clips": {"piano": f"{PIANO}, {len(piano) / rate:.1f} s", "strings": f"{STRINGS}, first 10 s",
                  "render": f"the project's FluidSynth and default SoundFont at {rate} Hz, mixed to mono"},
        "piano_in_the_style_of_strings": restyle_figures(generator, piano, strings, rate),
        "piano_in_the_style_of_strings_style_weight_10": restyle_figures(generator, piano, strings, rate,
                                                                         style_weight=10.0),
        "strings_10_s_in_the_style_of_piano": restyle_figures(generator, strings[: 10 * rate], piano, rate),
        "piano_from_noise_style_weight_0": from_noise(generator, piano[: 4 * rate], strings, rate),
        "command": "OMP_NUM_THREADS=1 python -m models.style_transfer.measure --write-card",
        "machine": f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at the end of the runs "
                   "(wall times grow with other jobs; the one-thread CPU seconds are the figure to compare)",
    }


def headline(figures: dict[str, Any]) -> dict[str, float]:
    """The few numbers a model list shows: the piano seed after the strings at weights 1 and 1, and the speed."""
    run = figures["piano_in_the_style_of_strings"]
    return {"style_loss_of_content": run["content_clip_itself"]["style"], "style_loss_after": run["output"]["style"],
            "content_loss_after": run["output"]["content"], "content_loss_of_style": run["style_clip_itself"]["content"],
            "cpu_seconds_per_second_of_audio": figures["strings_10_s_in_the_style_of_piano"]
            ["cpu_seconds_per_second_of_audio"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-card", action="store_true", help="store the figures in the bundled card's metrics")
    args = parser.parse_args(argv)
    figures = measure()
    figures.update(headline(figures))
    print(json.dumps(figures, indent=2))
    if args.write_card:
        update_card(find_checkpoint(SPEC.name), metrics=figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
