"""Known answers of the audio lab's four augmentations (models.audio_common.augment)."""

import numpy as np
import pytest

from app.core.errors import AudioError
from models.audio_common.augment import cut_mix, mix_noise, snr_db, splice_points, speed_tune, time_shift

RATE = 8000


def _sine(freq, seconds=1.0, amp=0.3, rate=RATE):
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def _peak_hz(x, rate=RATE):
    window = np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x * window, n=8 * len(x)))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1:k + 2])  # parabolic interpolation of the peak bin
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / (8 * len(x))


@pytest.mark.parametrize("target", [0.0, 12.5, 20.0, 40.0])
def test_gaussian_noise_sits_at_the_chosen_snr(target):
    x = _sine(440)
    y = mix_noise(x, target, rng=np.random.default_rng(0))
    assert y.dtype == np.float32 and y.shape == x.shape and np.abs(y).max() <= 1.0
    assert abs(snr_db(x, y) - target) < 0.5
    assert np.array_equal(y, mix_noise(x, target, rng=np.random.default_rng(0)))


def test_a_noise_clip_mixed_loud_keeps_its_snr_when_turned_down():
    x, other = _sine(440, amp=0.9), _sine(97, seconds=0.3, amp=0.5)  # looped to the clip's length
    y = mix_noise(x, 0.0, noise=other)
    assert np.abs(y).max() == pytest.approx(1.0)  # would have clipped: scaled down as a whole
    n = np.resize(other, len(x))
    (g, h), *_ = np.linalg.lstsq(np.stack([x, n], axis=1).astype(np.float64), y.astype(np.float64), rcond=None)
    assert abs(10 * np.log10(np.mean((g * x) ** 2) / np.mean((h * n) ** 2))) < 0.5
    with pytest.raises(AudioError, match="silent"):
        mix_noise(np.zeros(100, np.float32), 10)


def test_cut_mix_splices_at_zero_crossings_with_the_fraction_it_reports():
    a, b = _sine(440), _sine(330, amp=0.5) + _sine(1234, amp=0.1)
    out, mix = cut_mix(a, b, fraction=0.3, rng=np.random.default_rng(5))
    from_b = out != a
    first, last = np.flatnonzero(from_b)[[0, -1]]
    assert np.array_equal(out[first:last + 1], b[first:last + 1]) and not from_b[:first].any()
    assert mix == pytest.approx((last + 1 - first) / len(a), abs=2 / len(a))
    assert abs(mix - 0.3) < 0.01
    for cut in (first, last + 1):  # the output crosses zero at both splices
        assert out[cut - 1] * out[cut] <= 0 and cut in splice_points(a, b)
    assert cut_mix(a, b, fraction=0.0) == (pytest.approx(a), 0.0)
    whole, one = cut_mix(a, b, fraction=1.0, rng=np.random.default_rng(1))
    assert one == 1.0 and np.array_equal(whole, b)


@pytest.mark.parametrize("shift,mode,expected", [
    (2, "circular", [4, 5, 0, 1, 2, 3]), (-1, "circular", [1, 2, 3, 4, 5, 0]),
    (2, "pad", [0, 0, 0, 1, 2, 3]), (-2, "pad", [2, 3, 4, 5, 0, 0]),
    (0.5, "circular", [3, 4, 5, 0, 1, 2]), (-0.34, "pad", [2, 3, 4, 5, 0, 0]), (0, "pad", [0, 1, 2, 3, 4, 5]),
])
def test_time_shift_is_exact(shift, mode, expected):
    assert time_shift(np.arange(6, dtype=np.float32), shift, mode=mode).tolist() == expected


def test_time_shift_refuses_nonsense():
    with pytest.raises(AudioError, match="between -1 and 1"):
        time_shift(np.zeros(4), 1.5)
    with pytest.raises(AudioError, match="circular or pad"):
        time_shift(np.zeros(4), 1, mode="wrap")


def test_speed_tune_changes_pitch_and_duration_by_the_factor():
    x = _sine(440, seconds=1.0)
    y = speed_tune(x, 1.05, RATE)
    assert abs(len(y) - len(x) / 1.05) <= 1
    assert _peak_hz(y) == pytest.approx(462.0, rel=0.01)
    slow = speed_tune(x, 0.8, RATE)
    assert abs(len(slow) - len(x) / 0.8) <= 1 and _peak_hz(slow) == pytest.approx(352.0, rel=0.01)
