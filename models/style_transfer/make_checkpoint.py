"""Draw the bundled random network from a seed and write it as a checkpoint (nothing is trained).

    python -m models.style_transfer.make_checkpoint --seed 0 --out resources/checkpoints/style-transfer

The same seed writes the same bytes: the weights are drawn on the CPU by
torch's seeded generator and stored as float16 (half the size; a random
network's exact values are its definition, so rounding them loses nothing).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safetensors.torch import save_file

from models.common.card import WEIGHTS, read_card, write_card
from models.style_transfer import SPEC
from models.style_transfer.model import StyleFeaturesConfig, random_weights

WHY = ("One wide layer of random filters, as in Ulyanov and Lebedev's audio texture synthesis and style transfer "
       "(2016), and as shallow as the write-up's own network. Random features carry no learnt knowledge of music, "
       "so what matters is how many different spectral patterns the Gram matrix can compare, which is the "
       "layer's width; a second random layer would add size and time without a reason we could show (deeper "
       "random networks were not tried here). Ulyanov used 4,096 filters over 1,025 bins; 384 filters over 513 "
       "bins (a 1,024-point STFT at 22,050 Hz) keep the file under 5 MB (float16) and a restyle at about 2.6 "
       "CPU-seconds per second of audio on one thread. The width of 11 frames (128 ms) is Ulyanov's: long "
       "enough for an attack and the start of its decay to fall in one filter.")

EXPLORATION = (
    "Measured while choosing how to optimise (one-off scripts, not kept; the spectrogram version is commit "
    "c764955), on the first 4 s of the piano seed restyled after the strings seed (see metrics.clips), 200 "
    "steps, one CPU thread; losses of the output sound as restyle weighs them. "
    "Style weight 10: optimising the log1p-magnitude spectrogram with Adam (step 0.05; commit c764955) reached a "
    "style loss of 0.0073 on the spectrogram, but the sound Griffin-Lim made of it from the content's phase "
    "had content 0.279 and style 0.094 (32 iterations; 100 iterations: 0.284 and 0.091). Optimising the "
    "waveform through the STFT instead: Adam (step 0.002) content 0.282, style 0.0095; L-BFGS (one iteration a "
    "step, no line search) content 0.267, style 0.0067, the choice. Style weight 0, 50 steps, the output's "
    "relative log-spectral distance from the content (1,024-point frames): Adam 0.002: 0.037, Adam 0.0005: "
    "0.013, L-BFGS: 0.0057 (Adam moves every sample by about its step size, which is hiss).")


def make_checkpoint(out: str | Path, seed: int = 0, config: StyleFeaturesConfig | None = None,
                    command: str | None = None) -> dict[str, Any]:
    """Write the network drawn from ``seed`` to ``out`` (weights and card); returns the card."""
    config = config or StyleFeaturesConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights = {k: v.half() for k, v in random_weights(config, seed).items()}
    save_file(weights, str(out / WEIGHTS))
    try:
        metrics = read_card(out).get("metrics", {})  # measure.py's figures survive a rewrite of the same network
    except Exception:
        metrics = {}
    card = {
        "arch": SPEC.name,
        "name": SPEC.name,
        "description": ("A fixed random network for audio style transfer: one 1-D convolution of "
                        f"{config.filters} filters, each {config.width} frames wide over the {config.bins} bins "
                        "of log1p-magnitude STFT frames, then a ReLU. Never trained."),
        "config": asdict(config),
        "parameters": sum(int(v.numel()) for v in weights.values()),
        "architecture_choice": WHY,
        "training": {
            "data": [],
            "command": command or f"python -m models.style_transfer.make_checkpoint --seed {seed}",
            "seed": seed,
            "function": "models.style_transfer.model.random_weights",
            "note": ("Nothing is trained: this is a seeded random network (Gaussian weights, sd = sqrt(2) * "
                     "sqrt(2 / ((bins + filters) * width)), no bias), stored as float16."),
        },
        "exploration": EXPLORATION,
        "metrics": metrics,
    }
    return write_card(out, card, "float16")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="the random seed of the weights")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "resources" / "checkpoints"
                                             / SPEC.name), help="the checkpoint folder to write")
    parser.add_argument("--filters", type=int, default=StyleFeaturesConfig.filters, help="random filters")
    args = parser.parse_args(argv)
    command = f"python -m models.style_transfer.make_checkpoint --seed {args.seed}"
    if args.filters != StyleFeaturesConfig.filters:
        command += f" --filters {args.filters}"
    card = make_checkpoint(args.out, args.seed, StyleFeaturesConfig(filters=args.filters), command)
    print(f"wrote {args.out} ({card['parameters']:,} weights)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
