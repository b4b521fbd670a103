"""Import a library that prints on standard output while it loads, without letting it print.

pyfluidsynth (imported by pretty_midi as well) prints where it found libfluidsynth when ``CI`` is set in
the environment. Cadenza's standard output carries data (``cadenza ... --json``, the line a parent process
reads), so such imports go through :func:`quiet_import`.
"""

from __future__ import annotations

import contextlib
import importlib
import io
from types import ModuleType


def quiet_import(name: str) -> ModuleType:
    """``importlib.import_module(name)`` with anything the import prints on standard output discarded."""
    with contextlib.redirect_stdout(io.StringIO()):
        return importlib.import_module(name)
