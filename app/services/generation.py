"""Generation for the GUI: the models on offer, loaded generators kept warm, runs in workers.

:class:`GenerationService` lists the installed checkpoints (each with its
model's spec, see ``models/common/spec.py``) and the compute devices in a
worker, since the devices import torch, which must never load on the UI
thread. A loaded generator is kept per (checkpoint, device) by a
:class:`GeneratorPool`: it loads once (in the background when the user picks a
model) and stays loaded. A run is a :class:`Job` holding the request's
options object (``GenerationOptions``, resolved against the model's spec), so
an option's value has one shape from the panel to the sampler. A job is built
from the panel's controls (:func:`job_from_controls`) or from a phrase's
provenance (:func:`job_from_provenance`, the one path of both "Regenerate
Exactly" and "More Like This"), and runs in the TaskRunner, so starting a run
cancels the one running. A job with a region (``app.services.regions``)
regenerates those bars of its seed (an ``Infill`` request) or continues the
seed into them, and each variation records the region. Results, progress
and failures come back as signals on the UI thread; nothing is emitted after
:meth:`shutdown`.
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
from app.core.generation_settings import NO_SOURCE, load_source, source_seed_text
from app.core.provenance import Provenance
from app.services.generation_controls import SONG_OPTIONS, SliderState
from app.services.regions import INFILL, KEY as REGION_KEY, Region, with_region
from app.tasks import TaskKind, TaskRunner, freeze_heap
from models.common.options import RANDOM_SEED_MAX, GenerationOptions, resolve_options
from models.common.spec import ModelSpec

KEEP_LOADED = 3  # generators kept in memory (least recently used goes first)


@dataclass(frozen=True)
class ModelInfo:
    """A checkpoint on offer: its registry entry and its model's spec, or why it cannot be used."""

    name: str
    arch: str
    path: Path
    bundled: bool
    card: Mapping[str, Any] = field(repr=False)
    spec: ModelSpec | None = None
    problem: str | None = None

    def takes(self, option: str) -> bool:
        return self.spec is not None and self.spec.takes(option)

    @property
    def weights_bytes(self) -> int | None:
        weights = self.path / "model.safetensors"
        return weights.stat().st_size if weights.is_file() else None


def scan_models() -> tuple[list[ModelInfo], dict[str, str]]:
    """Every checkpoint with its model's spec, and the usable devices with a description (worker: imports torch)."""
    from models.common.spec import card_spec
    from models.registry import get_spec, list_models

    infos = []
    for entry in list_models():
        try:
            spec, problem = card_spec(get_spec(entry.arch), entry.card), None
        except CadenzaError:
            spec, problem = None, (f"The {entry.name} checkpoint needs the {entry.arch} model, "
                                   "which is not installed.")
        if spec is not None and spec.audio_out:
            continue  # a sound model (the Audio Lab's), not a note generator
        infos.append(ModelInfo(entry.name, entry.arch, entry.path, entry.bundled, entry.card, spec, problem))
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
    """One generation run, as values: the options object goes to the request as it is."""

    model: str
    checkpoint: str
    options: GenerationOptions  # resolved against the model's spec (None: an option it lacks)
    seed_source: Mapping[str, Any] = field(default_factory=lambda: dict(NO_SOURCE))
    style_source: Mapping[str, Any] = field(default_factory=lambda: dict(NO_SOURCE))
    bars: int = 4
    variations: int = 4
    random_seed: int = 0
    device: str = "auto"
    tokens: int | None = None  # a length in tokens instead of bars (kept from a command-line phrase)
    keep_variation: int | None = None  # regenerate exactly: only this variation (1-based)
    expect_sha256: str | None = None
    region: Mapping[str, Any] | None = None  # Region.to_dict(): regenerate or fill these bars of the seed


def _options(info: ModelInfo, values: Mapping[str, Any]) -> GenerationOptions:
    """``values`` (option name -> value) resolved for the model: those it lacks dropped, its others at the
    table's default; OptionError names an out-of-range value."""
    if info.spec is None:
        raise GenerationError(info.problem or f"The {info.name} model cannot be used.")
    given = {name: value for name, value in values.items() if info.spec.takes(name)}
    return resolve_options(info.spec.name, info.spec.options, given)


def _style(info: ModelInfo, source: Mapping[str, Any]) -> dict[str, Any]:
    """The style song of a run: none unless the model mixes styles."""
    wanted = source.get("kind", "none") != "none" and any(info.takes(o.name) for o in SONG_OPTIONS)
    return dict(source) if wanted else dict(NO_SOURCE)


def job_from_controls(info: ModelInfo, state: SliderState, seed_source: Mapping[str, Any],
                      style_source: Mapping[str, Any], per_track: Mapping[str, Any] | None = None) -> Job:
    """The run the panel's controls describe; OptionError (naming the option) for a value out of range.
    ``per_track``: the per-track options' values (``TrackValues.given``), checked as the CLI's are."""
    options = _options(info, {**state.options, **(per_track or {})})
    return Job(info.name, str(info.path), options, dict(seed_source), _style(info, style_source),
               state.bars, state.variations, state.random_seed, state.device)


def job_from_provenance(provenance: Provenance | Mapping[str, Any], models: list[ModelInfo],
                        exact: bool = False) -> Job:
    """The run that made a phrase: exactly (same random seed, that variation only, the same weights), or
    "more like this" (the same settings with a new random seed). GenerationError in one sentence when the
    model is not installed or the provenance is damaged; OptionError when a stored value is out of range."""
    if not isinstance(provenance, Provenance):
        provenance = Provenance.from_dict(provenance)
    provenance.check_regenerable()
    info = model_of(provenance, models)
    seed = provenance.random_seed if exact else random.randint(0, RANDOM_SEED_MAX)
    return Job(info.name, str(info.path), _options(info, provenance.options),
               dict(provenance.seed_source or NO_SOURCE), _style(info, provenance.style_source or NO_SOURCE),
               provenance.bars, provenance.variations, seed, provenance.device or "auto", provenance.tokens,
               keep_variation=provenance.variation if exact else None,
               expect_sha256=provenance.checkpoint_sha256 if exact else None,
               region=_region(provenance))


def _region(provenance: Provenance) -> dict[str, Any] | None:
    region = Region.from_dict(provenance.extra.get(REGION_KEY))
    return region.to_dict() if region is not None else None


def model_of(provenance: Provenance, models: list[ModelInfo]) -> ModelInfo:
    """The installed model that made a phrase: same folder, else same weights (sha256), else same name."""
    sha = provenance.checkpoint_sha256
    checks = (lambda m: provenance.checkpoint and str(m.path) == provenance.checkpoint,
              lambda m: sha and m.card.get("weights_sha256") == sha,
              lambda m: m.name == provenance.model)
    for check in checks:
        found = next((m for m in models if check(m) and not m.problem), None)
        if found is not None:
            return found
    raise GenerationError(f"The model that made this phrase ({provenance.model or 'unknown'}) is not installed.")


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
    region = Region.from_dict(job.region) if job.region is not None else None
    infill = {"infill": region.infill()} if region is not None and region.mode == INFILL else {}
    request = _request_class()(seed=seed, seed_text=source_seed_text(job.seed_source), style=style,
                               options=job.options, bars=job.bars, tokens=job.tokens, variations=job.variations,
                               random_seed=job.random_seed, device=job.device, **infill)
    scores = yield from generator.generate(request)
    scores = [dataclasses.replace(s, provenance=Provenance.of(s).with_run(job.seed_source, job.style_source,
                                                                           job.device).to_dict()) for s in scores]
    if region is not None:
        scores = [with_region(s, region) for s in scores]
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
        serial = self._serial  # a run started meanwhile says more than "loaded" (its progress, its end)
        self.runner.start(TaskKind.GENERATE_LOAD, self.pool.get, str(info.path), device,
                          on_result=lambda _g, n=info.name: self._serial == serial and self.model_loaded.emit(n),
                          on_error=self._emit_failed)

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

    def regenerate(self, provenance: Provenance, exact: bool = False,
                   then: Callable[[Job], None] | None = None) -> None:
        """Run a phrase's request again: exactly, or "more like this" (same settings, new random seed).

        The one path of both, wherever they are asked for; ``then`` sees the job just before it starts
        (the panel shows its settings).
        """
        if not self.scanned:  # e.g. a project just opened: the installed models are not listed yet
            self.when_models(lambda: self.regenerate(provenance, exact, then))
            return
        try:
            job = job_from_provenance(provenance, self.models, exact)
        except CadenzaError as exc:
            self._emit_failed(str(exc))
            return
        if then is not None:
            then(job)
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
            self.failed.emit(message)
