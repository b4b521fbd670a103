"""Training the audio VAE with the shared training loop.

The data are 10 s mono clips at 3 kHz (the write-up's windows): FluidSynth renders of the corpora or a
folder of the user's recordings (``models.audio_common.data``), at most ``--clips-per-source`` from each. Whole
pieces are held out: a fifth of the pieces, half of them for validation (early stopping, the best model) and
half for the test split the card and ``measure.py`` report. The network is fully convolutional, so it trains
on random crops of :data:`CROP` samples (1 s) — two per training clip per epoch, at offsets and gains drawn
from (seed, epoch) — and is validated on whole 10 s clips. The loop's "loss" is the VAE loss of
``model.py`` (waveform L1 + multi-resolution STFT + weighted KL); on held-out clips the latent is the mean,
so validation is deterministic. Its "tokens" are samples. With ``--augment on`` every training batch also
goes through ``models.audio_common.pipeline`` (speed tune, time shift, mixed noise; seeded by (seed, epoch)).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from app.core.errors import CheckpointError, DatasetError
from models.common.run_folder import base_card
from models.common.train_loop import train
from models.common.train_request import TrainRequest
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard

from models.audio_vae.model import STFT_RESOLUTIONS, AudioVAE, AudioVAEConfig, vae_loss

DEFAULT_DATA = ("corpus:chorales",)
CLIP_SECONDS = 10.0
CROP = 3072  # samples per training crop (1.024 s at 3 kHz; a multiple of the default hop, 64)
CROPS_PER_CLIP = 2  # per training clip per epoch
GAIN = (0.5, 1.0)  # random gain of each crop (never above the render's own level)
DEFAULT_CLIPS = 300
HELD_OUT = 0.2  # of the pieces: half validation, half test
MAX_VALID_CLIPS = 32
VALID_BATCH = 8
DESCRIPTION = ("A convolutional VAE on raw mono waveform at 3 kHz (after Vranceanu et al.): a 1-D conv encoder "
               "(residual blocks and strided convs) to a latent sequence of means and log-variances, and a "
               "transposed-conv decoder; trained with waveform L1 + multi-resolution STFT loss + weighted KL.")
LOSS_WORDS = ("waveform_weight x L1 on the waveform + stft_weight x multi-resolution STFT loss (spectral "
              "convergence + log-magnitude L1 at "
              f"(n_fft, hop) = {', '.join(map(str, STFT_RESOLUTIONS))} samples) + kl_weight x mean KL per latent "
              "value. The STFT terms because a waveform loss alone is phase-sensitive and gives muffled, "
              "low-passed output while the ear hears the spectrum; the waveform term because the STFT terms "
              "are blind to phase and the samples (and the SNR) need it aligned.")


@dataclass
class AudioSplits:
    train: list[np.ndarray]
    valid: list[np.ndarray]
    test: list[np.ndarray]
    pieces: dict[str, int]


def augment_policy():
    """The pipeline's default policy without cut mix (an autoencoder's target is its input: a spliced clip
    teaches nothing a whole one does not)."""
    from models.audio_common.pipeline import AugmentPolicy

    return AugmentPolicy(cut_mix_p=0.0)


def parse_switch(value: str | None, flag: str) -> bool:
    if value is None or str(value).lower() in ("off", "no", "false", "0"):
        return False
    if str(value).lower() in ("on", "yes", "true", "1"):
        return True
    raise DatasetError(f"{flag} takes on or off, not '{value}'.")


def parse_clips(value: str | None) -> int:
    if value is None:
        return DEFAULT_CLIPS
    try:
        clips = int(value)
    except (TypeError, ValueError):
        raise DatasetError(f"--clips-per-source takes a whole number of clips, not '{value}'.") from None
    if not 3 <= clips <= 100_000:
        raise DatasetError(f"--clips-per-source must be between 3 and 100,000, not {clips}.")
    return clips


def load_splits(specs: Sequence[str], clips: int, seed: int, sample_rate: int = 3000,
                seconds: float = CLIP_SECONDS) -> AudioSplits:
    """The clips of ``specs`` split by piece into train, validation and test (deterministic for ``seed``)."""
    from models.audio_common.data import load_training_clips, split_clips

    found = []
    for spec in specs:
        found += load_training_clips([spec], sample_rate=sample_rate, seconds=seconds, limit=clips, seed=seed)
    if len(found) < 3:
        raise DatasetError(f"{' and '.join(specs)} gave {len(found)} clip(s) of {seconds:g} s; training needs "
                           "at least 3 (one to train on, one to validate, one to test).")
    train_set, held = split_clips(found, HELD_OUT, seed, groups=[c.source for c in found])
    valid, test = split_clips(held, 0.5, seed, groups=[c.source for c in held])
    if not valid:  # one held-out piece: it validates, and the test split is empty
        valid, test = test, []
    pieces = {name: len({c.source for c in part}) for name, part in (("train", train_set), ("valid", valid),
                                                                    ("test", test))}
    return AudioSplits([c.audio for c in train_set], [c.audio for c in valid], [c.audio for c in test], pieces)


def pad_to(x: torch.Tensor, hop: int) -> torch.Tensor:
    """``x`` (..., T) zero-padded at the end to a multiple of ``hop`` (at least one hop)."""
    length = x.shape[-1]
    target = max(hop, -(-length // hop) * hop)
    return F.pad(x, (0, target - length)) if target != length else x


class AudioVAETask(TrainTask):
    """The audio VAE for :func:`train`: random crops of training clips, whole held-out clips."""

    def __init__(self, splits: AudioSplits, model_cfg: AudioVAEConfig, batch_size: int = 16, seed: int = 0,
                 specs: Sequence[str] = (), clips: int = DEFAULT_CLIPS, command: str = "", crop: int = CROP,
                 augment: bool = False) -> None:
        self.splits, self.model_cfg, self.batch_size, self.seed = splits, model_cfg, batch_size, seed
        self.policy = augment_policy() if augment else None
        self.specs, self.clips, self.command = list(specs), clips, command
        self.crop = max(model_cfg.hop, crop // model_cfg.hop * model_cfg.hop)
        self.crops = len(splits.train) * CROPS_PER_CLIP
        self._cached: tuple[int, list[np.ndarray]] | None = None

    def build_model(self) -> nn.Module:
        return AudioVAE(self.model_cfg)

    def epoch_batches(self, epoch: int) -> list[np.ndarray]:
        """The epoch's batches (B, crop) float32: crops at offsets and gains drawn from (seed, epoch), shuffled."""
        if self._cached is None or self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            crops = []
            for _ in range(CROPS_PER_CLIP):
                for clip in self.splits.train:
                    start = int(rng.integers(0, max(1, len(clip) - self.crop + 1)))
                    piece = clip[start: start + self.crop]
                    piece = np.pad(piece, (0, self.crop - len(piece)))
                    crops.append(piece * np.float32(rng.uniform(*GAIN)))
            order = rng.permutation(len(crops))
            stacked = np.stack([crops[i] for i in order]).astype(np.float32)
            batches = [stacked[i: i + self.batch_size] for i in range(0, len(stacked), self.batch_size)]
            if self.policy is not None:
                from models.audio_common.pipeline import Augmenter

                augmenter = Augmenter(self.policy, self.model_cfg.sample_rate, seed=[self.seed, epoch, 1])
                batches = [np.clip(augmenter(b), -1.0, 1.0) for b in batches]
            self._cached = (epoch, batches)
        return self._cached[1]

    def num_train_batches(self, epoch: int) -> int:
        return -(-self.crops // self.batch_size)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[Any]:
        for batch in shard(self.epoch_batches(epoch), rank, world):
            yield torch.from_numpy(batch)

    @staticmethod
    def _batches(clips: Sequence[np.ndarray]) -> list[torch.Tensor]:
        return [torch.from_numpy(np.stack(clips[i: i + VALID_BATCH]).astype(np.float32))
                for i in range(0, len(clips), VALID_BATCH)]

    def valid_batches(self) -> Iterable[Any]:
        return self._batches(self.splits.valid[:MAX_VALID_CLIPS])

    def test_batches(self) -> Iterable[Any] | None:
        return self._batches(self.splits.test) or None

    def loss(self, model: nn.Module, batch: Any, device: torch.device) -> tuple[torch.Tensor, int, int]:
        x = pad_to(batch.to(device, non_blocking=True), self.model_cfg.hop)[:, None, :]
        total, _ = vae_loss(model, x, sample=model.training, config=self.model_cfg)
        return total, int(batch.numel()), 0

    def card(self) -> dict[str, Any]:
        cfg, s = self.model_cfg, self.splits
        return {
            "arch": "audio-vae", "name": "audio-vae", "description": DESCRIPTION, "config": asdict(cfg),
            "latent": {"frames_per_second": cfg.frames_per_second(), "channels": cfg.latent, "hop": cfg.hop},
            "training": {"data": self.specs, "command": self.command, "seed": self.seed,
                         "clips_per_source": self.clips, "clip_seconds": CLIP_SECONDS,
                         "sample_rate": cfg.sample_rate, "crop_samples": self.crop,
                         "batch_size": self.batch_size, "loss": LOSS_WORDS,
                         "augmentation": f"{CROPS_PER_CLIP} random crops of {self.crop} samples per training "
                                         f"clip per epoch, each at a gain drawn uniformly in {GAIN[0]}-{GAIN[1]}"
                                         + ("; then models.audio_common.pipeline on every batch (the policy below)"
                                            if self.policy else ""),
                         **({"augment_policy": self.policy.as_dict()} if self.policy else {}),
                         "clips": {"train": len(s.train), "valid": len(s.valid), "test": len(s.test)},
                         "pieces": s.pieces, "valid_clips_used": min(len(s.valid), MAX_VALID_CLIPS)},
        }


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface: load (render) the clips, split by piece, then train (see :func:`train`).

    ``request.sizes`` sets AudioVAEConfig fields (width, latent); a fine-tune keeps the base's config.
    ``request.extras["clips_per_source"]``: at most that many clips from each data source; ``request.extras["augment"]``
    "on": the audio lab's augmentation pipeline on every training batch as well.
    """
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, **request.hyperparameters())
    if request.batch_size is None:
        cfg.batch_size = 16
    if request.lr is None:
        cfg.lr = 2e-3
    if request.epochs is None:
        cfg.epochs = 60
    cfg.patience = 8
    specs = list(request.data or DEFAULT_DATA)
    clips = parse_clips(request.extras.get("clips_per_source"))
    augment = parse_switch(request.extras.get("augment"), "--augment")
    base = base_card(cfg.init_from, "audio-vae") if cfg.init_from else None
    if base and request.sizes:
        raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
    model_cfg = AudioVAEConfig(**base["config"]) if base else AudioVAEConfig(**request.sizes)
    yield TrainProgress(0, 0, 0, message=f"loading {', '.join(specs)} (rendering the corpora the first time)")
    splits = load_splits(specs, clips, cfg.seed, model_cfg.sample_rate)
    yield TrainProgress(0, 0, 0, message=f"{len(splits.train)} training clips, {len(splits.valid)} validation, "
                                         f"{len(splits.test)} test")
    task = AudioVAETask(splits, model_cfg, cfg.batch_size, cfg.seed, specs=specs, clips=clips,
                        command=request.command, augment=augment)
    return (yield from train(task, cfg, request.out, request.resume))
