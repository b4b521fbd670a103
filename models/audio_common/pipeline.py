"""Training-time augmentation of audio batches, drawn afresh for every batch (numpy in, numpy out).

An :class:`AugmentPolicy` gives each of the four augmentations a probability and a range; an
:class:`Augmenter` applies it to batches of shape ``(clips, samples)``, clip by clip, in the order speed,
shift, cut mix, noise (noise last, so its SNR is that of the clip as the model sees it). Speed tuning keeps the
batch's length: a faster clip is padded with silence at its end, a slower one cut at a random stretch. Cut mix
takes its second clip from the same batch (as it was before augmentation), and the result records for every
clip which one it mixed with and how much, for models whose targets mix too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from app.core.errors import AudioError
from models.audio_common.augment import SHIFT_MODES, cut_mix, mix_noise, speed_tune, time_shift


@dataclass(frozen=True)
class AugmentPolicy:
    """How often each augmentation applies (probability per clip) and the range its setting is drawn from."""

    noise_p: float = 0.5
    snr_db: tuple[float, float] = (10.0, 40.0)
    cut_mix_p: float = 0.0  # off by default: it changes what a clip is, which suits labelled audio
    cut_fraction: tuple[float, float] = (0.1, 0.5)
    shift_p: float = 0.5
    shift: tuple[float, float] = (-0.5, 0.5)  # fractions of the clip
    shift_mode: str = "circular"
    speed_p: float = 0.5
    speed: tuple[float, float] = (0.9, 1.1)

    def __post_init__(self) -> None:
        for name in ("noise_p", "cut_mix_p", "shift_p", "speed_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise AudioError(f"The probability {name} must be between 0 and 1, not {getattr(self, name)}.")
        for name in ("snr_db", "cut_fraction", "shift", "speed"):
            low, high = getattr(self, name)
            if low > high:
                raise AudioError(f"The range {name} runs from {low} to {high}; give the lower end first.")
        if not (0.0 <= self.cut_fraction[0] and self.cut_fraction[1] <= 1.0):
            raise AudioError(f"The cut-mix fractions must lie between 0 and 1, not {self.cut_fraction}.")
        if not (-1.0 <= self.shift[0] and self.shift[1] <= 1.0):
            raise AudioError(f"The shifts are fractions of the clip between -1 and 1, not {self.shift}.")
        if not (0.25 <= self.speed[0] and self.speed[1] <= 4.0):
            raise AudioError(f"The speed factors must lie between 0.25 and 4, not {self.speed}.")
        if self.shift_mode not in SHIFT_MODES:
            raise AudioError(f"The time-shift mode must be circular or pad, not {self.shift_mode}.")

    def as_dict(self) -> dict:
        """The policy as plain JSON values (for a model card); :meth:`from_dict` reads it back."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict) -> "AugmentPolicy":
        known = cls.__dataclass_fields__
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise AudioError(f"The augmentation policy has no setting {unknown[0]}.")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


NO_AUGMENTATION = AugmentPolicy(noise_p=0.0, cut_mix_p=0.0, shift_p=0.0, speed_p=0.0)


@dataclass
class AugmentedBatch:
    """The augmented clips, and for each the batch row it was cut-mixed with (-1: none) and the share of it."""

    audio: np.ndarray
    partners: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    mix: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


class Augmenter:
    """Applies an :class:`AugmentPolicy` to batches, with its own seeded random stream."""

    def __init__(self, policy: AugmentPolicy = AugmentPolicy(), sample_rate: int = 16000, seed: int = 0) -> None:
        self.policy, self.sample_rate = policy, int(sample_rate)
        self.rng = np.random.default_rng(seed)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """The augmented batch (same shape, float32)."""
        return self.augment(batch).audio

    def augment(self, batch: np.ndarray) -> AugmentedBatch:
        """The augmented batch with its cut-mix record."""
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 2:
            raise AudioError(f"A batch of clips has shape (clips, samples), not {batch.shape}.")
        p, rng = self.policy, self.rng
        out = np.empty_like(batch)
        partners = np.full(len(batch), -1, dtype=np.int64)
        mix = np.zeros(len(batch), dtype=np.float32)
        for i, clip in enumerate(batch):
            x = clip
            if rng.random() < p.speed_p:
                x = _fit_length(speed_tune(x, rng.uniform(*p.speed), self.sample_rate), batch.shape[1], rng)
            if rng.random() < p.shift_p:
                x = time_shift(x, float(rng.uniform(*p.shift)), mode=p.shift_mode)
            if len(batch) > 1 and rng.random() < p.cut_mix_p:
                j = int(rng.integers(0, len(batch) - 1))
                j += j >= i  # any other row
                x, mix[i] = cut_mix(x, batch[j], fraction=float(rng.uniform(*p.cut_fraction)), rng=rng)
                partners[i] = j
            if rng.random() < p.noise_p and np.any(x):
                x = mix_noise(x, float(rng.uniform(*p.snr_db)), rng=rng)
            out[i] = x
        return AugmentedBatch(out, partners, mix)


def _fit_length(x: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """``x`` padded with silence at its end, or cut at a random stretch, to ``length`` samples."""
    if len(x) >= length:
        start = int(rng.integers(0, len(x) - length + 1))
        return x[start:start + length]
    return np.pad(x, (0, length - len(x)))
