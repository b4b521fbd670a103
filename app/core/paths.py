"""Where Cadenza keeps the user's own files: one place for every folder.

Each folder has an environment variable that overrides it (tests and
portable installs use them); otherwise the platform's user folders
(platformdirs) are used.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Cadenza"


def user_models_dir() -> Path:
    """The user's own trained models (``CADENZA_MODELS_DIR`` overrides)."""
    return _folder("CADENZA_MODELS_DIR", "data", "models")


def corpus_cache_dir() -> Path:
    """Parsed training files, cached by content hash (``CADENZA_CACHE_DIR`` overrides)."""
    return _folder("CADENZA_CACHE_DIR", "cache", "corpus")


def autosave_dir() -> Path:
    """Autosaved unsaved work, offered back after a crash (``CADENZA_AUTOSAVE_DIR`` overrides)."""
    return _folder("CADENZA_AUTOSAVE_DIR", "data", "autosave")


def _folder(env: str, kind: str, name: str) -> Path:
    if os.environ.get(env):
        return Path(os.environ[env])
    import platformdirs

    base = platformdirs.user_cache_dir(APP_NAME) if kind == "cache" else platformdirs.user_data_dir(APP_NAME)
    return Path(base) / name
