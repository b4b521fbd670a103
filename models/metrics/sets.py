"""Comparing two sets of pieces feature by feature, after MGEval (Yang and Lerch 2018).

For one feature (see ``features.py``), every piece is a point (a scalar or a
flattened histogram or matrix), and the distance between two pieces is the
Euclidean distance between their points.

* The **intra-set distances** of a set are the distances between every pair of
  different pieces of that set (each unordered pair once).
* The **inter-set distances** of two sets are the distances from every piece
  of one set to every piece of the other.
* Each collection of distances is smoothed into a probability density with a
  Gaussian kernel-density estimate (``scipy.stats.gaussian_kde``, Scott's
  bandwidth), and the **overlapping area** of two densities is the integral
  of their pointwise minimum: 1 when they coincide, 0 when they never meet.

The score of a generated set against a reference set is, per feature, the
overlapping area of the reference set's intra-set density and the inter-set
density: near 1 when a generated piece lies as close to the reference pieces
as those lie to one another. MGEval integrates over the range of the samples
only; here the integral runs over the range widened by five bandwidths on
each side, so two identical samples overlap by 1. A set of identical values
(no spread, where a kernel estimate is undefined) is given a narrow Gaussian
instead. Pieces whose feature is undefined (NaN) are left out of that feature.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import linalg, stats
from scipy.spatial import distance

from models.metrics.features import FEATURES

GRID_POINTS = 2048


def intra_set_distances(points: np.ndarray) -> np.ndarray:
    """``points`` (n, d) -> the n(n-1)/2 distances between different pieces."""
    points = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    return distance.pdist(points) if len(points) >= 2 else np.zeros(0)


def inter_set_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` (n, d) and ``b`` (m, d) -> the n*m distances from each piece of ``a`` to each of ``b``."""
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    return distance.cdist(a, b).ravel()


def _density(values: np.ndarray, grid: np.ndarray, floor_sd: float) -> np.ndarray:
    """A kernel-density estimate of ``values`` on ``grid`` (a narrow Gaussian when they do not spread)."""
    if len(values) >= 2 and np.ptp(values) > 0:
        try:
            return stats.gaussian_kde(values)(grid)
        except linalg.LinAlgError:
            pass
    centres, counts = np.unique(values, return_counts=True)
    return (counts[:, None] * stats.norm.pdf(grid[None, :], centres[:, None], floor_sd)).sum(0) / counts.sum()


def _bandwidth(values: np.ndarray) -> float:
    if len(values) < 2 or np.ptp(values) == 0:
        return 0.0
    return float(stats.gaussian_kde(values).factor * np.std(values, ddof=1))


def overlap_area(x: Sequence[float], y: Sequence[float]) -> float:
    """The overlapping area (0..1) of the kernel-density estimates of samples ``x`` and ``y``."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if not len(x) or not len(y):
        raise ValueError("overlap_area needs two non-empty samples")
    both = np.concatenate([x, y])
    spread = float(np.ptp(both))
    floor_sd = max(0.05 * spread, 1e-3 * (1.0 + float(np.abs(both).max())))
    pad = 5.0 * max(_bandwidth(x), _bandwidth(y), floor_sd)
    grid = np.linspace(both.min() - pad, both.max() + pad, GRID_POINTS)
    low = np.minimum(_density(x, grid, floor_sd), _density(y, grid, floor_sd))
    step = grid[1] - grid[0]
    area = step * (low.sum() - 0.5 * (low[0] + low[-1]))  # trapezoid rule on the even grid
    return float(min(max(area, 0.0), 1.0))


def _points(features: Sequence[Mapping[str, np.ndarray]], name: str) -> np.ndarray:
    """(n, d) points of one feature, without the pieces where it is undefined."""
    if not features:
        return np.zeros((0, 1))
    rows = np.stack([np.asarray(f[name], dtype=np.float64).ravel() for f in features])
    return rows[~np.isnan(rows).any(axis=1)]


def feature_overlap(generated: Sequence[Mapping[str, np.ndarray]], reference: Sequence[Mapping[str, np.ndarray]],
                    name: str) -> float | None:
    """OA(reference intra-set, inter-set) of one feature; None with fewer than two usable pieces in a set."""
    gen, ref = _points(generated, name), _points(reference, name)
    if len(gen) < 1 or len(ref) < 2:
        return None
    return overlap_area(intra_set_distances(ref), inter_set_distances(gen, ref))


def compare_sets(generated: Sequence[Mapping[str, np.ndarray]],
                 reference: Sequence[Mapping[str, np.ndarray]]) -> dict[str, float | None]:
    """Per feature of :data:`FEATURES`, the overlapping area (see :func:`feature_overlap`)."""
    return {name: feature_overlap(generated, reference, name) for name in FEATURES}


def overlap_mean(overlaps: Mapping[str, float | None]) -> float | None:
    """The mean overlapping area over the features that have one."""
    values = [v for v in overlaps.values() if v is not None]
    return float(np.mean(values)) if values else None
