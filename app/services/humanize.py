"""Humanize for the GUI: a track's notes played expressively by a model, in a worker.

Humanize keeps the notes (the same pitches, in the same order) and lets a
model that plays with dynamics choose each note's velocity and a small timing
offset (``app.core.edits.humanize_notes`` checks that it did no more). The
model is found by its spec, never by name: a checkpoint whose model's spec
names a humanize function (:func:`humanizer_of`), the user's own newest
first (:func:`find_humanizer`). A run is
a :class:`HumanizeJob`; :func:`run_humanize` is the generator the
TaskRunner drives (progress between steps, cooperative cancel); the loaded
model stays warm in a :class:`~app.services.generation.GeneratorPool`, so a
second Humanize starts at once. Starting a run cancels the one running; its
result is dropped. Results, failures and cancels come back as signals on the
UI thread; nothing is emitted after :meth:`HumanizeService.shutdown`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from app.core.errors import GenerationError
from app.core.score import Note, TempoChange
from app.services.generation import GeneratorPool
from app.tasks import TaskKind, TaskRunner, freeze_heap

NO_MODEL = ("Humanize needs a model that plays with dynamics, and none is installed "
            "(train one with Generate > Train a Model…).")


@dataclass(frozen=True)
class HumanizeJob:
    """One Humanize: ``notes`` of track ``track`` (in order), played with ``amount`` (0-1) at ``bpm`` (the
    tempo at the first note) or through the score's tempo map ``tempos`` where the function takes one."""

    track: int
    notes: tuple[Note, ...]
    ppq: int
    bpm: float
    amount: float
    random_seed: int
    tempos: tuple[TempoChange, ...] = ()
    device: str = "auto"


@dataclass(frozen=True)
class Humanized:
    """What a run made: the job, its performance (``notes[i]`` plays ``job.notes[i]``) and the model's name."""

    job: HumanizeJob
    notes: tuple[Note, ...]
    model: str


@dataclass(frozen=True)
class Humanizer:
    """A checkpoint whose model humanizes, and its humanize function (imported when first used)."""

    name: str
    checkpoint: str
    entry: Any  # models.common.spec.EntryPoint


def humanizer_of(spec) -> Any | None:
    """The entry point of the humanize function a model's spec names, or None when it names none."""
    return getattr(spec, "humanize", None)


def find_humanizer() -> Humanizer:
    """The checkpoint to humanize with (worker: reads the registry): the user's own model most recently
    trained, since it learned their playing, else the first bundled one; GenerationError if there is none."""
    from app.core.errors import CadenzaError
    from models.registry import get_spec, list_models

    found = []
    for entry in list_models():
        try:
            function = humanizer_of(get_spec(entry.arch))
        except CadenzaError:
            continue
        if function is not None:
            found.append((not entry.bundled, _modified(entry.path) if not entry.bundled else 0.0,
                          Humanizer(entry.name, str(entry.path), function)))
    if not found:
        raise GenerationError(NO_MODEL)
    return max(found, key=lambda f: f[:2])[2]  # max keeps the first of equals: the first bundled one


def _modified(folder) -> float:
    try:
        return (folder / "model.safetensors").stat().st_mtime
    except OSError:
        return 0.0


def _load_model(_name, checkpoint: str, device: str):
    """The loaded model of a humanizing checkpoint (worker: imports torch)."""
    from models.registry import load_generator

    return load_generator(None, checkpoint, device)


def run_humanize(job: HumanizeJob, pool: GeneratorPool, find: Callable[[], Humanizer] = find_humanizer,
                 report: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None):
    """Generator function (worker): find and load the model, play the notes; returns a :class:`Humanized`.

    The function is called as the spec's contract says (``f(generator, notes, *, ppq, bpm, amount,
    random_seed, cancelled)``); ``tempos`` and ``progress`` (``report(done, total)``, from this thread)
    go only to a function that takes them.
    """
    from models.common.generator import Progress

    yield Progress(0, 0, "Looking for a model that plays with dynamics…")
    humanizer = find()
    model = yield from pool.get(humanizer.checkpoint, job.device)
    yield Progress(0, 0, f"Playing {len(job.notes)} notes with {humanizer.name}…")
    function = humanizer.entry.load()
    takes = _parameters(function)
    extra = {"tempos": job.tempos} if job.tempos and "tempos" in takes else {}
    if report is not None and "progress" in takes:
        extra["progress"] = report
    notes = function(model, list(job.notes), ppq=job.ppq, bpm=job.bpm, amount=job.amount,
                     random_seed=job.random_seed, cancelled=cancelled, **extra)
    return Humanized(job, tuple(notes), humanizer.name)


def _parameters(function) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()


class HumanizeService(QObject):
    """The running Humanize of one window, and the model kept warm for the next."""

    progress = Signal(object)  # models.common.generator.Progress
    finished = Signal(object)  # Humanized
    failed = Signal(str)  # one sentence
    cancelled = Signal()
    _reported = Signal(int, int, int)  # serial, done, total: the model's steps, emitted from the worker

    def __init__(self, runner: TaskRunner, parent: QObject | None = None,
                 find: Callable[[], Humanizer] = find_humanizer, loader: Callable[..., Any] | None = None) -> None:
        super().__init__(parent)
        self.runner, self.find = runner, find
        self.pool = GeneratorPool(loader or _load_model, keep=1)
        self._serial = 0  # results of older runs are dropped
        self._closed = False
        self._reported.connect(self._on_reported)  # queued: the worker emits, the UI thread hears

    def start(self, job: HumanizeJob) -> None:
        """Run ``job``, cancelling the run in progress."""
        if self._closed:
            return
        self._serial += 1
        serial = self._serial
        self.runner.start(TaskKind.HUMANIZE, run_humanize, job, self.pool, self.find,
                          lambda done, total: self._report(serial, done, total),
                          on_result=lambda result: self._on_run_finished(serial, result),
                          on_error=lambda message: self._on_run_failed(serial, message),
                          on_progress=lambda p: serial == self._serial and self.progress.emit(p))

    def is_running(self) -> bool:
        return self.runner.is_running(TaskKind.HUMANIZE)

    def _report(self, serial: int, done: int, total: int) -> None:  # worker thread
        if serial == self._serial and not self._closed:
            try:
                self._reported.emit(serial, done, total)
            except RuntimeError:  # the service is gone: the window closed under the run
                pass

    def _on_reported(self, serial: int, done: int, total: int) -> None:
        from models.common.generator import Progress

        if serial == self._serial and not self._closed:
            self.progress.emit(Progress(done, total, "Playing the notes…"))

    def cancel(self) -> None:
        """Stop the run in progress; its result is dropped and ``cancelled`` is emitted."""
        if self.is_running():
            self._serial += 1
            self.runner.cancel(TaskKind.HUMANIZE)
            self.cancelled.emit()

    def shutdown(self) -> None:
        """On close: cancel, drop the model, and emit nothing more."""
        self._closed = True
        self._serial += 1
        self.runner.cancel(TaskKind.HUMANIZE)
        self.pool.clear()

    def _on_run_finished(self, serial: int, result: Humanized) -> None:
        freeze_heap()  # a first run loads torch and a model: keep them out of later full collections
        if serial == self._serial and not self._closed:
            self.finished.emit(result)

    def _on_run_failed(self, serial: int, message: str) -> None:
        if serial == self._serial and not self._closed:
            self.failed.emit(message)
