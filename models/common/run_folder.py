"""What a training run's folder holds, read from outside the loop: the last weights, a base card, a resume state,
and which settings a resumed run must keep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from app.core.errors import CheckpointError
from models.common import file_unit
from models.common.card import read_card
from models.common.checkpoint import RESUME_TENSORS
from models.common.train_request import flag


def final_weights(out_dir: str | Path) -> dict[str, torch.Tensor]:
    """The weights of the last step (from the resume state), as opposed to the best ones."""
    from safetensors.torch import load_file

    tensors = load_file(str(file_unit.resolve(out_dir, RESUME_TENSORS)))
    return {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}


def base_card(folder: str | Path, arch: str) -> dict[str, Any]:
    """The card of the checkpoint a fine-tuning run starts from, refused unless it holds an ``arch`` model."""
    card = read_card(folder)
    if card["arch"] != arch:
        raise CheckpointError(f"{folder} holds a {card['arch']} model; fine-tuning {arch} needs a checkpoint of that model.")
    return card


def fine_tune_record(folder: str | Path, base: dict[str, Any]) -> dict[str, Any]:
    """What a fine-tuned card says of its base (``training.fine_tuned_from``): its folder, weights, and how it
    was trained (command, data, steps, time), with the base's own base nested, back to a run from scratch."""
    training = base.get("training") or {}
    return {"name": Path(folder).name, "checkpoint": str(folder), "weights_sha256": base.get("weights_sha256"),
            "command": training.get("command"), "data": training.get("data"), "steps": training.get("steps"),
            "seconds": training.get("seconds"),
            **({"fine_tuned_from": training["fine_tuned_from"]} if training.get("fine_tuned_from") else {})}


def has_resume_state(out_dir: str | Path) -> bool:
    """Whether ``out_dir`` holds a complete resume state (so ``train(..., resume=True)`` can continue)."""
    from models.common.train_request import has_training_state

    return has_training_state(out_dir)


# TrainConfig fields a resumed run must keep: any other value would change the result
# (checkpoint_every/checkpoint_minutes only say how often the state is saved; the device is checked by the CLI)
RESULT_SETTINGS = ("epochs", "batch_size", "lr", "weight_decay", "grad_clip", "warmup_steps", "min_lr_ratio",
                   "patience", "eval_every", "seed", "max_steps", "amp", "half_weights", "init_from", "keep")


def check_resume_settings(out_dir: Path, saved: dict[str, Any] | None, now: dict[str, Any]) -> None:
    """Refuse, naming them, settings (``now``) that differ from the saved run's and would change its result."""
    if not isinstance(saved, dict):
        return  # a state saved before settings were kept
    differ = [f"{flag(k)} was {saved[k]} (now {now[k]})" for k in RESULT_SETTINGS if k in saved and saved[k] != now[k]]
    if differ:
        raise CheckpointError(f"The run in {out_dir} cannot continue with other settings: {'; '.join(differ)}; "
                              "resume with the run's own settings, or start a new run in another folder.")
