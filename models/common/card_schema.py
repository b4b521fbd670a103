"""The model card's schema: every field a loader trusts is checked before anything is built.

A card (``config.json``) is untrusted input: a hand edit, a bad copy or a
tampered download must be refused with one sentence naming the field, never
reach a model constructor as a string where a number belongs, and never size
an allocation by itself. :func:`check_card` checks

* the fields every card has: ``arch``, ``format_version`` (1 or 2),
  ``weights_sha256`` (required: a card without the checksum of its weights is
  refused) and ``weights_dtype``;
* the optional ones by type (``name``, ``description``, ``parameters``,
  ``metrics``, ``training``, ``evaluation``, ``decoding``, ``roles``...);
* ``config``: JSON numbers, strings and lists only, every number finite,
  whole numbers within ``±MAX_CONFIG_INT``, nesting and lengths bounded;
* ``vocabulary``: distinct strings, as many as ``config.vocab_size`` says;
* the hashes of format 2: ``vocabulary_sha256`` and ``config_sha256``
  (required there; :func:`card_hashes` computes them). They pin the order of
  the vocabulary (two swapped entries would silently swap notes) and the
  config the weights were trained with. Format-1 cards (written before the
  hashes existed) are accepted without them; every other check applies.

Whether the config fits the weights' shapes is checked against the
safetensors header in ``checkpoint.py`` (which needs the model's code).
Pure: stdlib only.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

from app.core.errors import CheckpointError

FORMAT_VERSION = 2  # 2: vocabulary_sha256 and config_sha256 are required
HASHED_SINCE = 2
MAX_CARD_BYTES = 64 << 20  # a card is read whole; the biggest bundled one is 150 KB
MAX_VOCABULARY = 1_000_000
MAX_TOKEN_CHARS = 256
MAX_CONFIG_INT = 10**9
MAX_DEPTH = 8
MAX_LIST = 100_000
WEIGHTS_DTYPES = ("float32", "float16", "numpy")
_ARCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SHA = re.compile(r"[0-9a-f]{64}")
# optional top-level fields and the JSON type each must have (others are free, for plugins)
OPTIONAL = {"name": str, "description": str, "parameters": int, "metrics": dict, "training": dict,
            "evaluation": dict, "decoding": dict, "roles": list, "config": dict, "vocabulary": list}
TRAINING = {"data": list, "command": str, "history": list, "datasets": dict, "config": dict, "steps": int,
            "best_step": int, "seconds": (int, float)}


def canonical_sha256(value: Any, sort_keys: bool = False) -> str:
    """The sha256 of ``value``'s compact JSON (UTF-8; lists keep their order)."""
    text = json.dumps(value, sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def card_hashes(card: dict[str, Any]) -> dict[str, str]:
    """``vocabulary_sha256`` and ``config_sha256`` of ``card`` (those of its fields it has)."""
    hashes = {}
    if "vocabulary" in card:
        hashes["vocabulary_sha256"] = canonical_sha256(card["vocabulary"])
    if "config" in card:
        hashes["config_sha256"] = canonical_sha256(card["config"], sort_keys=True)
    return hashes


def _kind(value: Any) -> str:
    """How a JSON value reads in a sentence."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, str):
        shown = value if len(value) <= 24 else value[:21] + "..."
        return f"the text {json.dumps(shown)}"
    if isinstance(value, (int, float)):
        return f"the number {value}" if len(repr(value)) <= 24 else "a number with too many digits"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a group of fields"
    return type(value).__name__


_WORDS = {str: "text", int: "a whole number", float: "a number", dict: "a group of fields", list: "a list",
          bool: "true or false"}


def _expect(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if float in kinds and isinstance(value, int):
        return True
    return isinstance(value, kinds)


class _Problem(Exception):
    """One thing wrong with a card (caught and turned into the card's sentence)."""


def _need(value: Any, kind: type | tuple[type, ...], field: str) -> None:
    if not _expect(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        words = " or ".join(_WORDS.get(k, k.__name__) for k in kinds)
        raise _Problem(f"'{field}' must be {words}, not {_kind(value)}")


def check_card(card: Any, where: str = "The model card") -> dict[str, Any]:
    """``card`` when it passes the schema; else CheckpointError: "<where> is not valid: <problem>."."""
    try:
        _check(card)
    except _Problem as problem:
        raise CheckpointError(f"{where} is not valid: {problem}.") from None
    except RecursionError:
        raise CheckpointError(f"{where} is not valid: it is nested too deeply.") from None
    return card


def _check(card: Any) -> None:
    if not isinstance(card, dict):
        raise _Problem(f"it must be a group of fields, not {_kind(card)}")
    for key in ("arch", "format_version", "weights_sha256", "weights_dtype"):
        if key not in card:
            raise _Problem(f"it lacks '{key}'" + (" (the checksum of its weights)" if key == "weights_sha256" else ""))
    _need(card["arch"], str, "arch")
    if not _ARCH.fullmatch(card["arch"]):
        raise _Problem(f"'arch' must be a model name (letters, digits, '-', '_', '.'), not {_kind(card['arch'])}")
    version = card["format_version"]
    _need(version, int, "format_version")
    if version > FORMAT_VERSION:
        raise _Problem(f"it was saved by a newer Cadenza (format {version}); update Cadenza to use it")
    if version < 1:
        raise _Problem(f"'format_version' must be 1 or more, not {version}")
    for key in ("weights_sha256", "vocabulary_sha256", "config_sha256"):
        if key in card:
            _need(card[key], str, key)
            if not _SHA.fullmatch(card[key]):
                raise _Problem(f"'{key}' must be 64 hexadecimal digits, not {_kind(card[key])}")
    _need(card["weights_dtype"], str, "weights_dtype")
    if card["weights_dtype"] not in WEIGHTS_DTYPES:
        raise _Problem(f"'weights_dtype' must be one of {', '.join(WEIGHTS_DTYPES)}, not {_kind(card['weights_dtype'])}")
    for key, kind in OPTIONAL.items():
        if key in card:
            _need(card[key], kind, key)
    if "parameters" in card and not 0 <= card["parameters"] <= 10**13:
        raise _Problem(f"'parameters' must be between 0 and 10^13, not {card['parameters']}")
    for key, kind in TRAINING.items():
        if key in card.get("training", {}):
            _need(card["training"][key], kind, f"training.{key}")
    for i, item in enumerate(card.get("training", {}).get("data", [])):
        _need(item, str, f"training.data[{i}]")
    for key, value in card.get("metrics", {}).items():
        if value is not None:
            _need(value, (int, float, str, dict, list), f"metrics.{key}")
    for i, role in enumerate(card.get("roles", [])):
        _need(role, dict, f"roles[{i}]")
    if "config" in card:
        _check_config(card["config"], "config", 0)
    if "vocabulary" in card:
        _check_vocabulary(card["vocabulary"], card.get("config", {}))
    _check_hashes(card)


def _check_config(value: Any, field: str, depth: int) -> None:
    """JSON numbers (finite, bounded), text, yes/no, lists and groups, not nested too deep."""
    if depth > MAX_DEPTH:
        raise _Problem(f"'{field}' is nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_config(item, f"{field}.{key}", depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_LIST:
            raise _Problem(f"'{field}' has {len(value):,} entries (at most {MAX_LIST:,})")
        for i, item in enumerate(value):
            _check_config(item, f"{field}[{i}]", depth + 1)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_CONFIG_INT:
            raise _Problem(f"'{field}' is {_kind(value)}, far beyond any model size (at most {MAX_CONFIG_INT:,})")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _Problem(f"'{field}' must be a finite number, not {value}")
    elif isinstance(value, str):
        if len(value) > 10_000:
            raise _Problem(f"'{field}' is a text of {len(value):,} characters")
    else:  # json.loads gives nothing else; a card built in Python might
        raise _Problem(f"'{field}' must be a JSON value, not {_kind(value)}")


def _check_vocabulary(vocabulary: list, config: dict) -> None:
    if not vocabulary or len(vocabulary) > MAX_VOCABULARY:
        raise _Problem(f"'vocabulary' must hold 1 to {MAX_VOCABULARY:,} entries, not {len(vocabulary):,}")
    seen: set[str] = set()
    for i, token in enumerate(vocabulary):
        _need(token, str, f"vocabulary[{i}]")
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise _Problem(f"'vocabulary[{i}]' must be 1 to {MAX_TOKEN_CHARS} characters long")
        if token in seen:
            raise _Problem(f"'vocabulary' holds {json.dumps(token)} twice")
        seen.add(token)
    size = config.get("vocab_size") if isinstance(config, dict) else None
    if size is not None:
        _need(size, int, "config.vocab_size")
        if size != len(vocabulary):
            raise _Problem(f"'config.vocab_size' is {size} but the vocabulary holds {len(vocabulary)} entries")


def _check_hashes(card: dict) -> None:
    expected = card_hashes(card)
    hashed = card["format_version"] >= HASHED_SINCE
    for key, value in expected.items():
        what = "vocabulary" if key.startswith("vocabulary") else "config"
        if key not in card:
            if hashed:
                raise _Problem(f"it lacks '{key}' (the checksum of its {what})")
            continue
        if card[key] != value:
            change = "entries were changed or reordered" if what == "vocabulary" else "values were changed"
            raise _Problem(f"its {what} does not match '{key}': its {change} after the model was trained")
    for key in ("vocabulary_sha256", "config_sha256"):
        if key in card and key not in expected:
            raise _Problem(f"it has '{key}' but no '{key.split('_')[0]}'")
