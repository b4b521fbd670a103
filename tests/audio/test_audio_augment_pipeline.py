"""The training-time augmentation of audio batches (models.audio_common.pipeline)."""

import json

import numpy as np
import pytest

from app.core.errors import AudioError
from models.audio_common.augment import snr_db
from models.audio_common.pipeline import NO_AUGMENTATION, AugmentPolicy, Augmenter

RATE = 4000


def _batch(rows=4, samples=2000):
    t = np.arange(samples) / RATE
    return np.stack([0.4 * np.sin(2 * np.pi * (200 + 50 * i) * t) for i in range(rows)]).astype(np.float32)


def test_no_augmentation_leaves_the_batch_and_a_seed_repeats_a_run():
    batch = _batch()
    assert np.array_equal(Augmenter(NO_AUGMENTATION, RATE)(batch), batch)
    first, again = Augmenter(AugmentPolicy(), RATE, seed=7), Augmenter(AugmentPolicy(), RATE, seed=7)
    a1, a2 = first(batch), first(batch)
    assert np.array_equal(a1, again(batch)) and np.array_equal(a2, again(batch))
    assert not np.array_equal(a1, a2)  # drawn afresh for every batch
    assert a1.shape == batch.shape and a1.dtype == np.float32 and np.abs(a1).max() <= 1.0


def test_noise_only_sits_in_its_snr_range():
    batch = _batch()
    out = Augmenter(AugmentPolicy(noise_p=1, snr_db=(20, 20), shift_p=0, speed_p=0), RATE, seed=1)(batch)
    assert all(abs(snr_db(x, y) - 20) < 0.5 for x, y in zip(batch, out))


def test_speed_keeps_the_length_with_silence_after_a_faster_clip():
    batch = _batch()
    out = Augmenter(AugmentPolicy(noise_p=0, shift_p=0, speed=(1.25, 1.25), speed_p=1), RATE)(batch)
    assert out.shape == batch.shape
    assert all(not row[1600:].any() and np.abs(row[1590:1600]).max() > 0 for row in out)  # 2000 / 1.25 = 1600


def test_cut_mix_records_its_partner_and_share():
    batch = _batch(rows=3)
    result = Augmenter(AugmentPolicy(noise_p=0, shift_p=0, speed_p=0, cut_mix_p=1, cut_fraction=(0.2, 0.4)),
                       RATE, seed=3).augment(batch)
    for i, (row, j, share) in enumerate(zip(result.audio, result.partners, result.mix)):
        assert j != i and 0 <= j < 3
        from_partner = np.flatnonzero(row != batch[i])
        first, last = from_partner[0], from_partner[-1] + 1
        assert np.array_equal(row[first:last], batch[j][first:last])
        assert abs((last - first) / row.size - share) <= 2 / row.size and 0.19 <= share <= 0.41


def test_policy_round_trips_through_json_and_refuses_bad_settings():
    policy = AugmentPolicy(noise_p=0.25, speed=(0.8, 1.2), shift_mode="pad")
    assert AugmentPolicy.from_dict(json.loads(json.dumps(policy.as_dict()))) == policy
    with pytest.raises(AudioError, match="between 0 and 1"):
        AugmentPolicy(noise_p=1.5)
    with pytest.raises(AudioError, match="lower end first"):
        AugmentPolicy(snr_db=(30, 10))
    with pytest.raises(AudioError, match="no setting"):
        AugmentPolicy.from_dict({"volume": 1})
    with pytest.raises(AudioError, match=r"shape \(clips, samples\)"):
        Augmenter()(np.zeros(10))
