"""Warnings that are not errors: said once, in one sentence, and the work goes on.

A stale ``CADENZA_SOUNDFONT``, a cache folder that cannot be written: Cadenza
falls back and says so with :func:`warn_once`. The sentence goes to stderr as
``warning: ...`` (the CLI's voice) and to every listener added with
:func:`add_listener` (the GUI shows it in the status bar). Pure stdlib, thread
safe: workers may warn.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable

_lock = threading.Lock()
_said: list[str] = []
_listeners: list[Callable[[str], None]] = []


def warn_once(message: str) -> bool:
    """Tell the user ``message`` unless it was said already in this process; True when it was said now."""
    with _lock:
        if message in _said:
            return False
        _said.append(message)
        listeners = list(_listeners)
    try:
        print(f"warning: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # no stderr (a windowed build): the listeners still hear it
        pass
    for listener in listeners:
        listener(message)
    return True


def said() -> list[str]:
    """Every warning given so far, oldest first (a window opened later shows them too)."""
    with _lock:
        return list(_said)


def add_listener(listener: Callable[[str], None]) -> None:
    """Call ``listener(message)`` for each new warning (from any thread)."""
    with _lock:
        _listeners.append(listener)


def remove_listener(listener: Callable[[str], None]) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)
