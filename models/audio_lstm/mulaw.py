"""μ-law companding and 8-bit quantisation (ITU-T G.711's curve with μ = 255, as WaveNet and SampleRNN use).

``compress`` maps a sample in [-1, 1] to [-1, 1] with fine steps near zero; ``encode`` quantises that to one
of 256 classes (0 is -1, 255 is +1, silence is class 128); ``decode`` is the class's centre back in the linear
domain, so ``encode(decode(q)) == q`` for every class. ``bin_edges`` are the linear-domain edges of the
classes (the measure uses them to give a Gaussian predictor a probability per class). Pure numpy.
"""

from __future__ import annotations

import numpy as np

MU = 255
CLASSES = MU + 1


def compress(x: np.ndarray, mu: int = MU) -> np.ndarray:
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    return np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)


def expand(y: np.ndarray, mu: int = MU) -> np.ndarray:
    y = np.clip(np.asarray(y, dtype=np.float64), -1.0, 1.0)
    return np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu


def encode(x: np.ndarray, mu: int = MU) -> np.ndarray:
    """Samples in [-1, 1] -> classes 0..mu (int64)."""
    return np.floor((compress(x, mu) + 1.0) / 2.0 * mu + 0.5).astype(np.int64)


def decode(q: np.ndarray, mu: int = MU) -> np.ndarray:
    """Classes 0..mu -> samples in [-1, 1] (float32)."""
    return expand(2.0 * np.asarray(q, dtype=np.float64) / mu - 1.0, mu).astype(np.float32)


def bin_edges(mu: int = MU) -> np.ndarray:
    """The ``mu + 2`` linear-domain edges of the classes: class q holds the samples in [edges[q], edges[q+1])."""
    inner = expand(2.0 * (np.arange(mu) + 0.5) / mu - 1.0, mu)
    return np.concatenate([[-np.inf], inner, [np.inf]])
