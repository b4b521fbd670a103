"""The model card (``config.json``) and torch-free weight files.

Shared by every checkpoint: the card names the architecture, format version,
config, vocabulary, training data and exact command, metrics and the sha256 of
the weights, checked on load. ``save_arrays``/``load_arrays`` store numpy
arrays as safetensors for models without torch (markov).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file as load_numpy, save_file as save_numpy

from app.core.atomic import atomic_write_bytes
from app.core.errors import CheckpointError

FORMAT_VERSION = 1
CARD = "config.json"
WEIGHTS = "model.safetensors"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_card(folder: Path, card: dict[str, Any], weights_dtype: str) -> dict[str, Any]:
    """Write the card for the weights already in ``folder``; returns it."""
    card = dict(card, format_version=FORMAT_VERSION, weights_sha256=sha256_file(folder / WEIGHTS),
                weights_dtype=weights_dtype)
    atomic_write_bytes(folder / CARD, json.dumps(card, indent=2, sort_keys=True).encode(), keep_backup=False)
    return card


def update_card(folder: str | Path, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into a checkpoint's card (weights untouched, sha256 kept valid)."""
    folder = Path(folder)
    card = read_card(folder)
    card.update(changes)
    kept = {k: v for k, v in card.items() if k not in ("format_version", "weights_sha256", "weights_dtype")}
    return write_card(folder, kept, card.get("weights_dtype", "float32"))


def read_card(folder: str | Path) -> dict[str, Any]:
    """The model card of a checkpoint folder; CheckpointError when absent or damaged."""
    path = Path(folder) / CARD
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{folder} is not a Cadenza checkpoint (it has no {CARD}).") from None
    except (OSError, ValueError, UnicodeDecodeError):
        raise CheckpointError(f"The model card {path} is damaged.") from None
    if not isinstance(card, dict) or "arch" not in card:
        raise CheckpointError(f"The model card {path} does not describe a model.")
    if card.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{folder} was saved by a newer Cadenza (format {card['format_version']}).")
    return card


def verified_weights(folder: Path, card: dict[str, Any]) -> Path:
    """The weights file, after checking it exists and matches the card's sha256."""
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{folder} has no {WEIGHTS}.")
    if card.get("weights_sha256") and sha256_file(weights) != card["weights_sha256"]:
        raise CheckpointError(f"{weights} does not match its model card's sha256: it is truncated or was modified.")
    return weights


def save_arrays(folder: str | Path, arrays: dict[str, np.ndarray], card: dict[str, Any]) -> dict[str, Any]:
    """Save numpy arrays as the weights, then the card."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (WEIGHTS + ".tmp")
    save_numpy({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp))
    os.replace(tmp, folder / WEIGHTS)
    return write_card(folder, card, "numpy")


def load_arrays(folder: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Check and load numpy weights: ``(arrays, card)``."""
    folder = Path(folder)
    card = read_card(folder)
    weights = verified_weights(folder, card)
    try:
        return load_numpy(str(weights)), card
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights} cannot be read ({exc}).") from None
