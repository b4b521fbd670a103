"""Long work off the UI thread: workers with progress, cancel and one result.

A job is a plain function ``fn(*args)`` or a generator function whose
generator yields progress objects and *returns* its result (the protocol of
``models.common.generator`` and ``train_loop``). :class:`TaskRunner` runs it
on a QThreadPool; the signals live on a QObject created in the main thread,
so slots run there. Cancel is cooperative: a generator is stopped between
yields; a plain function may take a ``cancelled`` callable. Starting a task of
a kind that is running cancels the old one (its result is dropped), so every
kind is named once, in :class:`TaskKind`: two features that share a kind
cancel each other. On close, :meth:`TaskRunner.shutdown` cancels everything
and waits: for the tasks writing the user's files until they are done, for the
others briefly (a generator stops at its next step, a fraction of a second).
One still stuck in a single long call (a model loading) is left behind, and
:func:`leave_stuck_tasks` ends the application's process without waiting for
it, so quitting never waits for work whose result nobody will see.
"""

from __future__ import annotations

import gc
import inspect
import logging
import os
import sys
import threading
import time
from enum import StrEnum
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from app.core.errors import CadenzaError

log = logging.getLogger(__name__)


def freeze_heap() -> None:
    """Move every object alive now into the permanent generation of the garbage collector.

    A full collection stops every thread while it walks the heap; with torch,
    music21 and a model loaded that walk took 115-165 ms, which froze the window
    in the middle of a generation. Objects alive after a big load (imports,
    models) are long-lived anyway, so the collector need not walk them again.
    """
    gc.freeze()


class TaskKind(StrEnum):
    """Every kind of task; a new task cancels the running one of its kind, and only that one."""

    OPEN = "open"  # File > Open
    SAVE = "save"  # File > Save
    FILE_EXPORT = "file-export"  # File > Export
    GALLERY_EXPORT = "gallery-export"  # a variation card's export
    SPECTROGRAM = "spectrogram"
    ABC_PARSE = "abc-parse"  # the ABC editor's check of the text
    ABC_WRITE = "abc-write"  # the ABC editor's rewrite after a piano-roll edit
    GENERATE = "generate"  # a generation run
    GENERATE_LOAD = "generate-load"  # a model preloaded
    GENERATE_MODELS = "generate-models"  # the installed models listed
    GENERATE_SOURCE = "generate-source"  # a seed or style song read
    GENERATE_AUDITION = "generate-audition"  # the song a variation is auditioned in
    ADD_BAND = "add-band"  # Generate > Add a Band: band tracks written around a melody
    TRAINING_DEVICES = "training-devices"  # the training dialog's device list
    TRAINING_COMPARE = "training-compare"  # the training dialog's comparison of checkpoints
    LISTENING_TEST = "listening-test"  # the Listening Test dialog's clips made
    HUMANIZE = "humanize"  # Edit > Humanize: a selection played expressively
    AUDIO_LAB = "audio-lab"  # the Audio Lab dock: a clip restyled, varied, continued or augmented


# kinds whose work is the user's files: shutdown waits for them to finish, however long it takes
MUST_FINISH = frozenset({TaskKind.SAVE, TaskKind.FILE_EXPORT, TaskKind.GALLERY_EXPORT})
STOP_GRACE_MS = 1000  # how long shutdown waits for the other tasks to stop at their next step
_stuck: list["Task"] = []  # tasks still running after a shutdown (kept alive: a worker thread runs them)


def stuck_tasks() -> list["Task"]:
    """Tasks a shutdown cancelled that have not ended yet (each stuck in one long call)."""
    _stuck[:] = [t for t in _stuck if not t.done]
    return list(_stuck)


def leave_stuck_tasks(exit_code: int) -> None:
    """For the application's own process, after its event loop ended: if a cancelled task is still stuck
    in one long call (a model loading), end the process now rather than wait for it (Qt's thread pool
    would, when it is destroyed). Nothing of the user's is lost: saves and exports were waited for, the
    settings and autosaves were written on close, and the stuck work's result would be dropped anyway."""
    if not stuck_tasks():
        return
    log.info("leaving %d cancelled task(s) behind at exit", len(_stuck))
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(exit_code)


class TaskCancelled(Exception):
    """Raised inside a job when its task was cancelled."""


class TaskSignals(QObject):
    """What a task reports; connect to these (they are delivered on the main thread).

    The worker emits on a private twin whose signals reach these through
    ``@Slot`` methods of this main-thread object (a queued connection), so
    even lambdas connected here run on the main thread.
    """

    progress = Signal(object)
    finished = Signal(object)  # the result
    failed = Signal(str)  # one sentence
    cancelled = Signal()
    done = Signal()  # after finished, failed or cancelled

    def __init__(self) -> None:
        super().__init__()
        self.closed = False  # set on shutdown: reports still queued are dropped
        self._worker = _WorkerSignals()
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)

    @Slot(object)
    def _on_progress(self, item) -> None:
        if not self.closed:
            self.progress.emit(item)

    @Slot(object)
    def _on_finished(self, result) -> None:
        if not self.closed:
            self.finished.emit(result)
            self.done.emit()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if not self.closed:
            self.failed.emit(message)
            self.done.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        if not self.closed:
            self.cancelled.emit()
            self.done.emit()


class _WorkerSignals(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class Task(QRunnable):
    """One job on the pool."""

    def __init__(self, kind: TaskKind, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner holds the reference
        self.kind, self.fn, self.args, self.kwargs = kind, fn, args, kwargs
        self.signals = TaskSignals()
        self._cancel = threading.Event()
        self._finished = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (for shutdown and tests)."""
        return self._finished.wait(timeout)

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def run(self) -> None:  # worker thread
        try:
            result = self._drive()
        except TaskCancelled:
            self._emit_end("cancelled")
        except CadenzaError as exc:
            self._emit_end("failed", str(exc))
        except MemoryError:
            self._emit_end("failed", "There was not enough memory for this task.")
        except Exception as exc:  # a bug: log it with its traceback, show one sentence
            log.exception("task %s failed", self.kind)
            self._emit_end("failed", f"Something went wrong ({type(exc).__name__}: {exc}).")
        else:
            if self.is_cancelled:
                self._emit_end("cancelled")
            else:
                self._emit_end("finished", result)

    def _drive(self) -> Any:
        if "cancelled" in _parameters(self.fn):
            self.kwargs.setdefault("cancelled", lambda: self.is_cancelled)
        out = self.fn(*self.args, **self.kwargs)
        if not inspect.isgenerator(out):
            return out
        while True:
            if self.is_cancelled:
                out.close()
                raise TaskCancelled
            try:
                item = next(out)
            except StopIteration as stop:
                return stop.value
            try:
                self.signals._worker.progress.emit(item)
            except RuntimeError:  # the signals' QObject is gone: the window closed under the task
                out.close()
                raise TaskCancelled from None

    def _emit_end(self, name: str, *args) -> None:
        try:
            getattr(self.signals._worker, name).emit(*args)
        except RuntimeError:  # the signals' QObject is gone (app closing)
            pass
        finally:
            self._finished.set()


def _parameters(fn: Callable) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


class TaskRunner(QObject):
    """Starts tasks, keeps them alive, cancels the previous one of a kind."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._running: dict[TaskKind, Task] = {}
        self._all: set[Task] = set()
        self._closed = False

    def start(self, kind: TaskKind, fn: Callable[..., Any], *args: Any,
              on_result: Callable[[Any], None] | None = None, on_error: Callable[[str], None] | None = None,
              on_progress: Callable[[Any], None] | None = None, **kwargs: Any) -> Task:
        """Run ``fn(*args, **kwargs)``; the callbacks run on the main thread (never after shutdown)."""
        if self._closed:  # the window is closing: nothing new starts, nothing reports
            task = Task(kind, fn, *args, **kwargs)
            task.signals.closed = True
            task._finished.set()
            return task
        old = self._running.get(kind)
        if old is not None:
            old.cancel()
        task = Task(kind, fn, *args, **kwargs)
        if on_result:
            task.signals.finished.connect(on_result)
        if on_error:
            task.signals.failed.connect(on_error)
        if on_progress:
            task.signals.progress.connect(on_progress)
        task.signals.done.connect(lambda t=task: self._forget(t))
        self._running[kind] = task
        self._all.add(task)
        self.pool.start(task)
        return task

    def _forget(self, task: Task) -> None:
        self._all.discard(task)
        if self._running.get(task.kind) is task:
            del self._running[task.kind]

    def is_running(self, kind: TaskKind) -> bool:
        return kind in self._running

    def cancel(self, kind: TaskKind) -> None:
        task = self._running.get(kind)
        if task is not None:
            task.cancel()

    def shutdown(self, timeout_ms: int = STOP_GRACE_MS, finish_ms: int = 120_000) -> None:
        """Cancel every task (on close); later starts are refused quietly, and nothing reports any more.

        Tasks not started yet are dropped. Saves and exports are waited for (up to ``finish_ms``), the
        other tasks up to ``timeout_ms`` all together: a generator stops at its next step. A task still
        running then is stuck in one long call; it is left to end on its own (see :func:`leave_stuck_tasks`).
        """
        self._closed = True
        for task in list(self._all):
            task.cancel()
            task.signals.closed = True
        for task in list(self._all):
            if self.pool.tryTake(task):  # queued, never started: it will not run
                task._finished.set()
        for task in [t for t in self._all if t.kind in MUST_FINISH]:
            task.wait(finish_ms / 1000)
        deadline = time.monotonic() + timeout_ms / 1000
        for task in list(self._all):
            task.wait(max(0.0, deadline - time.monotonic()))
        _stuck.extend(t for t in self._all if not t.done)
        self._all.clear()
        self._running.clear()
