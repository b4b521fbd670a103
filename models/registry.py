"""Model name -> generator class; the bundled checkpoints and the user's own.

Bundled checkpoints live in ``resources/checkpoints/<name>/``; the user's own
models in ``<user data>/models/<folder>/`` (``CADENZA_MODELS_DIR`` overrides).
A checkpoint folder's card names its architecture, which picks the class.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import CheckpointError, GenerationError
from app.core.paths import user_models_dir
from models.common.card import read_card

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "resources" / "checkpoints"
GENERATORS = {
    "markov": "models.markov.generate:MarkovGenerator",
    "note-lstm": "models.note_lstm.generate:NoteLSTMGenerator",
    "abc-lstm": "models.abc_lstm.generate:AbcLSTMGenerator",
    "vae-nn": "models.vae_nn.generate:VaeNNGenerator",
}


@dataclass(frozen=True)
class ModelEntry:
    """One checkpoint: its name, architecture, folder, origin and card."""

    name: str
    arch: str
    path: Path
    bundled: bool
    card: dict[str, Any]


def _entries(root: Path, bundled: bool) -> list[ModelEntry]:
    found = []
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            card = read_card(folder)
        except CheckpointError:
            continue  # not a checkpoint (or a broken one: it shows when loaded by name)
        found.append(ModelEntry(folder.name, card["arch"], folder, bundled, card))
    return found


def list_models() -> list[ModelEntry]:
    """Bundled models first, then the user's."""
    return _entries(BUNDLED_DIR, True) + _entries(user_models_dir(), False)


def find_checkpoint(name: str) -> Path:
    """The folder of a bundled model (by model name) or a user model (by folder name)."""
    for entry in list_models():
        if entry.name == name:
            return entry.path
    known = ", ".join(e.name for e in list_models()) or "none"
    raise GenerationError(f"There is no model called '{name}' (available: {known}).")


def generator_class(arch: str):
    target = GENERATORS.get(arch)
    if target is None:
        raise GenerationError(f"Unknown model '{arch}'; the models are {', '.join(GENERATORS)}.")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def load_generator(name: str | None = None, checkpoint: str | Path | None = None, device: str = "auto"):
    """Load a generator by model name, or from a checkpoint folder (whose card names the model)."""
    folder = Path(checkpoint) if checkpoint else find_checkpoint(name or "")
    card = read_card(folder)
    if name and name in GENERATORS and card["arch"] != name:
        raise CheckpointError(f"{folder} holds a {card['arch']} model, not {name}.")
    return generator_class(card["arch"])(folder, device=device)
