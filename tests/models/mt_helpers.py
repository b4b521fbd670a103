"""A music-transformer generator around a tiny seeded network, for tests of decoding mechanics.

It is put together without a checkpoint to read: loading one first pays torch's one-off lazy import of
its compiler (about 3 s). An untrained network's near-uniform choices test masks and window arithmetic
hardest; the bundled checkpoint's music is measured elsewhere."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from models.music_transformer import vocab as V
from models.music_transformer.generate import MusicTransformerGenerator
from models.music_transformer.model import MusicTransformer, MusicTransformerConfig


def tiny_generator(folder: Path, **card) -> MusicTransformerGenerator:
    """The generator around a seeded 2-block network (width 32, 256-token window); ``card`` adds card keys."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    gen = MusicTransformerGenerator.__new__(MusicTransformerGenerator)
    gen.config = MusicTransformerConfig(V.VOCAB_SIZE, d_model=32, layers=2, heads=2, mlp=64, max_len=256)
    gen.device, gen.model = torch.device("cpu"), MusicTransformer(gen.config).eval()
    gen.checkpoint_dir = folder
    gen.card = {"arch": "music-transformer", "name": "music-transformer", "config": asdict(gen.config), **card}
    return gen
