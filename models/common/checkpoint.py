"""Checkpoints: a folder with ``config.json`` (the model card) and ``model.safetensors``.

Nothing is pickled: weights are safetensors, everything else JSON. The card
holds the architecture, format version, config, vocabulary, training data and
exact command, metrics, and the sha256 of the weights file, which is checked
on load so a truncated or tampered checkpoint is refused with one sentence.

Training resume state (optimizer tensors, step, RNG states) lives beside it as
``resume.safetensors`` + ``resume.json``, equally safe to load.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from app.core.atomic import atomic_write_bytes
from app.core.errors import CheckpointError

from models.common.card import WEIGHTS, read_card, verified_weights, write_card

RESUME_TENSORS = "resume.safetensors"
RESUME_JSON = "resume.json"


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
    os.replace(tmp, path)


def save_checkpoint(folder: str | Path, state: dict[str, torch.Tensor], card: dict[str, Any],
                    half: bool = False) -> dict[str, Any]:
    """Write weights then the card (with the weights' sha256); returns the card written.

    ``half`` stores floating tensors as fp16 (the loader converts back).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: (v.half() if half and v.is_floating_point() else v) for k, v in state.items()}
    _save_tensors(tensors, folder / WEIGHTS)
    return write_card(folder, card, "float16" if half else "float32")


def load_checkpoint(folder: str | Path, device: torch.device | str = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Check the sha256, then load the weights as float32 on ``device``: ``(state, card)``."""
    folder = Path(folder)
    card = read_card(folder)
    weights = verified_weights(folder, card)
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights} cannot be read ({exc}).") from None
    return {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}, card


def save_resume(folder: str | Path, optimizer: torch.optim.Optimizer, info: dict[str, Any],
                extra_tensors: dict[str, torch.Tensor] | None = None) -> None:
    """Optimizer state, step counters and RNG states, without pickle."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    opt = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = dict(extra_tensors or {})
    scalars: dict[str, dict[str, Any]] = {}
    for pid, pstate in opt["state"].items():
        for name, value in pstate.items():
            if torch.is_tensor(value):
                tensors[f"opt.{pid}.{name}"] = value
            else:
                scalars.setdefault(str(pid), {})[name] = value
    tensors["rng.torch"] = torch.get_rng_state()
    _save_tensors(tensors, folder / RESUME_TENSORS)
    doc = {"info": info, "param_groups": opt["param_groups"], "scalars": scalars,
           "rng_python": _py_rng_state(), "rng_numpy": _np_rng_state()}
    atomic_write_bytes(folder / RESUME_JSON, json.dumps(doc).encode(), keep_backup=False)


def load_resume(folder: str | Path, optimizer: torch.optim.Optimizer) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Restore optimizer and RNG states; returns ``(info, extra_tensors)``."""
    folder = Path(folder)
    try:
        doc = json.loads((folder / RESUME_JSON).read_text())
        tensors = load_file(str(folder / RESUME_TENSORS))
    except FileNotFoundError:
        raise CheckpointError(f"{folder} has no training state to resume from.") from None
    except (OSError, ValueError, SafetensorError):
        raise CheckpointError(f"The training state in {folder} is damaged; start a new run.") from None
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = value
    for pid, values in doc.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": doc["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    random.setstate(_to_py_rng(doc["rng_python"]))
    np.random.set_state(tuple(doc["rng_numpy"][:1]) + (np.array(doc["rng_numpy"][1], dtype=np.uint32),) + tuple(doc["rng_numpy"][2:]))
    extra = {k: v for k, v in tensors.items() if not k.startswith(("opt.", "rng."))}
    return doc["info"], extra


def _py_rng_state() -> list:
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _to_py_rng(data: list) -> tuple:
    return (data[0], tuple(data[1]), data[2])


def _np_rng_state() -> list:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)]
