"""The model card (``config.json``) and torch-free weight files.

Shared by every checkpoint: the card names the architecture, format version,
config, vocabulary, training data and exact command, metrics, the sha256 of
the weights and (format 2) of the vocabulary and config. Reading a card
checks it whole against the schema (``card_schema.py``); loading weights
requires and checks the checksum, then reads the safetensors header (names,
dtypes, shapes: no tensor data) before anything is allocated.
``save_arrays``/``load_arrays`` store numpy arrays as safetensors for models
without torch (markov).

A checkpoint's weights and card are written as one unit (``file_unit.py``):
a kill leaves the previous pair or the new pair, never new weights with an
old card; readers find the files through :func:`file_unit.resolve`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file as load_numpy, save_file as save_numpy

from app.core.atomic import atomic_write_bytes
from app.core.errors import CheckpointError

from models.common import file_unit
from models.common.card_schema import FORMAT_VERSION, MAX_CARD_BYTES, card_hashes, check_card
from models.common.file_unit import sha256_file

CARD = "config.json"
WEIGHTS = "model.safetensors"
FLOAT_DTYPES = {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"}
DTYPE_OF_CARD = {"float32": "F32", "float16": "F16"}
SIGNED = ("format_version", "weights_sha256", "weights_dtype", "vocabulary_sha256", "config_sha256")

Header = dict[str, tuple[str, tuple[int, ...]]]  # tensor name -> (safetensors dtype, shape)


def complete_card(card: dict[str, Any], weights: Path, weights_dtype: str) -> dict[str, Any]:
    """``card`` with the format version, the weights' sha256 and dtype and the hashes; checked."""
    kept = json.loads(json.dumps({k: v for k, v in card.items() if k not in SIGNED}))  # as it will read back
    full = dict(kept, format_version=FORMAT_VERSION, weights_sha256=sha256_file(weights),
                weights_dtype=weights_dtype, **card_hashes(kept))
    return check_card(full, "The model card being written")


def card_bytes(card: dict[str, Any]) -> bytes:
    return json.dumps(card, indent=2, sort_keys=True).encode()


def write_card(folder: Path, card: dict[str, Any], weights_dtype: str) -> dict[str, Any]:
    """Write the card for the weights already in ``folder``; returns it.

    In a folder whose files form a unit (a training run), the card replaces the old one as part of
    that unit (the manifest is renewed with it).
    """
    folder = Path(folder)
    card = complete_card(card, file_unit.resolve(folder, WEIGHTS), weights_dtype)
    manifest = file_unit.read_manifest(folder)
    if manifest is None:
        atomic_write_bytes(folder / CARD, card_bytes(card), keep_backup=False)
    else:
        keep = {k: v for k, v in manifest["files"].items() if k != CARD}
        file_unit.commit(folder, {CARD: lambda path: path.write_bytes(card_bytes(card))},
                         {k: v for k, v in manifest.items() if k not in ("files", "written")}, keep)
    return card


def update_card(folder: str | Path, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into a checkpoint's card (weights untouched, checksums kept valid)."""
    folder = Path(folder)
    card = read_card(folder)
    verified_weights(folder, card)  # never re-sign weights that no longer match
    card.update(changes)
    return write_card(folder, card, card["weights_dtype"])


def read_card(folder: str | Path) -> dict[str, Any]:
    """The model card of a checkpoint folder, checked against the schema; CheckpointError (one
    sentence) when it is absent, damaged or not valid."""
    path = file_unit.resolve(folder, CARD)
    try:
        size = path.stat().st_size
        if size > MAX_CARD_BYTES:
            raise CheckpointError(f"The model card {path} is too large to be a model card "
                                  f"({size / 1e6:.0f} MB; at most {MAX_CARD_BYTES / 1e6:.0f} MB).")
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{folder} is not a Cadenza checkpoint (it has no {CARD}).") from None
    except IsADirectoryError:
        raise CheckpointError(f"{folder} is not a Cadenza checkpoint ({CARD} is a folder).") from None
    except PermissionError:
        raise CheckpointError(f"The model card {path} cannot be read (permission denied).") from None
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        raise CheckpointError(f"The model card {path} is damaged (it is not readable JSON).") from None
    return check_card(card, f"The model card {path}")


def verified_weights(folder: Path, card: dict[str, Any]) -> Path:
    """The weights file, after checking it exists and matches the card's sha256 (which is required)."""
    weights = file_unit.resolve(folder, WEIGHTS)
    if not weights.is_file():
        raise CheckpointError(f"{folder} has no {WEIGHTS}.")
    if not card.get("weights_sha256"):
        raise CheckpointError(f"The model card in {folder} lacks 'weights_sha256', so its weights cannot be checked.")
    try:
        actual = sha256_file(weights)
    except OSError as exc:
        raise CheckpointError(f"{weights} cannot be read ({exc.strerror or exc}).") from None
    if actual != card["weights_sha256"]:
        raise CheckpointError(f"{weights} does not match its model card's sha256: it is truncated or was modified.")
    return weights


def weights_header(weights: Path, card: dict[str, Any]) -> Header:
    """Every tensor's dtype and shape from the safetensors header (no tensor data is read), checked
    against the card's ``weights_dtype``: CheckpointError naming the first tensor that disagrees."""
    try:
        with safe_open(str(weights), framework="numpy") as fh:
            header = {name: (fh.get_slice(name).get_dtype(), tuple(fh.get_slice(name).get_shape()))
                      for name in fh.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError):
        raise CheckpointError(f"{weights} is not a readable safetensors file.") from None
    if not header:
        raise CheckpointError(f"{weights} holds no tensors.")
    wanted = DTYPE_OF_CARD.get(card.get("weights_dtype", ""))
    for name, (dtype, _) in header.items():
        if wanted and dtype in FLOAT_DTYPES and dtype != wanted:
            raise CheckpointError(f"{name} in {weights} is stored as {dtype}, but the model card says "
                                  f"{card['weights_dtype']} ({wanted}).")
    return header


def save_arrays(folder: str | Path, arrays: dict[str, np.ndarray], card: dict[str, Any]) -> dict[str, Any]:
    """Save numpy arrays as the weights, then the card, as one unit."""
    folder = Path(folder)
    written: dict[str, Any] = {}

    def weights(path: Path) -> None:
        save_numpy({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(path))

    def card_file(path: Path) -> None:
        written.update(complete_card(card, path.with_name(WEIGHTS), "numpy"))
        path.write_bytes(card_bytes(written))

    file_unit.commit(folder, {WEIGHTS: weights, CARD: card_file}, {"step": 0, "kind": "checkpoint"})
    return written


def load_arrays(folder: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Check and load numpy weights: ``(arrays, card)``."""
    folder = Path(folder)
    card = read_card(folder)
    weights = verified_weights(folder, card)
    weights_header(weights, card)
    try:
        return load_numpy(str(weights)), card
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights} cannot be read ({exc}).") from None
