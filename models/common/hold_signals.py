"""Hold Ctrl+C (SIGINT) over the few lines that must not be cut in two.

The training loop lets an interrupt stop a step half-way (the half-done step is
simply done again on resume), but not an optimiser update, its counters, or a
save: :func:`held_sigint` records a SIGINT that arrives inside it and delivers
it to the previous handler as the block ends. Outside the main thread (where
Python delivers no signals) it does nothing.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def held_sigint() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, object]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(*caught[0])
        elif caught and previous == signal.SIG_DFL:
            raise KeyboardInterrupt
