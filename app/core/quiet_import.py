"""Import a library that prints on standard output while it loads, without letting it print.

pyfluidsynth (imported by pretty_midi as well) prints where it found libfluidsynth when ``CI`` is set in
the environment. Cadenza's standard output carries data (``cadenza ... --json``, the line a parent process
reads), so such imports go through :func:`quiet_import`.

``contextlib.redirect_stdout`` swaps ``sys.stdout`` for the whole process, so two threads importing at
once (the player's synth and the MIDI thru synth both load pyfluidsynth) could leave it swapped for good,
and every later print would vanish: the imports take turns under a lock, and a module already imported
is returned without touching standard output.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import threading
from types import ModuleType

_LOCK = threading.RLock()  # re-entrant: an import may itself import quietly


def quiet_import(name: str) -> ModuleType:
    """``importlib.import_module(name)`` with anything the import prints on standard output discarded."""
    with _LOCK:
        module = sys.modules.get(name)
        if module is not None:  # imported (completely: any import through here holds the lock until done)
            return module
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module(name)
