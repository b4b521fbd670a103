"""Where Cadenza keeps the user's own files: one place for every folder.

Each folder has an environment variable that overrides it (tests and
portable installs use them); otherwise the platform's user folders
(platformdirs) are used.

Caches are a convenience, never a reason to fail: when the cache folder
cannot be written (a read-only home, another user's install), a private
temporary folder takes its place and a warning says so, once. The models
folder is the user's work: when it cannot be written, the error names it
(:func:`writable_models_dir`).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from app.core.errors import CadenzaError
from app.core.notices import warn_once

APP_NAME = "Cadenza"
_fallback_root: Path | None = None


def user_models_dir() -> Path:
    """The user's own trained models (``CADENZA_MODELS_DIR`` overrides); may not exist yet."""
    return _folder("CADENZA_MODELS_DIR", "data", "models")


def writable_models_dir() -> Path:
    """:func:`user_models_dir`, created; a one-sentence :class:`CadenzaError` naming it when it cannot be written."""
    folder = user_models_dir()
    problem = _unwritable(folder)
    if problem:
        raise CadenzaError(f"The models folder {folder} cannot be written ({problem}); train into another "
                           "folder with --out, or set CADENZA_MODELS_DIR to one you can write.")
    return folder


def corpus_cache_dir() -> Path:
    """Parsed training files, cached by content hash; always writable (see :func:`cache_dir`)."""
    return cache_dir("corpus")


def numba_cache_dir() -> Path:
    """Compiled numba functions of the audio analysis (librosa): in the user's cache, always writable."""
    return cache_dir("numba")


def cache_dir(name: str) -> Path:
    """The cache folder ``name``, created: under ``CADENZA_CACHE_DIR`` (else the user's cache folder),
    or, when that cannot be written, under a private temporary folder (with a warning, once)."""
    folder = _folder("CADENZA_CACHE_DIR", "cache", name)
    problem = _unwritable(folder)
    if not problem:
        return folder
    fallback = _temporary_root() / name
    fallback.mkdir(parents=True, exist_ok=True)
    warn_once(f"The cache folder {folder.parent} cannot be written ({problem}); "
              f"using a temporary one, {fallback.parent}, for now.")
    return fallback


def autosave_dir() -> Path:
    """Autosaved unsaved work, offered back after a crash (``CADENZA_AUTOSAVE_DIR`` overrides)."""
    return _folder("CADENZA_AUTOSAVE_DIR", "data", "autosave")


def listening_tests_dir() -> Path:
    """Listening tests and their results (``CADENZA_LISTENING_DIR`` overrides); may not exist yet."""
    return _folder("CADENZA_LISTENING_DIR", "data", "listening-tests")


def _folder(env: str, kind: str, name: str) -> Path:
    if os.environ.get(env):  # the models and autosave folders themselves; the root of the caches
        return Path(os.environ[env]) / name if kind == "cache" else Path(os.environ[env])
    import platformdirs

    base = platformdirs.user_cache_dir(APP_NAME) if kind == "cache" else platformdirs.user_data_dir(APP_NAME)
    return Path(base) / name


def _unwritable(folder: Path) -> str | None:
    """None when ``folder`` exists (or was just created) and a file can be made in it, else why not, in words."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return _reason(exc)
    return None


def _reason(exc: OSError) -> str:
    words = exc.strerror or type(exc).__name__
    return words[0].lower() + words[1:]


def _temporary_root() -> Path:
    """A folder in the system's temp space that only this user can use (made once per process)."""
    global _fallback_root
    if _fallback_root is not None:
        return _fallback_root
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    root = Path(tempfile.gettempdir()) / f"cadenza-cache-{uid}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(root)
        mine = not hasattr(os, "getuid") or (st.st_uid == os.getuid() and stat.S_ISDIR(st.st_mode)
                                             and stat.S_IMODE(st.st_mode) & 0o077 == 0)
        if not mine:  # someone else made it (or a link): do not trust it
            raise PermissionError
    except OSError:
        root = Path(tempfile.mkdtemp(prefix="cadenza-cache-"))
    _fallback_root = root
    return root
