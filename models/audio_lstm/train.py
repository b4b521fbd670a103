"""Training the sample-level LSTM with the shared training loop.

Training audio comes from ``models.audio_common.data`` (FluidSynth renders of a corpus, or a folder of
WAV/FLAC/OGG files) as 4-second clips at the model's rate; whole pieces are held out (10% for validation,
10% for test, by source). Each clip is brought to one level (``clips.py``). Every epoch, each training clip
is cut into windows of :data:`SEQ_LEN` + 1 samples from an offset drawn by (seed, epoch), and the windows
are shuffled. The loss at every position of a window is that of the next sample: cross-entropy over the
256 μ-law classes (``head="mulaw"``), or the mean squared error of the write-up's linear unit
(``head="regression"``), in the levelled scale. Held-out windows are fixed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.core.errors import CadenzaError, CheckpointError, DatasetError
from models.common.corpus import dataset_credits
from models.common.run_folder import base_card
from models.common.train_loop import train
from models.common.train_request import TrainRequest
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask, shard

from models.audio_lstm.clips import levelled, per_clip, windows
from models.audio_lstm.model import AudioLSTM, AudioLSTMConfig, mulaw_encode

DEFAULT_DATA = ("corpus:chorales",)
CLIP_SECONDS = 4.0
DEFAULT_CLIPS = 2000
SEQ_LEN = 512  # samples per training window (a sixth of a second at 3 kHz), plus the one predicted last
HELD_OUT = 0.2  # of the pieces: half validation, half test
MAX_HELD_WINDOWS = 384  # per held-out split (about 200,000 samples)
EVAL_EVERY = 200  # steps
BATCH_SIZE = 32


class AudioLSTMTask(TrainTask):
    """Windows of levelled samples; the next-sample loss at every position."""

    def __init__(self, train_clips: Sequence[np.ndarray], valid: Sequence[np.ndarray], test: Sequence[np.ndarray],
                 model_cfg: AudioLSTMConfig, seq_len: int = SEQ_LEN, batch_size: int = BATCH_SIZE, seed: int = 0,
                 info: dict[str, Any] | None = None) -> None:
        self.model_cfg, self.seq_len, self.batch_size, self.seed = model_cfg, seq_len, batch_size, seed
        self.clips = levelled(train_clips, model_cfg.level_rms)
        self.count = {i: per_clip(len(c), seq_len) for i, c in enumerate(self.clips)}
        self.windows = sum(self.count.values())
        self.held = {name: self._fixed(levelled(clips, model_cfg.level_rms)) for name, clips in
                     (("valid", valid), ("test", test))}
        self.info = dict(info or {})
        self._cached: tuple[int, list[torch.Tensor]] | None = None

    def _fixed(self, clips: Sequence[np.ndarray]) -> list[torch.Tensor]:
        found = [w for c in clips for w in windows(c, self.seq_len)][:MAX_HELD_WINDOWS]
        return [torch.from_numpy(np.stack(found[i: i + self.batch_size]))
                for i in range(0, len(found), self.batch_size)]

    def build_model(self) -> nn.Module:
        return AudioLSTM(self.model_cfg)

    def epoch_batches(self, epoch: int) -> list[torch.Tensor]:
        if self._cached is None or self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            found = []
            for i, clip in enumerate(self.clips):
                found += windows(clip, self.seq_len, int(rng.integers(0, self.seq_len)), self.count[i])
            order = rng.permutation(len(found))
            batches = [torch.from_numpy(np.stack([found[j] for j in order[i: i + self.batch_size]]))
                       for i in range(0, len(order), self.batch_size)]
            self._cached = (epoch, batches)
        return self._cached[1]

    def num_train_batches(self, epoch: int) -> int:
        return -(-self.windows // self.batch_size)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[Any]:
        yield from shard(self.epoch_batches(epoch), rank, world)

    def valid_batches(self) -> Iterable[Any]:
        return self.held["valid"]

    def test_batches(self) -> Iterable[Any] | None:
        return self.held["test"] or None

    def loss(self, model: nn.Module, batch: Any, device: torch.device) -> tuple[torch.Tensor, int, int]:
        return next_sample_loss(model, batch.to(device))

    def card(self) -> dict[str, Any]:
        return {"arch": "audio-lstm", "name": "audio-lstm", "config": asdict(self.model_cfg),
                "description": DESCRIPTION[self.model_cfg.head],
                "training": dict(self.info, seed=self.seed, seq_len=self.seq_len, batch_size=self.batch_size,
                                 windows_per_epoch=self.windows,
                                 loss="cross-entropy over the 256 mu-law classes of the next sample (nats)"
                                 if self.model_cfg.head == "mulaw" else
                                 "mean squared error of the next sample at the levelled scale")}


DESCRIPTION = {
    "mulaw": "Sample-level LSTM (Vranceanu et al.'s, with SampleRNN/WaveNet's output): each step reads the previous "
             "sample (its value and mu-law value) and gives 256 logits over the 8-bit mu-law classes of the next.",
    "regression": "Sample-level LSTM as in Vranceanu et al.: each step reads the previous sample (its value and "
                  "mu-law value) and one linear unit regresses the next (mean squared error).",
}


def next_sample_loss(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
    """``(mean loss, samples, correct classes)`` of windows ``x`` (B, T + 1): every position predicts the next."""
    out, _ = model(x[:, :-1])  # (B, T, classes)
    target = x[:, 1:]
    n = target.numel()
    if out.size(-1) == 1:
        return F.mse_loss(out[..., 0].float(), target), n, 0
    classes = mulaw_encode(target)
    loss = F.cross_entropy(out.reshape(n, -1).float(), classes.reshape(n))
    return loss, n, int((out.argmax(-1) == classes).sum())


def load_clips(specs: Sequence[str], sample_rate: int, limit: int, seed: int
               ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], dict[str, Any]]:
    """``(train, valid, test, info)``: clips of whole pieces on each side."""
    from models.audio_common.data import load_training_clips, split_clips

    clips = load_training_clips(list(specs), sample_rate=sample_rate, seconds=CLIP_SECONDS, limit=limit, seed=seed)
    train_set, held = split_clips(clips, HELD_OUT, seed, groups=[c.source for c in clips])
    valid, test = split_clips(held, 0.5, seed + 1, groups=[c.source for c in held]) if len(held) > 1 else (held, [])
    if not train_set or not valid:
        raise DatasetError(f"{' and '.join(specs)} gave too little audio to hold some out: "
                           f"{len(clips)} clip(s) of {CLIP_SECONDS:g} s.")
    info = {"data": list(specs), "sample_rate": sample_rate, "clip_seconds": CLIP_SECONDS,
            "clips": {"train": len(train_set), "valid": len(valid), "test": len(test)},
            "pieces": {name: len({c.source for c in part}) for name, part in
                       (("train", train_set), ("valid", valid), ("test", test))},
            "held_out": {"valid": sorted({c.source for c in valid}), "test": sorted({c.source for c in test})}}
    return [c.audio for c in train_set], [c.audio for c in valid], [c.audio for c in test], info


def clip_limit(extras: dict[str, str]) -> int:
    text = extras.get("clips")
    if text is None:
        return DEFAULT_CLIPS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 3:
        raise CadenzaError(f"--clips takes a whole number of clips, 3 or more, not '{text}'.")
    return value


def train_run(request: TrainRequest) -> TrainRun:
    """The shared trainer interface: load and level the audio, then train (see :func:`train`).

    ``request.sizes`` sets AudioLSTMConfig fields (hidden, layers, head, sample_rate); a fine-tune keeps the
    base's config. ``--clips N`` caps the 4-second clips loaded.
    """
    cfg = TrainConfig(device=request.device, init_from=request.fine_tune, eval_every=EVAL_EVERY, patience=5,
                      **request.hyperparameters())
    if request.batch_size is None:
        cfg.batch_size = BATCH_SIZE
    specs = list(request.data or DEFAULT_DATA)
    base = base_card(cfg.init_from, "audio-lstm") if cfg.init_from else None
    if base and request.sizes:
        raise CheckpointError("A fine-tuned model keeps its base model's sizes; leave out the size options.")
    model_cfg = AudioLSTMConfig(**base["config"]) if base else AudioLSTMConfig(**request.sizes)
    limit = clip_limit(dict(request.extras))
    yield TrainProgress(0, 0, 0, message=f"loading {', '.join(specs)} at {model_cfg.sample_rate} Hz")
    train_clips, valid, test, info = load_clips(specs, model_cfg.sample_rate, limit, cfg.seed)
    credits = dataset_credits(specs)
    if credits:
        info["credits"] = credits
    info["command"], info["clip_limit"] = request.command, limit
    task = AudioLSTMTask(train_clips, valid, test, model_cfg, SEQ_LEN, cfg.batch_size, cfg.seed, info)
    return (yield from train(task, cfg, request.out, request.resume))
