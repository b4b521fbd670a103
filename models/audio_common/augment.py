"""The write-up's four audio augmentations, as pure numpy functions on float32 mono clips.

- :func:`mix_noise`: Gaussian noise, or another clip, added at a chosen signal-to-noise ratio.
- :func:`cut_mix`: a segment of a second clip spliced into the first at common zero crossings; the
  fraction of the second clip used is the label mix.
- :func:`time_shift`: the clip moved in time, circularly or with silence let in.
- :func:`speed_tune`: the clip resampled by a factor, so its duration and pitch change together.

Every function returns a new float32 array and leaves its input alone; randomness comes only from the
``rng`` given (a ``numpy.random.Generator``), so a seed reproduces a result.
"""

from __future__ import annotations

import numbers

import numpy as np

from app.core.errors import AudioError

SHIFT_MODES = ("circular", "pad")


def mix_noise(x: np.ndarray, snr_db: float, *, noise: np.ndarray | None = None,
              rng: np.random.Generator | None = None) -> np.ndarray:
    """``x`` plus noise at ``snr_db`` dB below it (the power ratio of ``x`` to the noise added).

    ``noise`` is another clip (looped when shorter, a random stretch of it when longer); without it, white
    Gaussian noise. The noise is scaled by its own measured power, so the ratio is exact in the result; a mix
    that would go past full scale is turned down as a whole, which keeps the ratio.
    """
    x = _mono(x, "The clip")
    rng = rng if rng is not None else np.random.default_rng()
    signal = _power(x)
    if signal == 0.0:
        raise AudioError("The clip is silent, so there is no signal to set a noise level against.")
    if noise is None:
        n = rng.standard_normal(len(x))
    else:
        n = _fit(_mono(noise, "The noise clip").astype(np.float64), len(x), rng)
    noise_power = _power(n)
    if noise_power == 0.0:
        raise AudioError("The noise clip is silent, so it cannot be mixed in at a signal-to-noise ratio.")
    mixed = x + n * np.sqrt(signal / (noise_power * 10.0 ** (float(snr_db) / 10.0)))
    return _under_full_scale(mixed)


def cut_mix(a: np.ndarray, b: np.ndarray, *, fraction: float,
            rng: np.random.Generator | None = None) -> tuple[np.ndarray, float]:
    """``a`` with a segment of about ``fraction`` of its length taken from ``b`` at the same times.

    Both splices fall where ``a`` and ``b`` cross zero in the same direction, so the result crosses zero at
    each splice (no click); the segment's length is within 0.5% of the clip of ``fraction`` where the two cross
    together often enough (as near as their common crossings allow otherwise), and its place is random. ``b``
    is looped or cut (at a random stretch) to ``a``'s length. Returns the result and the fraction of it that
    came from ``b`` (the label mix), the exact share of samples.
    """
    a = _mono(a, "The first clip")
    rng = rng if rng is not None else np.random.default_rng()
    if not 0.0 <= fraction <= 1.0:
        raise AudioError(f"The cut-mix fraction must be between 0 and 1, not {fraction}.")
    n = len(a)
    b = _fit(_mono(b, "The second clip"), n, rng)
    want = int(round(fraction * n))
    if want == 0 or n == 0:
        return a.copy(), 0.0
    s, e = _segment(np.concatenate([[0], splice_points(a, b), [n]]), want, int(rng.integers(0, n - want + 1)), n)
    out = a.copy()
    out[s:e] = b[s:e]
    return out, (e - s) / n


def splice_points(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The indices ``i`` where a cut from ``a`` to ``b`` (or back) between samples ``i - 1`` and ``i`` crosses
    zero: both clips cross zero there in the same direction (a sample of 0 counts as either sign)."""
    a0, a1, b0, b1 = a[:-1], a[1:], b[:-1], b[1:]
    ok = (a0 * a1 <= 0) & (b0 * b1 <= 0) & (a0 * b1 <= 0) & (b0 * a1 <= 0)
    return np.flatnonzero(ok) + 1


def _segment(points: np.ndarray, want: int, start_at: int, n: int) -> tuple[int, int]:
    """The pair of splice points ``(s, e)`` whose length is nearest ``want`` (within 0.5% of the clip, the one
    that starts nearest ``start_at``)."""
    starts = points[:-1]
    ends_at = np.clip(np.searchsorted(points, starts + want), 1, len(points) - 1)
    ends = np.where(np.abs(points[ends_at] - starts - want) <= np.abs(points[ends_at - 1] - starts - want),
                    points[ends_at], points[ends_at - 1])
    ends = np.where(ends > starts, ends, points[np.minimum(ends_at, len(points) - 1)])
    miss = np.abs(ends - starts - want)
    close = np.flatnonzero(miss <= max(int(miss.min()), n // 200))
    best = close[np.argmin(np.abs(starts[close] - start_at))]
    return int(starts[best]), int(ends[best])


def time_shift(x: np.ndarray, shift: int | float, *, mode: str = "circular") -> np.ndarray:
    """``x`` moved later by ``shift`` (earlier when negative): whole samples for an int, a fraction of the
    clip's length for a float (in [-1, 1]). ``"circular"`` wraps what falls off one end onto the other;
    ``"pad"`` lets silence in. The length never changes."""
    x = _mono(x, "The clip")
    if mode not in SHIFT_MODES:
        raise AudioError(f"The time-shift mode must be circular or pad, not {mode}.")
    k = shift_samples(shift, len(x))
    if mode == "circular":
        return np.roll(x, k) if len(x) else x.copy()
    out = np.zeros_like(x)
    if k >= 0:
        out[k:] = x[:len(x) - k]
    else:
        out[:k] = x[-k:]
    return out


def shift_samples(shift: int | float, length: int) -> int:
    """A shift given in samples (int) or as a fraction of ``length`` (float), in samples."""
    if isinstance(shift, bool) or not isinstance(shift, numbers.Real):
        raise AudioError(f"The time shift must be a number of samples or a fraction of the clip, not {shift!r}.")
    if isinstance(shift, numbers.Integral):
        k = int(shift)
    elif -1.0 <= float(shift) <= 1.0:
        k = int(round(float(shift) * length))
    else:
        raise AudioError(f"A time shift given as a fraction must be between -1 and 1, not {shift}.")
    if abs(k) > length:
        raise AudioError(f"A shift of {k} samples is longer than the clip ({length} samples).")
    return k


def speed_tune(x: np.ndarray, factor: float, sample_rate: int) -> np.ndarray:
    """``x`` played ``factor`` times as fast: ``len(x) / factor`` samples at the same rate, every pitch
    ``factor`` times as high (soxr's high-quality resampler)."""
    x = _mono(x, "The clip")
    if not 0.25 <= float(factor) <= 4.0:
        raise AudioError(f"The speed factor must be between 0.25 and 4, not {factor}.")
    if factor == 1.0:
        return x.copy()
    from models.audio_common.data import resample

    return resample(x, float(sample_rate) * float(factor), float(sample_rate))


def snr_db(clean: np.ndarray, mixed: np.ndarray) -> float:
    """The signal-to-noise ratio of ``mixed`` against ``clean`` in dB (the noise is their difference)."""
    clean, mixed = np.asarray(clean, np.float64), np.asarray(mixed, np.float64)
    return float(10.0 * np.log10(_power(clean) / _power(mixed - clean)))


def _mono(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1:
        raise AudioError(f"{what} must be mono (one channel of samples), not of shape {x.shape}.")
    return x.astype(np.float32)


def _power(x: np.ndarray) -> float:
    return float(np.mean(np.square(x, dtype=np.float64))) if len(x) else 0.0


def _fit(y: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """``y`` looped to ``length`` when shorter, a random stretch of it when longer."""
    if len(y) == 0:
        raise AudioError("The second clip is empty.")
    if len(y) > length:
        start = int(rng.integers(0, len(y) - length + 1))
        return y[start:start + length]
    return np.resize(y, length)


def _under_full_scale(x: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    return (x / peak if peak > 1.0 else x).astype(np.float32)
