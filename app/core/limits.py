"""Limits on untrusted input, and running a reader under a time limit.

A hostile or broken file must end in an error, not a hang or exhausted memory:
files are size-checked before reading, readers stop past ``MAX_NOTES`` notes or
``MAX_TICK`` ticks, and :func:`call_with_time_limit` runs the parse in a child
process that is killed when it overruns.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from app.core.errors import CadenzaError, FileFormatError, LimitExceededError, ParseTimeoutError

MAX_FILE_BYTES = {  # by extension; anything larger is refused before reading
    ".mid": 16 << 20, ".midi": 16 << 20, ".abc": 4 << 20, ".musicxml": 64 << 20,
    ".xml": 64 << 20, ".mxl": 16 << 20, ".cadenza": 64 << 20,
}
MAX_NOTES = 500_000
MAX_TICK = 1 << 30
MAX_SECONDS_OF_MUSIC = 4 * 3600
PARSE_TIME_LIMIT_S = 20.0


def check_size(path: Path) -> None:
    """Refuse a missing, non-regular or oversized file with one sentence."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise FileFormatError(path, "no such file") from None
    except OSError as exc:
        raise FileFormatError(path, exc.strerror or str(exc)) from None
    if not path.is_file():
        raise FileFormatError(path, "it is not a regular file")
    limit = MAX_FILE_BYTES.get(path.suffix.lower(), 16 << 20)
    if stat.st_size > limit:
        raise LimitExceededError(path, f"it is {stat.st_size >> 20} MiB, more than the {limit >> 20} MiB limit for {path.suffix} files")
    if stat.st_size == 0:
        raise FileFormatError(path, "the file is empty")


def check_note_count(count: int, path: Path) -> None:
    """Refuse more than ``MAX_NOTES`` notes; readers call it before building the notes when they can."""
    if count > MAX_NOTES:
        raise LimitExceededError(path, f"it has {count} notes, more than the limit of {MAX_NOTES}")


def check_score(score, path: Path) -> None:
    """Refuse a parsed score that is too large to edit or render."""
    from app.core.timing import duration_seconds

    check_note_count(score.note_count, path)
    if score.end > MAX_TICK:
        raise LimitExceededError(path, f"its last note ends at tick {score.end}, beyond the limit of {MAX_TICK}")
    seconds = duration_seconds(score)
    if seconds > MAX_SECONDS_OF_MUSIC:
        raise LimitExceededError(path, f"it lasts {seconds / 3600:.1f} hours, longer than the {MAX_SECONDS_OF_MUSIC // 3600}-hour limit")


def _child(conn, fn: Callable, args: tuple) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except CadenzaError as exc:
        conn.send(("cadenza", exc))
    except BaseException as exc:  # reported to the parent as one sentence
        conn.send(("crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))
    finally:
        conn.close()


def _context() -> mp.context.BaseContext:
    # fork is instant and inherits the already-imported parsers; it is only
    # safe enough on Linux. Elsewhere spawn (slower start, same result).
    return mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def call_with_time_limit(fn: Callable[..., Any], args: tuple, path: Path,
                         seconds: float = PARSE_TIME_LIMIT_S) -> Any:
    """Run ``fn(*args)`` in a child process; past ``seconds`` kill it and raise.

    ``fn`` must be a module-level function returning picklable data (a Score).
    Set ``CADENZA_PARSE_IN_PROCESS=1`` to run in-process (debugging only).
    """
    if os.environ.get("CADENZA_PARSE_IN_PROCESS") == "1":
        return fn(*args)
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(seconds):
            raise ParseTimeoutError(path, f"reading it took longer than {seconds:g} seconds")
        status, payload = parent.recv()
    except EOFError:
        raise FileFormatError(path, "the reader stopped unexpectedly (the file may be too large or damaged)") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if status == "ok":
        return payload
    if status == "cadenza":
        raise payload
    first = payload.splitlines()[0]
    raise FileFormatError(path, f"it could not be understood ({first})")
