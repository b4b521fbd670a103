"""What a model gives the training loop: its task, and the loop's settings and reports.

:class:`TrainTask` is implemented by each model's ``train.py``;
:class:`TrainConfig` holds the optimisation settings shared by every torch
model; :class:`TrainProgress` is what :func:`models.common.train_loop.train`
yields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator, Iterable, Iterator, Sequence

if TYPE_CHECKING:  # torch only in annotations: a one-pass trainer (no torch) yields TrainProgress too
    import torch
    from torch import nn


@dataclass
class TrainConfig:
    """Optimisation settings shared by every torch model."""

    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1  # cosine decay after warm-up ends at lr * min_lr_ratio
    patience: int = 3  # evaluations without improvement before stopping (0: never stop early)
    eval_every: int = 0  # 0: at the end of every epoch, else every N steps
    checkpoint_every: int = 200  # steps between resume states (0: none by steps)
    checkpoint_minutes: float = 0.0  # minutes between resume states (0: none by time)
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # CUDA only: autocast (bf16, else fp16 + GradScaler)
    max_steps: int = 0  # 0: no cap
    half_weights: bool = False  # save the best model's weights as fp16
    init_from: str = ""  # a checkpoint folder whose weights start the run (fine-tuning); "" = from scratch
    keep: str = "best"  # the model the run writes: "best" (lowest validation loss) or "last" (the final step's)


@dataclass(frozen=True)
class TrainProgress:
    """Where a training run stands; ``valid_*`` are set on the steps that evaluated."""

    step: int
    epoch: int
    total_steps: int
    train_loss: float | None = None
    valid_loss: float | None = None
    valid_accuracy: float | None = None
    tokens_per_s: float = 0.0
    eta_s: float | None = None
    lr: float = 0.0
    message: str = ""


TrainRun = Generator[TrainProgress, None, dict]


class TrainTask(ABC):
    """What a model supplies to :func:`train`.

    Batches are whatever ``loss`` accepts (usually a CPU tensor). The order of
    ``train_batches(epoch, ...)`` must depend only on the task's seed and
    ``epoch`` (never on a global RNG), so that resuming skips exactly the
    batches already seen. ``num_train_batches(epoch)`` counts the batches of
    the whole epoch over all ranks; rank ``r`` of ``world`` is given batches
    ``r, r + world, ...`` (see :func:`shard`) and the loop takes
    ``num_train_batches(epoch) // world`` of them, so every rank steps alike.
    """

    @abstractmethod
    def build_model(self) -> nn.Module:
        """A freshly initialised module (the loop seeds torch first)."""

    @abstractmethod
    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[Any]:
        """This rank's shard of the epoch's batches, in a (seed, epoch)-determined order."""

    @abstractmethod
    def valid_batches(self) -> Iterable[Any]:
        """The validation batches (every rank gets all; the loop shards them)."""

    def test_batches(self) -> Iterable[Any] | None:
        """Held-out test batches, measured once with the best model (None: no test split)."""
        return None

    @abstractmethod
    def loss(self, model: nn.Module, batch: Any, device: torch.device) -> tuple[torch.Tensor, int, int]:
        """``(mean loss, tokens, correct predictions)`` of one batch."""

    @abstractmethod
    def card(self) -> dict[str, Any]:
        """The model card without the training results (arch, config, vocabulary, data...)."""

    @abstractmethod
    def num_train_batches(self, epoch: int) -> int:
        """Batches in the whole epoch, over all ranks."""


def shard(batches: Sequence[Any], rank: int, world: int) -> list[Any]:
    """Rank ``rank``'s batches: every ``world``-th, the same count on every rank."""
    return list(batches[rank::world][: len(batches) // world])
