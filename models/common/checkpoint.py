"""Checkpoints: a folder with ``config.json`` (the model card) and ``model.safetensors``.

Nothing is pickled: weights are safetensors, everything else JSON. The card
holds the architecture, format version, config, vocabulary, training data and
exact command, metrics, and the sha256 of the weights, of the vocabulary and
of the config. Loading checks the checkpoint whole before any tensor is
built: the card against its schema (``card_schema.py``), the weights against
the required sha256, the safetensors header (dtypes, shapes; read without the
data) against the card's dtype, and the config against the header: the
model's module is built on the ``meta`` device (no memory) from the card's
config and every tensor's name, shape and kind must match the file. So a
card saying ``hidden: 6000`` beside 256-unit weights is refused in
milliseconds instead of allocating gigabytes, and F32 data relabelled I32 is
refused too. Each problem is one sentence.

Training resume state (optimizer tensors, step, RNG states) lives beside it as
``resume.safetensors`` + ``resume.json``, equally safe to load. The four files
of a run are written as units (``file_unit.py``): a checkpoint, a resume
state, or both, each with a manifest naming the step, so a kill leaves the
previous complete set or the new one.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import random
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch.overrides import TorchFunctionMode

from app.core.errors import CadenzaError, CheckpointError

from models.common import file_unit
from models.common.card import CARD, WEIGHTS, Header, card_bytes, complete_card, read_card, verified_weights, weights_header

RESUME_TENSORS = "resume.safetensors"
RESUME_JSON = "resume.json"
RESUME_FILES = (RESUME_TENSORS, RESUME_JSON)
CHECKPOINT_FILES = (WEIGHTS, CARD)
ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
             torch.bool: "BOOL"}


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(path))


# -- writing ----------------------------------------------------------------------------------

def checkpoint_writers(state: dict[str, torch.Tensor], card: dict[str, Any], half: bool = False,
                       written: dict[str, Any] | None = None) -> dict[str, file_unit.Writer]:
    """Writers of the weights then the card (signed with the weights' sha256); ``written`` receives the card."""
    tensors = {k: (v.half() if half and v.is_floating_point() else v) for k, v in state.items()}
    written = written if written is not None else {}

    def card_file(path: Path) -> None:
        written.update(complete_card(card, path.with_name(WEIGHTS), "float16" if half else "float32"))
        path.write_bytes(card_bytes(written))

    return {WEIGHTS: lambda path: _save_tensors(tensors, path), CARD: card_file}


def resume_writers(optimizer: torch.optim.Optimizer, info: dict[str, Any],
                   extra_tensors: dict[str, torch.Tensor] | None = None) -> dict[str, file_unit.Writer]:
    """Writers of the optimizer state, step counters and RNG states, without pickle."""
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
    doc = {"info": info, "param_groups": opt["param_groups"], "scalars": scalars,
           "rng_python": _py_rng_state(), "rng_numpy": _np_rng_state()}
    return {RESUME_TENSORS: lambda path: _save_tensors(tensors, path),
            RESUME_JSON: lambda path: path.write_text(json.dumps(doc))}


def save_unit(folder: str | Path, writers: dict[str, file_unit.Writer], step: int) -> dict[str, Any]:
    """Commit ``writers`` in ``folder`` as one unit naming ``step``; the run's other files are kept."""
    manifest = file_unit.read_manifest(folder) if Path(folder).is_dir() else None
    if manifest is None:  # a folder written before manifests: its files join the first unit as they are
        keep = {k: file_unit.sha256_file(Path(folder) / k) for k in (*CHECKPOINT_FILES, *RESUME_FILES)
                if k not in writers and (Path(folder) / k).is_file()}
    else:
        keep = {k: v for k, v in manifest["files"].items() if k not in writers}
        keep = {k: v for k, v in keep.items() if file_unit.resolve(folder, k).is_file()}
    return file_unit.commit(folder, writers, {"step": int(step)}, keep)


def save_checkpoint(folder: str | Path, state: dict[str, torch.Tensor], card: dict[str, Any],
                    half: bool = False) -> dict[str, Any]:
    """Write weights and card (with the checksums) as one unit; returns the card written.

    ``half`` stores floating tensors as fp16 (the loader converts back).
    """
    written: dict[str, Any] = {}
    save_unit(folder, checkpoint_writers(state, card, half, written), card.get("training", {}).get("steps", 0))
    return written


def save_resume(folder: str | Path, optimizer: torch.optim.Optimizer, info: dict[str, Any],
                extra_tensors: dict[str, torch.Tensor] | None = None) -> None:
    """Optimizer state, step counters and RNG states as one unit, without pickle."""
    save_unit(folder, resume_writers(optimizer, info, extra_tensors), info.get("step", 0))


# -- loading ----------------------------------------------------------------------------------

def load_checkpoint(folder: str | Path, device: torch.device | str = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Check the checkpoint whole (card, sha256, header, config against shapes), then load the weights
    as float32 on ``device``: ``(state, card)``."""
    folder = Path(folder)
    card = read_card(folder)
    weights = verified_weights(folder, card)
    header = weights_header(weights, card)
    check_config_fits(card, header, file_unit.resolve(folder, CARD), weights)
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights} cannot be read ({_first_line(exc)}).") from None
    return {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}, card


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")


@lru_cache(maxsize=None)
def model_factory(arch: str) -> tuple[type, type, Any] | None:
    """``(Config class, module class, spec)`` of a model whose package follows the layout of DESIGN.md
    (``model.py`` holds a ``@dataclass XConfig`` and the module ``X``), or None."""
    from models.registry import get_spec  # the registry reads cards through this package

    try:
        spec = get_spec(arch)
    except CadenzaError:
        return None
    package = spec.generator.target.partition(":")[0].rpartition(".")[0]
    try:
        module = importlib.import_module(f"{package}.model")
    except ModuleNotFoundError as exc:
        if exc.name in (f"{package}.model", package):
            return None
        raise
    for config_class in vars(module).values():
        if (isinstance(config_class, type) and dataclasses.is_dataclass(config_class)
                and config_class.__name__.endswith("Config") and config_class.__module__ == module.__name__):
            model_class = getattr(module, config_class.__name__[: -len("Config")], None)
            if isinstance(model_class, type) and issubclass(model_class, torch.nn.Module):
                return config_class, model_class, spec
    return None


class _Budget(TorchFunctionMode):
    """Counts torch calls while a module is built on the meta device; stops a config that describes a
    model far bigger than its weights file (thousands of layers) before it takes time or memory."""

    class Exceeded(Exception):
        pass

    def __init__(self, calls: int) -> None:
        super().__init__()
        self.left = calls

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.left -= 1
        if self.left < 0:
            raise self.Exceeded
        return func(*args, **(kwargs or {}))


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    if origin is bool:
        return isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is str:
        return isinstance(value, str)
    if origin in (list, tuple):
        return isinstance(value, list)
    if origin is dict:
        return isinstance(value, dict)
    return True  # a type the card cannot hold as such (e.g. a Union): the constructor decides


def _config_object(card: dict[str, Any], config_class: type, spec: Any, where: str):
    """The model's Config built from the card, every field checked first (one sentence each)."""
    config = card["config"]
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    hints = typing.get_type_hints(config_class)
    for name in config:
        if name not in fields:
            raise CheckpointError(f"{where} is not valid: 'config.{name}' is not a setting of the {card['arch']} model.")
    for name, f in fields.items():
        if name not in config and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise CheckpointError(f"{where} is not valid: it lacks 'config.{name}'.")
        if name in config and not _type_ok(config[name], hints.get(name)):
            kind = getattr(typing.get_origin(hints.get(name)) or hints.get(name), "__name__", "another type")
            words = {"int": "a whole number", "float": "a number", "str": "text", "bool": "true or false",
                     "list": "a list", "tuple": "a list", "dict": "a group of fields"}.get(kind, kind)
            raise CheckpointError(f"{where} is not valid: 'config.{name}' must be {words}, "
                                  f"not {json.dumps(config[name])[:30]}.")
    sizes = spec.training.sizes if spec is not None and spec.training is not None else ()
    for size in sizes:
        value = config.get(size.name)
        if value is None:
            continue
        if size.kind == "int" and not size.low <= value <= size.high:
            raise CheckpointError(f"{where} is not valid: 'config.{size.name}' must be between {size.low:,} "
                                  f"and {size.high:,}, not {value:,}.")
        if size.kind == "choice" and value not in size.choices:
            raise CheckpointError(f"{where} is not valid: 'config.{size.name}' must be one of "
                                  f"{', '.join(size.choices)}, not {json.dumps(value)[:30]}.")
    try:
        return config_class(**config)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise CheckpointError(f"{where} is not valid: its config does not describe a {card['arch']} model "
                              f"({_first_line(exc)}).") from None


def expected_tensors(card: dict[str, Any], budget: int, where: str = "The model card") -> Header | None:
    """Name -> (safetensors dtype, shape) of the module the card's config describes, built on the meta
    device (nothing allocated); None when the card's model has no module to build (or no config)."""
    factory = model_factory(card["arch"])
    if factory is None or "config" not in card:
        return None
    config_class, model_class, spec = factory
    config = _config_object(card, config_class, spec, where)
    try:
        with torch.device("meta"), _Budget(budget):
            module = model_class(config)
        state = module.state_dict()
    except _Budget.Exceeded:
        raise CheckpointError(f"{where} is not valid: its config describes a model far bigger than "
                              "its weights file.") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RuntimeError) as exc:
        raise CheckpointError(f"{where} is not valid: its config does not describe a buildable "
                              f"{card['arch']} model ({_first_line(exc)}).") from None
    return {name: (ST_DTYPES.get(t.dtype, str(t.dtype)), tuple(t.shape)) for name, t in state.items()}


def check_config_fits(card: dict[str, Any], header: Header, card_path: Path, weights: Path) -> None:
    """Refuse, in one sentence, a card whose config does not give exactly the tensors in the header."""
    where = f"The model card {card_path}"
    expected = expected_tensors(card, budget=16 * len(header) + 256, where=where)
    if expected is None:
        return
    name = weights.name
    for key in sorted(expected.keys() - header.keys())[:1]:
        raise CheckpointError(f"{where} does not fit its weights: its config needs a tensor {key}, "
                              f"which {name} lacks (the config describes a larger or different model).")
    for key in sorted(header.keys() - expected.keys())[:1]:
        raise CheckpointError(f"{where} does not fit its weights: {name} holds a tensor {key}, "
                              "which its config does not give.")
    for key, (dtype, shape) in expected.items():
        stored_dtype, stored_shape = header[key]
        if stored_shape != shape:
            raise CheckpointError(f"{where} does not fit its weights: {key} is {list(stored_shape)} in {name}, "
                                  f"but its config gives {list(shape)}{_hint(card, shape, stored_shape)}.")
        floating = dtype in ("F32", "F16", "BF16", "F64")
        if floating != (stored_dtype in ("F32", "F16", "BF16", "F64")) or (not floating and stored_dtype != dtype):
            raise CheckpointError(f"{key} in {weights} is stored as {stored_dtype}, but the model needs "
                                  f"{'floating-point' if floating else dtype} values there.")


def _hint(card: dict[str, Any], shape: tuple, stored: tuple) -> str:
    """`` (config.hidden is 6000; the weights were saved with 8)``: the config size behind the first dimension
    that differs (the dimension itself, or a multiple such as an LSTM's 4 x hidden)."""
    sizes = {k: v for k, v in card.get("config", {}).items() if isinstance(v, int) and not isinstance(v, bool) and v > 1}
    for want, have in zip(shape, stored):
        if want == have:
            continue
        for key, value in sizes.items():
            if want % value == 0 and have % (want // value) == 0:
                return f" (config.{key} is {value}; the weights were saved with {have // (want // value)})"
    return ""


def verify_files(folder: Path, manifest: dict[str, Any], names: tuple[str, ...]) -> None:
    """Each of ``names`` exists and matches the manifest's sha256 (the set is complete and consistent)."""
    for name in names:
        path = file_unit.resolve(folder, name)
        if name not in manifest["files"] or not path.is_file():
            raise CheckpointError(f"The training state in {folder} is incomplete ({name} is missing); "
                                  "start a new run.")
        if file_unit.sha256_file(path) != manifest["files"][name]:
            raise CheckpointError(f"The training state in {folder} is inconsistent ({name} does not match the "
                                  f"manifest of step {manifest['step']}); start a new run.")


def load_resume(folder: str | Path, optimizer: torch.optim.Optimizer) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Restore optimizer and RNG states; returns ``(info, extra_tensors)``.

    With a manifest (every state written since units), both files must match it and the counters must
    name its step, so weights of one step never meet counters of another.
    """
    folder = Path(folder)
    manifest = file_unit.read_manifest(folder)
    if manifest is not None:
        if not all(name in manifest["files"] for name in RESUME_FILES):
            raise CheckpointError(f"{folder} has no training state to resume from.")
        verify_files(folder, manifest, RESUME_FILES)
    try:
        doc = json.loads(file_unit.resolve(folder, RESUME_JSON).read_text())
        tensors = load_file(str(file_unit.resolve(folder, RESUME_TENSORS)))
        info = doc["info"]
        if manifest is not None and info.get("step") != manifest["step"]:
            raise ValueError("the counters name another step")
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
        np.random.set_state(tuple(doc["rng_numpy"][:1]) + (np.array(doc["rng_numpy"][1], dtype=np.uint32),)
                            + tuple(doc["rng_numpy"][2:]))
    except FileNotFoundError:
        raise CheckpointError(f"{folder} has no training state to resume from.") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RuntimeError, SafetensorError):
        raise CheckpointError(f"The training state in {folder} is damaged; start a new run.") from None
    extra = {k: v for k, v in tensors.items() if not k.startswith(("opt.", "rng."))}
    return info, extra


def _py_rng_state() -> list:
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _to_py_rng(data: list) -> tuple:
    return (data[0], tuple(data[1]), data[2])


def _np_rng_state() -> list:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def writers_for(*parts: dict[str, Callable[[Path], None]]) -> dict[str, Callable[[Path], None]]:
    """Several groups of writers as one unit (weights and card first, then the resume state)."""
    merged: dict[str, Callable[[Path], None]] = {}
    for part in parts:
        merged.update(part)
    return merged


def load_network(checkpoint_dir: str | Path, device: torch.device, arch: str, config_class: type,
                 network_class: type) -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """A checkpoint folder's network, config and card for a model whose card's ``config`` builds
    ``config_class`` and whose network is ``network_class(config)``: refused in one sentence when the folder
    holds another model or a network that does not fit (the audio lab's models load this way)."""
    state, card = load_checkpoint(Path(checkpoint_dir), device)
    if card.get("arch") != arch:
        raise CheckpointError(f"{checkpoint_dir} holds a {card.get('arch')} model, not {arch}.")
    try:
        config = config_class(**card["config"])
        network = network_class(config)
        network.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{checkpoint_dir} does not hold a usable {arch} network ({exc}).") from None
    return network.to(device).eval(), config, card
