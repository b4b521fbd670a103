"""The models on offer: their specs, and the checkpoints that can be loaded.

Specs come from the bundled model folders (every package under ``models/``
whose ``__init__.py`` exports ``SPEC``) and from the ``cadenza.models``
entry-point group, so a ``pip install``-ed model package shows up everywhere.
An entry point names a :class:`~models.common.spec.ModelSpec` (or a module
exporting ``SPEC``). Reading specs imports no torch.

Checkpoints: the bundled ones live in ``resources/checkpoints/<name>/`` (a
plugin's spec may name its own folder in ``checkpoint_dir``); the user's own
models in ``<user data>/models/<folder>/`` (``CADENZA_MODELS_DIR`` overrides).
A checkpoint folder's card names its architecture, which picks the spec.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from app.core.errors import CheckpointError, GenerationError
from app.core.notices import warn_once
from app.core.paths import user_models_dir
from models.common.card import read_card
from models.common.spec import ModelSpec

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "resources" / "checkpoints"
ENTRY_POINT_GROUP = "cadenza.models"
MODELS_DIR = Path(__file__).resolve().parent


def _bundled_specs() -> list[ModelSpec]:
    """The SPEC of every package under models/ that defines one (the shared packages, which define none,
    are not imported: reading the specs must stay cheap)."""
    found = []
    for info in sorted(pkgutil.iter_modules([str(MODELS_DIR)]), key=lambda m: m.name):
        init = MODELS_DIR / info.name / "__init__.py"
        if not info.ispkg or "SPEC" not in init.read_text(encoding="utf-8", errors="replace"):
            continue
        spec = getattr(importlib.import_module(f"models.{info.name}"), "SPEC", None)
        if isinstance(spec, ModelSpec):
            found.append(spec)
    return found


def _plugin_specs() -> list[ModelSpec]:
    found = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            value = point.load()
        except Exception:  # a broken third-party package must not take the program down
            continue
        spec = getattr(value, "SPEC", value)
        if isinstance(spec, ModelSpec):
            found.append(spec)
    return found


@lru_cache(maxsize=1)
def _specs() -> tuple[ModelSpec, ...]:
    specs: dict[str, ModelSpec] = {}
    for spec in _bundled_specs() + _plugin_specs():
        specs.setdefault(spec.name, spec)  # a plugin cannot replace a bundled model
    return tuple(specs.values())


def model_specs() -> list[ModelSpec]:
    """Every model spec: the bundled ones (in folder order), then the plugins'."""
    return list(_specs())


def reload_specs() -> list[ModelSpec]:
    """Look for specs again (after a plugin was installed)."""
    _specs.cache_clear()
    return model_specs()


def spec_names() -> list[str]:
    return [s.name for s in _specs()]


def get_spec(name: str) -> ModelSpec:
    """The spec of model (architecture) ``name``; GenerationError naming the known ones."""
    for spec in _specs():
        if spec.name == name:
            return spec
    raise GenerationError(f"Unknown model '{name}'; the models are {', '.join(spec_names())}.")


def baseline_spec() -> ModelSpec | None:
    """The model whose name labels every evaluation's baseline."""
    return next((s for s in _specs() if s.evaluation is not None and s.evaluation.is_baseline), None)


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
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    except OSError as exc:
        warn_once(f"The models folder {root} cannot be read ({exc.strerror or exc}); its models are left out.")
        return found
    for folder in folders:
        try:
            card = read_card(folder)
        except CheckpointError:
            continue  # not a checkpoint (or a broken one: it shows when loaded by name)
        found.append(ModelEntry(folder.name, card["arch"], folder, bundled, card))
    return found


def _plugin_checkpoints() -> list[ModelEntry]:
    found = []
    for spec in _specs():
        folder = Path(spec.checkpoint_dir) if spec.checkpoint_dir else None
        if folder is None or not folder.is_dir():
            continue
        try:
            found.append(ModelEntry(spec.name, read_card(folder)["arch"], folder, True, read_card(folder)))
        except CheckpointError:
            continue
    return found


def list_models() -> list[ModelEntry]:
    """Bundled checkpoints first (the program's, then plugins'), then the user's."""
    return _entries(BUNDLED_DIR, True) + _plugin_checkpoints() + _entries(user_models_dir(), False)


def find_checkpoint(name: str) -> Path:
    """The folder of a bundled model (by model name) or a user model (by folder name)."""
    for entry in list_models():
        if entry.name == name:
            return entry.path
    mine = user_models_dir() / name if name and "/" not in name and name not in (".", "..") else None
    try:
        unlisted = mine is not None and mine.is_dir()  # there, but not listed: its card cannot be read
    except OSError:  # the models folder itself cannot be read (said once by list_models)
        unlisted = False
    if unlisted:
        try:
            read_card(mine)
        except CheckpointError as exc:
            reason = str(exc)
            reason = "the" + reason[3:] if reason.startswith("The ") else reason
            raise CheckpointError(f"The model '{name}' cannot be read: {reason}") from None
    known = ", ".join(e.name for e in list_models()) or "none"
    raise GenerationError(f"There is no model called '{name}' (available: {known}).")


def generator_class(arch: str):
    """The generator class of architecture ``arch`` (imports the model's code)."""
    return get_spec(arch).generator.load()


def load_generator(name: str | None = None, checkpoint: str | Path | None = None, device: str = "auto"):
    """Load a generator by model name, or from a checkpoint folder (whose card names the model)."""
    folder = Path(checkpoint) if checkpoint else find_checkpoint(name or "")
    card = read_card(folder)
    if name and name in spec_names() and card["arch"] != name:
        raise CheckpointError(f"{folder} holds a {card['arch']} model, not {name}.")
    return generator_class(card["arch"])(folder, device=device)
