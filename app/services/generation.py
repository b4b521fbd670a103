"""Generation for the GUI: the models on offer, loaded generators kept warm, runs in workers.

:class:`GenerationService` lists the models (with the options each one's
generator class has) and the compute devices in a worker, since both import
torch, which must never load on the UI thread. A loaded generator is kept per
(checkpoint, device) by a :class:`GeneratorPool`: it loads once (in the
background when the user picks a model) and stays loaded. A run is a
:class:`Job` — plain values the panel builds from its controls, or rebuilt
from a phrase's provenance — run in the TaskRunner as kind ``"generate"``, so
starting a run cancels the one running. Results, progress and failures come
back as signals on the UI thread; nothing is emitted after :meth:`shutdown`.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from PySide6.QtCore import QObject, Signal

from app.core.errors import CadenzaError, GenerationError
from app.core.generation_settings import (NO_SOURCE, RANDOM_SEED_MAX, SliderState, load_source, request_options,
                                          source_seed_text)
from app.tasks import TaskKind, TaskRunner, freeze_heap

KEEP_LOADED = 3  # generators kept in memory (least recently used goes first)
GUI_WORDS = (("use --device cpu (or auto)", "choose CPU or Auto as the device"),
             ("or use --device cpu", "or choose CPU as the device"), ("--device cpu", "the CPU device"))


def gui_sentence(message: str) -> str:
    """A model's error sentence with command-line flags put in the panel's words."""
    for flag, words in GUI_WORDS:
        message = message.replace(flag, words)
    return message


@dataclass(frozen=True)
class ModelInfo:
    """A model on offer: its registry entry, its generator's options, or why it cannot be used."""

    name: str
    arch: str
    path: Path
    bundled: bool
    card: Mapping[str, Any] = field(repr=False)
    options: frozenset[str] = frozenset()
    problem: str | None = None

    @property
    def weights_bytes(self) -> int | None:
        weights = self.path / "model.safetensors"
        return weights.stat().st_size if weights.is_file() else None


def scan_models() -> tuple[list[ModelInfo], dict[str, str]]:
    """Every model with its options, and the usable devices with a description (worker: imports torch)."""
    from models.registry import generator_class, list_models

    options: dict[str, frozenset[str] | str] = {}
    infos = []
    for entry in list_models():
        if entry.arch not in options:
            try:
                options[entry.arch] = frozenset(generator_class(entry.arch).options)
            except CadenzaError as exc:
                options[entry.arch] = str(exc)
            except Exception as exc:  # a model package that fails to import: say so, keep the others
                options[entry.arch] = f"The {entry.arch} model cannot be used ({type(exc).__name__}: {exc})."
        found = options[entry.arch]
        problem = found if isinstance(found, str) else None
        infos.append(ModelInfo(entry.name, entry.arch, entry.path, entry.bundled, entry.card,
                               frozenset() if problem else found, problem))
    return infos, scan_devices()


def scan_devices() -> dict[str, str]:
    """Device name -> description, best first; CPU always."""
    try:
        import torch

        from models.common.device import available_devices
    except ImportError:
        return {"cpu": "CPU"}
    names = {"cuda": "GPU", "mps": "Apple GPU", "cpu": "CPU"}
    found = {}
    for name in available_devices():
        found[name] = f"GPU — {torch.cuda.get_device_name(0)}" if name == "cuda" else names.get(name, name)
    return found


@dataclass(frozen=True)
class Job:
    """One generation run, as plain values."""

    model: str
    checkpoint: str
    options: Mapping[str, Any]  # the request's option fields (None for options the model lacks)
    seed_source: Mapping[str, Any] = field(default_factory=lambda: dict(NO_SOURCE))
    style_source: Mapping[str, Any] = field(default_factory=lambda: dict(NO_SOURCE))
    bars: int = 4
    variations: int = 4
    random_seed: int = 0
    device: str = "auto"
    keep_variation: int | None = None  # regenerate exactly: only this variation (1-based)
    expect_sha256: str | None = None


def job_from_controls(info: ModelInfo, state: SliderState, seed_source: Mapping[str, Any],
                      style_source: Mapping[str, Any]) -> Job:
    """The run the panel's controls describe (options the model lacks left at None)."""
    has_style = style_source.get("kind", "none") != "none" and "style" in info.options
    return Job(info.name, str(info.path), request_options(state, info.options, has_style), dict(seed_source),
               dict(style_source) if has_style else dict(NO_SOURCE), state.bars, state.variations,
               state.random_seed, state.device)


def job_from_provenance(provenance: Mapping[str, Any], models: list[ModelInfo], exact: bool = True) -> Job:
    """The run that made a phrase: exactly (same random seed, that variation only), or with a new seed."""
    info = model_of(provenance, models)
    sliders = provenance.get("sliders") if isinstance(provenance.get("sliders"), dict) else {}
    fields = {f.name for f in dataclasses.fields(_request_class())}
    options = {k: v for k, v in sliders.items() if k in info.options and k in fields and k != "style"}
    try:
        bars, count = int(provenance.get("bars", 4)), int(provenance.get("variations", 1))
        seed = int(provenance.get("random_seed", 0)) if exact else random.randint(0, RANDOM_SEED_MAX)
    except (TypeError, ValueError):
        raise GenerationError("The provenance of this phrase is damaged; it cannot be regenerated.") from None
    sources = [provenance.get(k) if isinstance(provenance.get(k), dict) else dict(NO_SOURCE)
               for k in ("seed_source", "style_source")]
    return Job(info.name, str(info.path), options, sources[0], sources[1], bars, count, seed,
               str(provenance.get("device", "auto")),
               keep_variation=int(provenance.get("variation", 1)) if exact else None,
               expect_sha256=provenance.get("checkpoint_sha256") if exact else None)


def model_of(provenance: Mapping[str, Any], models: list[ModelInfo]) -> ModelInfo:
    """The installed model that made a phrase: same folder, else same weights (sha256), else same name."""
    sha = provenance.get("checkpoint_sha256")
    checks = (lambda m: provenance.get("checkpoint") and str(m.path) == str(provenance.get("checkpoint")),
              lambda m: sha and m.card.get("weights_sha256") == sha,
              lambda m: m.name == provenance.get("model"))
    for check in checks:
        found = next((m for m in models if check(m) and not m.problem), None)
        if found is not None:
            return found
    raise GenerationError(f"The model that made this phrase ({provenance.get('model', 'unknown')}) is not installed.")


def _request_class():
    from models.common.generator import GenerationRequest

    return GenerationRequest


class GeneratorPool:
    """Loaded generators per (checkpoint, device): each loads once, in whichever worker needs it first."""

    def __init__(self, loader: Callable[..., Any] | None = None, keep: int = KEEP_LOADED) -> None:
        self.loader = loader or _load_generator  # (name, checkpoint, device) -> a Generator
        self._keep = keep
        self._loaded: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def put(self, checkpoint: str, device: str, generator: Any) -> None:
        """Hold ``generator`` as loaded (tests inject slow or failing ones this way)."""
        with self._guard:
            self._loaded[(checkpoint, device)] = generator

    def loaded(self, checkpoint: str, device: str) -> bool:
        return (checkpoint, device) in self._loaded

    def get(self, checkpoint: str, device: str):
        """Generator function (worker): yields Progress while it waits or loads; returns the generator."""
        from models.common.generator import Progress

        key = (checkpoint, device)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        while not lock.acquire(timeout=0.05):  # another worker is loading it: wait, cancellable
            yield Progress(0, 0, "Waiting for the model to load…")
        try:
            with self._guard:
                generator = self._loaded.get(key)
                if generator is not None:
                    self._loaded.move_to_end(key)
                    return generator
            yield Progress(0, 0, f"Loading {Path(checkpoint).name}…")
            generator = self.loader(None, checkpoint, device)
            with self._guard:
                self._loaded[key] = generator
                while len(self._loaded) > self._keep:
                    self._loaded.popitem(last=False)
            return generator
        finally:
            lock.release()

    def clear(self) -> None:
        with self._guard:
            self._loaded.clear()


def _load_generator(name, checkpoint, device):
    from models.registry import load_generator

    return load_generator(name, checkpoint, device)


class SourceCache:
    """Seed and style scores read once (a file again when it changed on disk); thread-safe."""

    def __init__(self, keep: int = 32) -> None:
        self._scores: OrderedDict[str, Any] = OrderedDict()
        self._keep = keep
        self._guard = threading.Lock()

    def get(self, source: Mapping[str, Any]):
        """The score of ``source`` (None for no source); CadenzaError when it cannot be read."""
        key = json.dumps(source, sort_keys=True, default=str)
        if source.get("kind") == "file":
            path = Path(str(source.get("spec", "")))
            key += f"@{path.stat().st_mtime_ns if path.exists() else 0}"
        with self._guard:
            if key in self._scores:
                self._scores.move_to_end(key)
                return self._scores[key]
        score = load_source(source)
        with self._guard:
            self._scores[key] = score
            while len(self._scores) > self._keep:
                self._scores.popitem(last=False)
        return score


def run_job(job: Job, pool: GeneratorPool, sources: SourceCache):
    """Generator function (worker): load what the job needs, generate, return the variations."""
    seed, style = sources.get(job.seed_source), sources.get(job.style_source)
    generator = yield from pool.get(job.checkpoint, job.device)
    if job.expect_sha256 and generator.card.get("weights_sha256") != job.expect_sha256:
        raise GenerationError(f"The {job.model} weights have changed since this phrase was made, "
                              "so it cannot be regenerated exactly.")
    request = _request_class()(seed=seed, seed_text=source_seed_text(job.seed_source), bars=job.bars,
                               style=style, variations=job.variations, random_seed=job.random_seed,
                               device=job.device, **job.options)
    scores = yield from generator.generate(request)
    extra = {"seed_source": dict(job.seed_source), "style_source": dict(job.style_source), "device": job.device}
    scores = [dataclasses.replace(s, provenance={**s.provenance, **extra}) for s in scores]
    if job.keep_variation is not None:
        scores = scores[job.keep_variation - 1: job.keep_variation]
    return scores


class GenerationService(QObject):
    """The models, the warm generators and the running generation of one window."""

    models_changed = Signal(list)  # [ModelInfo]
    devices_found = Signal(dict)  # device name -> description
    model_loaded = Signal(str)  # a model finished loading in the background
    started = Signal(object)  # the Job
    progress = Signal(object)  # models.common.generator.Progress
    variations_ready = Signal(list)  # [Score], each with provenance
    failed = Signal(str)  # one sentence
    cancelled = Signal()

    def __init__(self, runner: TaskRunner, parent: QObject | None = None,
                 loader: Callable[..., Any] | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.pool = GeneratorPool(loader)
        self.sources = SourceCache()
        self.models: list[ModelInfo] = []
        self.devices: dict[str, str] = {}
        self.scanned = self.scanning = False
        self._after_scan: list[Callable[[], None]] = []
        self._serial = 0  # results of older runs are dropped
        self._closed = False

    # -- models ---------------------------------------------------------------------
    def refresh_models(self) -> None:
        """List the models again (a new user model was trained) in a worker; ``models_changed`` follows."""
        if not self._closed:
            self.scanning = True
            self.runner.start(TaskKind.GENERATE_MODELS, scan_models, on_result=self._on_models_scanned,
                              on_error=self._on_models_scan_failed)

    def ensure_models(self) -> None:
        """List the models unless they are listed or being listed."""
        if not (self.scanned or self.scanning):
            self.refresh_models()

    def when_models(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` now if the models are listed, else once they are."""
        if self.scanned:
            callback()
        else:
            self._after_scan.append(callback)
            self.ensure_models()

    def _on_models_scan_failed(self, message: str) -> None:
        self.scanning = False
        self._emit_failed(message)

    def _on_models_scanned(self, result) -> None:
        freeze_heap()  # torch and the registry are imported by now
        self.models, self.devices = result
        self.scanned, self.scanning = True, False
        self.devices_found.emit(self.devices)
        self.models_changed.emit(self.models)
        waiting, self._after_scan = self._after_scan, []
        for callback in waiting:
            callback()

    def model(self, name: str) -> ModelInfo | None:
        return next((m for m in self.models if m.name == name), None)

    def preload(self, info: ModelInfo, device: str) -> None:
        """Load a model in the background so the next run starts at once (a broken one says so now)."""
        if self._closed or info.problem or self.pool.loaded(str(info.path), device):
            return
        self.runner.start(TaskKind.GENERATE_LOAD, self.pool.get, str(info.path), device,
                          on_result=lambda _g, n=info.name: self.model_loaded.emit(n), on_error=self._emit_failed)

    # -- runs -----------------------------------------------------------------------
    def generate(self, job: Job) -> None:
        """Start ``job``, cancelling the run in progress."""
        if self._closed:
            return
        self._serial += 1
        serial = self._serial
        self.runner.start(TaskKind.GENERATE, run_job, job, self.pool, self.sources,
                          on_result=lambda scores: self._on_run_finished(serial, scores),
                          on_error=lambda message: self._on_run_failed(serial, message),
                          on_progress=lambda p: serial == self._serial and self.progress.emit(p))
        self.started.emit(job)

    def regenerate(self, provenance: Mapping[str, Any], exact: bool = True) -> None:
        """Run a phrase's request again: exactly, or 'more like this' (same settings, new random seed)."""
        if not self.scanned:  # e.g. a project just opened: the installed models are not listed yet
            self.when_models(lambda: self.regenerate(provenance, exact))
            return
        try:
            job = job_from_provenance(provenance, self.models, exact)
        except CadenzaError as exc:
            self._emit_failed(str(exc))
            return
        self.generate(job)

    def load_source(self, source: Mapping[str, Any], on_result: Callable[[Any], None],
                    on_error: Callable[[str], None] | None = None, kind: str = TaskKind.GENERATE_SOURCE) -> None:
        """Read a seed or style song in a worker (cached for the runs that use it); a newer read of
        the same ``kind`` replaces this one."""
        if not self._closed:
            self.runner.start(kind, self.sources.get, dict(source), on_result=on_result,
                              on_error=on_error or self._emit_failed)

    def is_running(self) -> bool:
        return self.runner.is_running(TaskKind.GENERATE)

    def cancel(self) -> None:
        """Stop the run in progress; its results are dropped and ``cancelled`` is emitted."""
        if self.is_running():
            self._serial += 1
            self.runner.cancel(TaskKind.GENERATE)
            self.cancelled.emit()

    def shutdown(self) -> None:
        """On close: cancel, drop the generators, and emit nothing more."""
        self._closed = True
        self._serial += 1
        for kind in (TaskKind.GENERATE, TaskKind.GENERATE_LOAD, TaskKind.GENERATE_MODELS, TaskKind.GENERATE_SOURCE,
                     TaskKind.GENERATE_AUDITION):
            self.runner.cancel(kind)
        self.pool.clear()

    def _on_run_finished(self, serial: int, scores: list) -> None:
        freeze_heap()  # a first run loads torch and a model: keep them out of later full collections
        if serial == self._serial and not self._closed:
            self.variations_ready.emit(list(scores))

    def _on_run_failed(self, serial: int, message: str) -> None:
        if serial == self._serial:
            self._emit_failed(message)

    def _emit_failed(self, message: str) -> None:
        if not self._closed:
            self.failed.emit(gui_sentence(message))
