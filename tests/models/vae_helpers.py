"""Small chorale-like pieces and a tiny vae-nn trained on them, for the vae-nn tests."""

from __future__ import annotations

import numpy as np

from app.core.score import Note, Score, TimeSignature, Track
from models.common.corpus import CorpusItem
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
from models.vae_nn.data import prepare
from models.vae_nn.model import VaeNNConfig
from models.vae_nn.roles import PRESETS
from models.vae_nn.train import VaeNNTask

VOICES = (("Soprano", 67), ("Alto", 62), ("Tenor", 55), ("Bass", 43))
MAJOR = (0, 2, 4, 5, 7, 9, 11)
TINY = dict(channels=[4, 8, 8], hidden=32, mlp_hidden=32, kl_warmup_steps=10)


def chorale(seed: int, bars: int = 8, tonic: int = 0, meter: tuple[int, int] = (4, 4)) -> Score:
    """Four voices of quarter notes walking the major scale of ``tonic`` (C = 0)."""
    rng = np.random.default_rng(seed)
    beats = bars * meter[0] * 4 // meter[1]
    tracks = []
    for name, centre in VOICES:
        degree, notes = 0, []
        for beat in range(beats):
            degree = int(np.clip(degree + rng.integers(-2, 3), -4, 5))
            octave, step = divmod(degree, 7)
            pitch = centre - centre % 12 + tonic + 12 * octave + MAJOR[step]
            notes.append(Note(beat * 480, pitch, 480, 80))
        tracks.append(Track(name, 52, False, tuple(notes)))
    return Score(tracks=tuple(tracks), time_signatures=(TimeSignature(0, *meter),), title=f"chorale {seed}")


def items(count: int = 12) -> list[CorpusItem]:
    splits = ["valid", "test"] + ["train"] * (count - 2)
    return [CorpusItem(f"c{i}", chorale(i), splits[i]) for i in range(count)]


def train_tiny(out_dir, steps: int = 30, seed: int = 0) -> dict:
    """A tiny chorale vae-nn in ``out_dir``; returns the training metrics."""
    data = prepare(items(), PRESETS["chorales"], margin=2)
    cfg = VaeNNConfig(roles=[r.to_dict() for r in PRESETS["chorales"]], **TINY)
    task = VaeNNTask(data, cfg, batch_size=8, seed=seed, specs=["synthetic"], roles_spec="chorales")
    return run_training(train(task, TrainConfig(epochs=50, max_steps=steps, batch_size=8, device="cpu",
                                                seed=seed, patience=0, warmup_steps=5), out_dir))
