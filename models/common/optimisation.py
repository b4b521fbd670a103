"""The optimisation schedule of every training run: AdamW groups, warm-up and cosine decay, AMP, step seeds.

Pure functions of a :class:`~models.common.train_task.TrainConfig`, used by the
training loop (``train_loop.py``) and tested on their own.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from models.common.train_task import TrainConfig


def lr_at(step: int, cfg: TrainConfig, total_steps: int) -> float:
    """Learning rate of step ``step`` (0-based): linear warm-up, then cosine decay."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    span = max(1, total_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def step_seed(seed: int, rank: int, step: int) -> int:
    """The torch seed of one training step (dropout), so a resumed run draws the same masks."""
    return (seed * 1_000_003 + rank * 7_919 + step) % (2**63 - 1)


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW, decaying matrices and embeddings but not biases (nanoGPT's grouping).

    A model with ``lr_scales`` (``{submodule name: factor}``, e.g. a GAN's two time-scale update rule)
    gets those submodules' parameters in groups whose ``lr_scale`` the loop multiplies the rate by.
    """
    scales: dict[str, float] = dict(getattr(model, "lr_scales", {}) or {})
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = []
    for prefix in [*scales, None]:
        mine = [p for n, p in named if (n.split(".")[0] == prefix if prefix else n.split(".")[0] not in scales)]
        scale = {"lr_scale": scales[prefix]} if prefix else {}
        groups += [{"params": [p for p in mine if p.dim() >= 2], "weight_decay": cfg.weight_decay, **scale},
                   {"params": [p for p in mine if p.dim() < 2], "weight_decay": 0.0, **scale}]
    return torch.optim.AdamW([g for g in groups if g["params"]] if scales else groups, lr=cfg.lr)


def amp_setup(cfg: TrainConfig, device: torch.device) -> tuple[torch.dtype | None, Any]:
    """``(autocast dtype, GradScaler)``: bf16 without a scaler where supported, else fp16 with one."""
    if not cfg.amp or device.type != "cuda":
        return None, None
    if torch.cuda.is_bf16_supported():
        return torch.bfloat16, None
    return torch.float16, torch.amp.GradScaler("cuda")


def next_token_loss(logits: torch.Tensor, targets: torch.Tensor, pad: int) -> tuple[torch.Tensor, int, int]:
    """Cross-entropy of ``logits`` (B, L, V) against ``targets`` (B, L), padding (``pad``) ignored:
    ``(mean loss, tokens counted, correct predictions)`` as :meth:`TrainTask.loss` returns them."""
    import torch.nn.functional as F

    loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=pad)
    mask = targets != pad
    correct = ((logits.argmax(-1) == targets) & mask).sum()
    return loss, int(mask.sum()), int(correct)
