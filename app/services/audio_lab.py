"""The Audio Lab for the GUI: clips of sound restyled, varied, continued or augmented, in a worker.

A source is a :class:`Clip` (float32 mono samples and their rate): the
current score rendered with the player's FluidSynth (as the spectrogram
renders it, then brought down to about 22 kHz), a variation from the gallery
rendered the same way, or an audio file (WAV, FLAC or OGG, read with
soundfile). Sources longer than :data:`MAX_SECONDS` keep their first part.
Every source and result comes with its mel spectrogram (``app.audio.spectrum``),
computed in the worker too.

The four actions: Restyle (content A after the style of B), Vary (A through
a latent, with noise), Continue (A followed by the few seconds a model adds
to it, so the join is heard) and Augment
(speed, shift, noise and cut mix of ``models.audio_common.augment``). The
first three use models that write sound (``spec.audio_out``), found by the
method their generator has (``restyle``, ``vary``, ``continue_clip``) — never
by name — loaded on the best device :func:`~app.services.generation.scan_devices`
finds and kept warm in a :class:`~app.services.generation.GeneratorPool`.

One lab task runs at a time (:data:`TaskKind.AUDIO_LAB`): a new one
cancels the one running and its result is dropped. Progress (the models'
``progress(fraction)``, from the worker) and results come back as signals on
the UI thread; a failure is one sentence; nothing is emitted after
:meth:`AudioLabService.shutdown`. QtCore only: ``app.ui.audio_lab`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.core.errors import AudioError, CadenzaError, FileFormatError, GenerationError, LimitExceededError
from app.core.score import Score
from app.services.generation import GeneratorPool, scan_devices
from app.tasks import TaskCancelled, TaskKind, TaskRunner, freeze_heap

AUDIO_EXTS = (".wav", ".flac", ".ogg")
MAX_SECONDS = 60.0  # a longer source keeps its first minute: the models work on short clips
MAX_FILE_BYTES = 512 * 1024 * 1024
MODEL_METHODS = {"restyle": "restyle", "vary": "vary", "continue": "continue_clip"}
RESULT_WORDS = {"restyle": "restyled", "vary": "varied", "continue": "continued", "augment": "augmented"}
ACTION_WORDS = {"restyle": "restyles clips", "vary": "varies clips", "continue": "continues clips"}


@dataclass(frozen=True)
class Clip:
    """Mono sound: ``audio`` (samples,) float32 at ``sample_rate``, named for the musician."""

    audio: np.ndarray = field(repr=False)
    sample_rate: int
    name: str

    @property
    def seconds(self) -> float:
        return len(self.audio) / float(self.sample_rate)


@dataclass(frozen=True)
class Shown:
    """A clip with its mel spectrogram (``app.audio.spectrum.Spectrogram``)."""

    clip: Clip
    spectrogram: Any


@dataclass(frozen=True)
class LabJob:
    """One action: ``action`` in restyle/vary/continue/augment, on ``a`` (and ``b``), with ``params``."""

    action: str
    a: Clip
    b: Clip | None = None
    params: dict = field(default_factory=dict)
    random_seed: int = 0


@dataclass(frozen=True)
class LabResult:
    """What an action made: the job, its results (each with its spectrogram) and a line describing it."""

    job: LabJob
    results: tuple[Shown, ...]
    description: str


# -- sources (worker) -------------------------------------------------------------------------------
def read_audio_file(path: str | Path, cancelled: Callable[[], bool] | None = None) -> Shown:
    """The audio file at ``path`` as a mono clip with its spectrogram; one sentence if it cannot be read."""
    import soundfile as sf

    path = Path(path)
    if path.suffix.lower() not in AUDIO_EXTS:
        raise FileFormatError(path, "the Audio Lab opens WAV, FLAC and OGG files")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LimitExceededError(path, f"it is larger than {MAX_FILE_BYTES // 2**20} MB")
        with sf.SoundFile(str(path)) as f:
            rate = int(f.samplerate)
            data = f.read(frames=int(MAX_SECONDS * rate), dtype="float32", always_2d=True)  # (frames, channels)
            cut = f.frames > len(data)
    except OSError as exc:
        raise FileFormatError(path, f"it could not be opened ({exc.strerror or exc})") from None
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError):
        raise FileFormatError(path, "it is not a sound file soundfile can read, or it is damaged") from None
    if not len(data):
        raise FileFormatError(path, "it holds no sound")
    audio = np.ascontiguousarray(data.mean(axis=1), dtype=np.float32)
    if not np.all(np.isfinite(audio)):
        raise FileFormatError(path, "it holds samples that are not numbers")
    return with_spectrogram(Clip(audio, rate, path.name + (f" (its first {MAX_SECONDS:g} s)" if cut else "")))


def render_score(synth_at: Callable[[int], Any], rate: int, score: Score, name: str,
                 cancelled: Callable[[], bool] | None = None) -> Shown:
    """``score`` rendered with ``synth_at(rate)`` (the player's synth) as a mono clip near 22 kHz."""
    from app.services.spectrogram import decimate, render_mono

    if not score.note_count:
        raise AudioError(f"{name[:1].upper()}{name[1:]} has no notes to render.")
    cancelled = cancelled or (lambda: False)
    synth = synth_at(rate)
    audio = render_mono(synth, score, cancelled)
    if audio is None:
        raise TaskCancelled
    audio, analysis_rate = decimate(audio, synth.sample_rate)
    audio = audio[: int(MAX_SECONDS * analysis_rate)]
    return with_spectrogram(Clip(np.asarray(audio, np.float32), int(analysis_rate), name))


def with_spectrogram(clip: Clip) -> Shown:
    """``clip`` and its mel spectrogram (bands up to 11 kHz, as the score's spectrogram)."""
    from app.audio.spectrum import mel_spectrogram
    from app.services.spectrogram import MAX_HZ, N_MELS

    return Shown(clip, mel_spectrogram(clip.audio, clip.sample_rate, n_mels=N_MELS, fmax=MAX_HZ))


def resample(clip: Clip, rate: int) -> Clip:
    """``clip`` at ``rate`` (a polyphase resampler); the same clip when it is at that rate already."""
    if clip.sample_rate == rate:
        return clip
    from scipy.signal import resample_poly

    g = gcd(int(rate), int(clip.sample_rate))
    audio = resample_poly(clip.audio, int(rate) // g, int(clip.sample_rate) // g).astype(np.float32)
    return Clip(audio, int(rate), clip.name)


# -- actions (worker) ------------------------------------------------------------------------------
def find_audio_model(action: str) -> str:
    """The name of an installed model whose generator can do ``action`` (worker: imports the models)."""
    from models.registry import find_checkpoint, model_specs

    method = MODEL_METHODS[action]
    for spec in model_specs():
        if not getattr(spec, "audio_out", False):
            continue
        try:
            said = (getattr(spec, "extra", None) or {}).get("action")  # the spec may say which action it does
            if said in (action, method) or (said is None and hasattr(spec.generator.load(), method)):
                find_checkpoint(spec.name)
                return spec.name
        except (CadenzaError, ImportError, AttributeError):
            continue
    raise GenerationError(f"{action.capitalize()} needs an audio model that {ACTION_WORDS[action]}, "
                          "and none is installed.")


def _load_audio_model(_name, model: str, device: str):
    from models.registry import load_generator

    return load_generator(model, device=device)


def augment_clip(job: LabJob, tools=None) -> tuple[np.ndarray, str]:
    """``job.a`` through the augmentations ``job.params`` turns on, in order speed, shift, noise, cut mix;
    the samples and words for what was done."""
    if tools is None:
        from models.audio_common import augment as tools
    p, x, rate, done = job.params, job.a.audio, job.a.sample_rate, []
    rng = np.random.default_rng(job.random_seed)
    if p.get("speed"):
        x = tools.speed_tune(x, float(p["speed"]), rate)
        done.append(f"speed ×{float(p['speed']):g}")
    if p.get("shift"):
        x = tools.time_shift(x, int(round(float(p["shift"]) * rate)), mode=p.get("shift_mode", "circular"))
        done.append(f"shifted {float(p['shift']):g} s")
    if p.get("snr_db") is not None:
        noise = _clip_b(job, "Mixing clip B as the noise", rate) if p.get("noise_from_b") else None
        x = tools.mix_noise(x, float(p["snr_db"]), noise=noise, rng=rng)
        done.append(f"{'B' if noise is not None else 'noise'} at {float(p['snr_db']):g} dB SNR")
    if p.get("cut_fraction"):
        x, label = tools.cut_mix(x, _clip_b(job, "Cut mix", rate), fraction=float(p["cut_fraction"]), rng=rng)
        done.append(f"cut mix with {job.b.name} (label mix {float(np.ravel(label)[0]):.2f})")
    if not done:
        raise AudioError("Choose at least one augmentation.")
    return np.asarray(x, np.float32), ", ".join(done)


def _clip_b(job: LabJob, what: str, rate: int) -> np.ndarray:
    """Source B's samples at ``rate``; one sentence when there is no B."""
    if job.b is None:
        raise AudioError(f"{what} needs a second clip: choose source B.")
    return resample(job.b, rate).audio


def run_model_action(job: LabJob, generator, report: Callable[[float], None] | None,
                     cancelled: Callable[[], bool]) -> tuple[list[np.ndarray], str]:
    """``job`` on the loaded ``generator``: the clips it returns and words for what was done."""
    p, a, rate = job.params, job.a, job.a.sample_rate
    common = {"random_seed": job.random_seed, "progress": report, "cancelled": cancelled}
    if job.action == "restyle":
        out = generator.restyle(a.audio, _clip_b(job, "Restyle", rate), rate,
                                content_weight=float(p.get("content_weight", 1.0)),
                                style_weight=float(p.get("style_weight", 1.0)), steps=int(p.get("steps", 200)),
                                **common)
        return [out], f"{a.name} in the style of {job.b.name}"
    if job.action == "vary":
        outs = generator.vary(a.audio, rate, noise_sd=float(p.get("noise_sd", 0.5)), count=int(p.get("count", 4)),
                              **common)
        return list(outs), f"{len(outs)} variations of {a.name}, noise sd {float(p.get('noise_sd', 0.5)):g}"
    out = generator.continue_clip(a.audio, rate, seconds=float(p.get("seconds", 2.0)),
                                  temperature=float(p.get("temperature", 1.0)), **common)  # the new seconds only
    joined = np.concatenate([a.audio, np.asarray(out, np.float32).reshape(-1)])  # heard from the clip into them
    return [joined], f"{a.name} continued by {float(p.get('seconds', 2.0)):g} s"


def run_lab_job(job: LabJob, pool: GeneratorPool, device_of: Callable[[], str],
                report: Callable[[float], None] | None = None, tools=None,
                find: Callable[[str], str] = find_audio_model, cancelled: Callable[[], bool] | None = None):
    """Generator function (worker): run ``job`` (loading its model first); returns a :class:`LabResult`."""
    from models.common.generator import Progress

    cancelled = cancelled or (lambda: False)
    try:
        if job.action == "augment":
            yield Progress(0, 0, "Augmenting…")
            outs, words = augment_clip(job, tools)
            outs = [outs]
        else:
            yield Progress(0, 0, "Looking for the model…")
            model = find(job.action)
            generator = yield from pool.get(model, device_of())
            yield Progress(0, 0, f"Running {model}…")
            outs, words = run_model_action(job, generator, report, cancelled)
        if cancelled():
            raise TaskCancelled
        yield Progress(0, 0, "Drawing the spectrograms…")
        shown = []
        for i, out in enumerate(outs):
            audio = np.asarray(out, dtype=np.float32).reshape(-1)
            name = f"variation {i + 1} of {job.a.name}" if len(outs) > 1 else f"{RESULT_WORDS[job.action]} {job.a.name}"
            shown.append(with_spectrogram(Clip(audio, job.a.sample_rate, name)))
            yield Progress(i + 1, len(outs), "Drawing the spectrograms…")
        return LabResult(job, tuple(shown), words)
    except TaskCancelled:
        raise
    except Exception:
        if cancelled():  # a model ends a cancelled run in its own way (models.common.generator.Cancelled)
            raise TaskCancelled from None
        raise


class AudioLabService(QObject):
    """The Audio Lab's one running task (a source read or an action) and the models kept warm."""

    source_ready = Signal(str, object)  # slot ("A" or "B"), Shown
    finished = Signal(object)  # LabResult
    progress = Signal(object)  # models.common.generator.Progress, or a float fraction from a model
    failed = Signal(str)  # one sentence
    cancelled = Signal()
    _reported = Signal(int, float)  # serial, fraction: a model's progress, emitted from the worker

    def __init__(self, runner: TaskRunner, synth_at: Callable[[int], Any] | None = None,
                 rate_of: Callable[[], int] | None = None, parent: QObject | None = None,
                 loader: Callable[..., Any] | None = None, device: str | None = None, tools=None,
                 find: Callable[[str], str] = find_audio_model) -> None:
        super().__init__(parent)
        self.runner, self.synth_at, self.rate_of = runner, synth_at, rate_of or (lambda: 44100)
        self.pool = GeneratorPool(loader or _load_audio_model, keep=2)
        self.device, self.tools, self.find = device, tools, find
        self._serial = 0
        self._closed = False
        self._reported.connect(self._on_reported)

    # -- starting -----------------------------------------------------------------------------
    def open_file(self, slot: str, path: str | Path) -> None:
        """Read the audio file at ``path`` into source ``slot``."""
        self._start(read_audio_file, str(path), on_result=lambda shown: self.source_ready.emit(slot, shown))

    def render(self, slot: str, score: Score, name: str) -> None:
        """Render ``score`` (the sketch or a variation) with the player's synth into source ``slot``."""
        if self.synth_at is None:
            self.failed.emit("Rendering needs the player's synthesizer, which this lab was given none of.")
            return
        self._start(render_score, self.synth_at, self.rate_of(), score, name,
                    on_result=lambda shown: self.source_ready.emit(slot, shown))

    def run(self, job: LabJob) -> None:
        """Run ``job``, cancelling the task in progress."""
        self._start(run_lab_job, job, self.pool, self._device, None, self.tools, self.find,
                    reporting=True, on_result=self.finished.emit)

    def _start(self, fn, *args, on_result, reporting: bool = False) -> None:
        if self._closed:
            return
        self._serial += 1
        serial = self._serial
        if reporting:  # the model's progress(fraction), from the worker thread
            args = args[:3] + (lambda fraction: self._report(serial, fraction),) + args[4:]
        self.runner.start(TaskKind.AUDIO_LAB, fn, *args,
                          on_result=lambda result: self._on_task_finished(serial, result, on_result),
                          on_error=lambda message: self._on_task_failed(serial, message),
                          on_progress=lambda p: serial == self._serial and self.progress.emit(p))

    def _device(self) -> str:
        """The device heavy runs use: the best the scan finds, GPU first (worker: imports torch)."""
        if self.device is None:
            self.device = next(iter(scan_devices()), "cpu")
        return self.device

    # -- state ----------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.runner.is_running(TaskKind.AUDIO_LAB)

    def cancel(self) -> None:
        """Stop the task in progress; its result is dropped and ``cancelled`` is emitted."""
        if self.is_running():
            self._serial += 1
            self.runner.cancel(TaskKind.AUDIO_LAB)
            self.cancelled.emit()

    def shutdown(self) -> None:
        """On close: cancel, drop the models, and emit nothing more."""
        self._closed = True
        self._serial += 1
        self.runner.cancel(TaskKind.AUDIO_LAB)
        self.pool.clear()

    # -- reports ----------------------------------------------------------------------------------
    def _report(self, serial: int, fraction: float) -> None:  # worker thread
        if serial == self._serial and not self._closed:
            try:
                self._reported.emit(serial, float(fraction))
            except RuntimeError:  # the service is gone: the window closed under the run
                pass

    def _on_reported(self, serial: int, fraction: float) -> None:
        if serial == self._serial and not self._closed:
            self.progress.emit(fraction)

    def _on_task_finished(self, serial: int, result, deliver: Callable[[Any], None]) -> None:
        freeze_heap()  # a first run loads torch and a model: keep them out of later full collections
        if serial == self._serial and not self._closed:
            deliver(result)

    def _on_task_failed(self, serial: int, message: str) -> None:
        if serial == self._serial and not self._closed:
            self.failed.emit(message)
