"""Limits on untrusted input, and running a reader under time and memory limits.

A hostile or broken file must end in an error, not a hang or exhausted memory:
files are size-checked before reading, readers stop past ``MAX_NOTES`` notes or
``MAX_TICK`` ticks, and :func:`call_with_time_limit` runs the parse in a child
process limited in processor time (``RLIMIT_CPU``: a busy machine does not make
a valid file fail) and in memory (``RLIMIT_AS``: about ``MEMORY_LIMIT_BYTES``
more than the child starts with), with a generous wall-clock backstop.
Whatever goes wrong in the child arrives as one sentence in a musician's words
(:func:`describe_exception`), never a Python class name.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import re
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable

from app.core.errors import CadenzaError, FileFormatError, LimitExceededError, ParseTimeoutError

MAX_FILE_BYTES = {  # by extension; anything larger is refused before reading
    ".mid": 16 << 20, ".midi": 16 << 20, ".abc": 64 << 20, ".musicxml": 64 << 20,
    ".xml": 64 << 20, ".mxl": 16 << 20, ".cadenza": 64 << 20,
}
MAX_XML_BYTES = 64 << 20  # the score inside a compressed .mxl, checked before inflating
MAX_COMPRESSION_RATIO = 200  # a larger score inflating more than this is refused (zip bomb)
MAX_NOTES = 500_000
MAX_TICK = 1 << 30
MAX_SECONDS_OF_MUSIC = 4 * 3600
PARSE_TIME_LIMIT_S = 20.0  # processor seconds of the reading child
WALL_CLOCK_FACTOR = 6  # the backstop: wall-clock seconds per processor second allowed
MEMORY_LIMIT_BYTES = 1 << 30  # address space the reading child may add to what it inherits
PROGRESS_EVERY_S = 1.0


def _megabytes(size: int) -> str:
    return f"{size / (1 << 30):g} GB" if size >= 1 << 30 else f"{size >> 20} MB"


def _seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


class ReaderMemoryError(LimitExceededError):
    """Reading a file needed more memory than the reader may use."""


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


def check_inflated_size(path: Path, size: int, compressed: int) -> None:
    """Refuse a compressed member (the score in an ``.mxl``) that would inflate too far, before inflating it."""
    if size > MAX_XML_BYTES:
        raise LimitExceededError(path, f"its score would unpack to {size >> 20} MiB, more than the "
                                       f"{MAX_XML_BYTES >> 20} MiB limit for MusicXML")
    ratio = size / max(1, compressed)
    if size > (4 << 20) and ratio > MAX_COMPRESSION_RATIO:
        raise LimitExceededError(path, f"its score is compressed {ratio:.0f} times, far more than music "
                                       "notation compresses (it may be a zip bomb)")


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


# -- reader failures in words ------------------------------------------------------------------

#: Words for a construct, by a fragment of a music21 exception class or reader function name.
_CONSTRUCTS = (
    (("KeySignature", "nonTraditionalKey", "mxKeyOctaves", "KeyException", "Key"), "a key signature"),
    (("TimeSignature", "Meter"), "a time signature"),
    (("Clef",), "a clef"),
    (("Tempo", "Metronome"), "a tempo mark"),
    (("ChordSymbol", "Harmony", "Chord"), "a chord"),
    (("Pitch", "Accidental", "Microtone", "Unpitched"), "a note's pitch"),
    (("Duration", "Tuplet", "Grace"), "a note's length"),
    (("Tie",), "a tie"),
    (("Lyric",), "a lyric"),
    (("Barline", "Repeat", "Expander"), "a bar line or repeat"),
    (("Spanner", "Ottava", "Slur"), "a slur, wedge or octave line"),
    (("Dynamic", "Volume", "Direction", "TextExpression", "RehearsalMark"), "a direction (dynamics or text)"),
    (("Articulation", "Ornament", "Technical", "Tremolo", "Notations", "Bend", "Harmonic", "Fingering"),
     "an articulation or ornament"),
    (("Transpose", "Interval"), "a transposition"),
    (("Layout", "xmlPrint", "Credit", "Style", "Appearance", "Defaults"), "the page layout"),
    (("Metadata", "Identification", "Creator", "Rights", "Encoding"), "the title or credits"),
    (("PartList", "ScorePart", "Instrument", "PartGroup"), "the list of parts"),
    (("ABC",), "the ABC notation"),
    (("Midi", "MIDI"), "the MIDI data"),
    (("Measure", "Backup", "Forward", "Offset", "Voice", "Stream", "Sites", "Element"), "the timing of a bar"),
)
#: The same for Cadenza's own reading functions (lower-case fragments of their names).
_OWN_CONSTRUCTS = (("key", "a key signature"), ("tempo", "a tempo mark"), ("meter", "a time signature"),
                   ("signature", "a time signature"), ("program", "an instrument"), ("instrument", "an instrument"),
                   ("lyric", "a lyric"), ("chord", "a chord"), ("repeat", "a repeat"))
_CLASS_IN_TEXT = re.compile(r"\(?\b([A-Z][A-Za-z0-9]*(?:Error|Exception|Warning))\b(?::[^()]*)?\)?")


def _construct(name: str) -> str | None:
    for fragments, words in _CONSTRUCTS:
        if any(f in name for f in fragments):
            return words
    return None


def _where(exc: BaseException) -> tuple[str | None, str | None]:
    """The construct a music21 reader was reading (innermost first) and the bar, from the traceback."""
    construct = bar = None
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        name = frame.f_code.co_name
        if "music21" not in frame.f_code.co_filename:
            construct = construct or next((w for f, w in _OWN_CONSTRUCTS if f in name.lower()), None)
            continue
        construct = construct or _construct(name)
        owner = frame.f_locals.get("self")
        number = getattr(owner, "measureNumber", None) if owner is not None else None
        if bar is None and isinstance(number, (int, str)) and str(number).strip():
            bar = str(number)
        if construct and bar:
            break
    return construct, bar


def describe_exception(exc: BaseException) -> str:
    """What went wrong while reading, as words a musician knows (no Python class names).

    Memory and nesting depth are named; a music21 failure names the construct it
    was reading (from its exception class or the reading function) and the bar.
    """
    if isinstance(exc, MemoryError):
        return f"reading it needs more than {_megabytes(MEMORY_LIMIT_BYTES)} of memory"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply to read"
    if isinstance(exc, UnicodeError):
        return "it holds text in an unknown encoding"
    if type(exc).__name__ in ("ParseError", "ExpatError"):
        return "it is not well-formed XML" + _xml_position(exc)
    if isinstance(exc, (EOFError, ConnectionError)):
        return "it ends too early (it is truncated or damaged)"
    construct, bar = _where(exc)
    if type(exc).__module__.startswith("music21"):
        construct = _construct(type(exc).__name__) or construct
    where = f" in bar {bar}" if bar else ""
    if construct:
        return f"Cadenza does not understand {construct}{where}"
    return f"it holds something Cadenza does not understand{where}"


def _xml_position(exc: BaseException) -> str:
    position = getattr(exc, "position", None)
    return f" at line {position[0]}" if isinstance(position, tuple) and position else ""


def plain_problem(problem: str) -> str:
    """A reader's problem text with any Python class name (``(KeyError: 'x')``) put in words."""
    def words(match: re.Match) -> str:
        name = match.group(1)
        if name == "MemoryError":
            return f"(it needs more than {_megabytes(MEMORY_LIMIT_BYTES)} of memory)"
        if name == "RecursionError":
            return "(it is nested too deeply)"
        construct = _construct(name)
        return f"(Cadenza does not understand {construct})" if construct else "(something in it that Cadenza does not understand)"
    return _CLASS_IN_TEXT.sub(words, problem)


# -- the bounded child ------------------------------------------------------------------------

class _CpuTimeUp(BaseException):
    """Raised in the child at its processor-time limit (a BaseException, so readers do not catch it)."""


def _on_cpu_limit(signum, frame) -> None:
    raise _CpuTimeUp()


def _address_space() -> int | None:
    """This process's current virtual memory size in bytes (Linux), else None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _apply_limits(cpu_seconds: float, memory_bytes: int | None) -> None:
    """In the child: processor time (a signal, then a kill a little later), memory, no core files."""
    try:
        import resource
    except ImportError:  # not a POSIX system: the wall-clock backstop still holds
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no thread stacks eating the memory budget
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    soft = max(1, int(spent + cpu_seconds + 0.999))
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    for limit, value in ((resource.RLIMIT_CORE, (0, 0)), (resource.RLIMIT_CPU, (soft, soft + 5))):
        try:
            resource.setrlimit(limit, value)
        except (ValueError, OSError):
            pass
    base = _address_space()
    if memory_bytes and base is not None:
        try:
            hard = resource.getrlimit(resource.RLIMIT_AS)[1]
            value = base + memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))
        except (ValueError, OSError):
            pass


def _child(conn, fn: Callable, args: tuple, cpu_seconds: float = PARSE_TIME_LIMIT_S,
           memory_bytes: int | None = MEMORY_LIMIT_BYTES) -> None:
    try:
        _apply_limits(cpu_seconds, memory_bytes)
        result = fn(*args)
        conn.send(("ok", result))
    except CadenzaError as exc:  # a reader's own sentence, unless memory ran out beneath it
        conn.send(("memory", None) if _ran_out_of_memory(exc) else ("cadenza", exc))
    except MemoryError:
        conn.send(("memory", None))
    except _CpuTimeUp:
        conn.send(("cpu", None))
    except BaseException as exc:  # reported to the parent as one sentence
        detail = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
        conn.send(("crash", (describe_exception(exc), detail)))
    finally:
        conn.close()


def _ran_out_of_memory(exc: BaseException) -> bool:
    """True when a MemoryError lies under ``exc`` (a reader that wraps every failure in its own error)."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _context() -> mp.context.BaseContext:
    # fork is instant and inherits the already-imported parsers; it is only
    # safe enough on Linux. Elsewhere spawn (slower start, same result).
    return mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _wait(parent, proc, path: Path, seconds: float, wall: float,
          progress: Callable[[float], None] | None) -> tuple[str, Any]:
    """The child's message; the wall-clock backstop and a vanished child become errors."""
    start = time.monotonic()
    while True:
        left = wall - (time.monotonic() - start)
        if left <= 0:
            raise ParseTimeoutError(path, f"reading it took longer than {_seconds(wall)}")
        if parent.poll(min(left, PROGRESS_EVERY_S) if progress else left):
            try:
                return parent.recv()
            except Exception:  # EOF, or a message cut short by the child's end
                break
        if not proc.is_alive() and not parent.poll(0):
            break
        if progress:
            progress(time.monotonic() - start)
    proc.join(5)
    if proc.exitcode == -signal.SIGXCPU or (proc.exitcode == -signal.SIGKILL and time.monotonic() - start >= seconds):
        return "cpu", None
    return "gone", None


def call_with_time_limit(fn: Callable[..., Any], args: tuple, path: Path,
                         seconds: float = PARSE_TIME_LIMIT_S, *, wall_seconds: float | None = None,
                         memory_bytes: int | None = MEMORY_LIMIT_BYTES,
                         progress: Callable[[float], None] | None = None, modules: Iterable[str] = ()) -> Any:
    """Run ``fn(*args)`` in a child process limited to ``seconds`` of processor time and
    ``memory_bytes`` more memory; past either (or ``wall_seconds``, by default
    ``WALL_CLOCK_FACTOR * seconds``, of waiting) it is stopped with one sentence.

    ``fn`` must be a module-level function returning picklable data (a Score).
    ``progress(elapsed_seconds)`` is called about once a second while it runs.
    ``modules`` (and ``fn``'s own module) are imported here before the child is
    forked: a fork copies another thread's half-done import with its lock held,
    and a child that then imports the same module waits forever, so the parent
    first waits for any such import to finish.
    Set ``CADENZA_PARSE_IN_PROCESS=1`` to run in-process (debugging only).
    """
    if os.environ.get("CADENZA_PARSE_IN_PROCESS") == "1":
        return fn(*args)
    wall = wall_seconds if wall_seconds is not None else max(seconds * WALL_CLOCK_FACTOR, 10.0)
    for name in (fn.__module__, *modules):
        importlib.import_module(name)
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args, seconds, memory_bytes), daemon=True)
    proc.start()
    child.close()
    try:
        status, payload = _wait(parent, proc, path, seconds, wall, progress)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    return _result(status, payload, path, seconds, proc.exitcode)


def _result(status: str, payload: Any, path: Path, seconds: float, exitcode: int | None) -> Any:
    if status == "ok":
        return payload
    if status == "cadenza":
        if isinstance(payload, FileFormatError) and type(payload) is FileFormatError:
            problem = plain_problem(payload.problem)
            if problem != payload.problem:
                raise FileFormatError(payload.path, problem)
        raise payload
    if status == "cpu":
        raise ParseTimeoutError(path, f"reading it took more than {_seconds(seconds)} of processor time")
    if status == "memory":
        raise ReaderMemoryError(path, f"reading it needs more than {_megabytes(MEMORY_LIMIT_BYTES)} of memory")
    if status == "gone":
        if exitcode is not None and exitcode < 0 and -exitcode == getattr(signal, "SIGSEGV", 11):
            raise FileFormatError(path, "the reader crashed on it (the file may be damaged)")
        raise FileFormatError(path, "the reader stopped unexpectedly (the file may be too large or damaged)")
    sentence, detail = payload
    if os.environ.get("CADENZA_DEBUG"):
        print(detail, file=sys.stderr)
    raise FileFormatError(path, sentence)
