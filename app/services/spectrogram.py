"""The score's mel spectrogram on a tick grid, computed in a worker with the player's synth.

:class:`SpectrogramService` renders the score with the player's long-lived
Synth (the application's one FluidSynth, its SoundFont loaded once), at the
rate playback uses, and turns the audio into a mel spectrogram resampled onto
a uniform tick grid through the tempo map, so a tempo change keeps every note
under its spectrum. Requests are debounced after edits and a newer one cancels
the one under way. The render gives way to playback: when a render that
cannot wait (play, a key preview) asks for the synth, this one stops, lets it
go first and starts again afterwards. QtCore only:
:class:`app.ui.spectrogram_view.SpectrogramView` displays the results.
"""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import AudioError, SoundFontError
from app.core.score import Score
from app.core.timing import TempoMap
from app.services.player import Player
from app.tasks import TaskKind, TaskRunner

DEBOUNCE_MS = 500
ANALYSIS_RATE = 22050  # audio is decimated to about this rate before the transform: half the work of 44.1 kHz
MAX_HZ = 11025.0  # the top of the highest mel band: enough to see the music
N_MELS = 128
FLOOR_DB = -80.0
MAX_COLUMNS = 20000
BLOCK_FRAMES = 8192


@dataclass(frozen=True)
class TickSpectrogram:
    """A mel spectrogram on a tick grid."""

    db: np.ndarray  # (n_mels, columns) float32, FLOOR_DB..0 dB (0 dB: the loudest bin)
    ticks: np.ndarray  # (columns,) start tick of each column, evenly spaced from 0
    freqs: np.ndarray  # (n_mels,) centre Hz of each band, lowest first


@dataclass(frozen=True)
class NoSoundFont:
    """No spectrogram can be made: there is no SoundFont to render with (``reason`` says what to install)."""

    reason: str


def tick_grid(end_tick: float, ppq: int) -> np.ndarray:
    """Column start ticks from 0 to ``end_tick``: 1/48 of a beat apart (coarser for long pieces)."""
    step = max(1, ppq // 48)
    step = max(step, int(np.ceil(end_tick / MAX_COLUMNS)))
    return np.arange(0, max(end_tick, step), step, dtype=np.float64)


def spectrogram_on_ticks(score: Score, audio: np.ndarray, sample_rate: float,
                         n_mels: int = N_MELS) -> TickSpectrogram:
    """The mel spectrogram (0 to ``MAX_HZ``) of ``audio`` rendered from ``score``, one column per grid tick."""
    from app.audio.spectrum import mel_spectrogram

    spec = mel_spectrogram(audio, sample_rate, n_mels=n_mels, fmax=MAX_HZ)
    tempo = TempoMap(score)
    grid = tick_grid(tempo.tick(len(audio) / sample_rate), score.ppq)  # (columns,)
    step = grid[1] - grid[0] if len(grid) > 1 else 1.0
    centres = tempo.seconds_array(grid + step / 2)  # (columns,) seconds
    db = np.full((n_mels, len(grid)), FLOOR_DB, dtype=np.float32)
    if spec.db.shape[1]:
        frame_step = spec.times[1] - spec.times[0] if len(spec.times) > 1 else 1.0
        frames = np.rint((centres - spec.times[0]) / frame_step).astype(np.int64)  # nearest frame
        inside = (frames >= 0) & (frames < spec.db.shape[1])
        db[:, inside] = np.maximum(spec.db[:, frames[inside]], FLOOR_DB)
    return TickSpectrogram(db, grid, spec.freqs)


def render_mono(synth, score: Score, cancelled: Callable[[], bool]) -> np.ndarray | None:
    """``score`` rendered by the shared ``synth`` as float32 mono (samples,); None when cancelled.

    Between blocks it gives way to a render that cannot wait (playback): it
    stops, waits until that one holds the synth, and starts again.
    """
    while True:
        blocks: list[np.ndarray] = []
        renderer = synth.render_blocks(score, BLOCK_FRAMES, cancelled=cancelled)
        try:
            for block in renderer:  # (frames, 2)
                if cancelled() or synth.contended:
                    break
                blocks.append(block.mean(axis=1))
            else:
                return None if cancelled() else np.concatenate(blocks or [np.zeros(0, np.float32)])
        finally:
            renderer.close()
        while synth.contended and not cancelled():
            time.sleep(0.01)
        if cancelled():
            return None


def decimate(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """(``audio`` at an integer fraction of ``sample_rate`` no lower than ``ANALYSIS_RATE``, its rate)."""
    factor = max(1, int(sample_rate) // ANALYSIS_RATE)
    if factor == 1 or len(audio) == 0:
        return audio, float(sample_rate)
    from scipy.signal import resample_poly

    return resample_poly(audio, 1, factor).astype(np.float32), sample_rate / factor


def _torch_importing() -> bool:
    """True while another thread is importing torch (it is in sys.modules, half made)."""
    module = sys.modules.get("torch")
    return module is not None and bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def compute_spectrogram(synth_at: Callable[[int], object], rate: int, score: Score,
                        cancelled: Callable[[], bool]) -> TickSpectrogram | NoSoundFont | None:
    """Render ``score`` with ``synth_at(rate)`` and transform it (worker thread); None when cancelled.

    Without a SoundFont the answer is :class:`NoSoundFont`, a state of the machine the view explains,
    not a failure of the computation.

    scipy's array checks (so librosa's) read ``torch.Tensor`` whenever torch is
    in ``sys.modules``, and fail while a model worker is still importing it:
    the transform waits for such an import (importing a module another thread
    is importing waits for it) and runs again if one began under it.
    """
    try:
        synth = synth_at(rate)
    except SoundFontError as exc:
        return NoSoundFont(str(exc))
    audio = render_mono(synth, score, cancelled)
    if audio is None:
        return None

    def transform() -> TickSpectrogram:
        if _torch_importing():
            importlib.import_module("torch")  # waits for the other thread's import to finish
        return spectrogram_on_ticks(score, *decimate(audio, synth.sample_rate))

    try:
        try:
            return transform()
        except AttributeError:
            if "torch" not in sys.modules:
                raise
            return transform()  # torch began to import under it
    except (ImportError, RuntimeError) as exc:
        raise AudioError(_analysis_failure(exc)) from None


def _analysis_failure(exc: ImportError | RuntimeError) -> str:
    """Why the audio analysis could not run, in one sentence (what else it could be is a bug: re-raised)."""
    if isinstance(exc, ImportError):
        return f"The audio analysis library ({exc.name or 'librosa'}) is not installed."
    if "cannot cache function" in str(exc):  # numba, under librosa, found no folder it may write
        return ("numba, which the audio analysis uses, cannot write its cache; "
                "set NUMBA_CACHE_DIR to a folder you can write.")
    raise exc


class SpectrogramService(QObject):
    """Computes the spectrogram of the latest score handed to :meth:`set_score`, with the player's synth."""

    spectrogram_ready = Signal(object, object)  # the Score, its TickSpectrogram (None: the score has no notes)
    failed = Signal(str)  # one sentence

    def __init__(self, runner: TaskRunner, player: Player, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner, self.player = runner, player
        self._pending: Score | None = None
        self._shown: Score | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._on_debounce_timeout)

    def set_score(self, score: Score) -> None:
        """Compute for ``score`` after a pause in the edits (a computation under way is cancelled then)."""
        self._pending = score
        self._debounce.start()

    def _on_debounce_timeout(self) -> None:
        score, self._pending = self._pending, None
        if score is None or score == self._shown:
            return
        if not score.note_count:
            self.runner.cancel(TaskKind.SPECTROGRAM)
            self._on_task_finished(score, None)
            return
        self.runner.start(TaskKind.SPECTROGRAM, compute_spectrogram, self.player.synth, self.player.playback_rate(),
                          score, on_result=lambda result, s=score: self._on_task_finished(s, result),
                          on_error=self._on_task_failed)

    def _on_task_finished(self, score: Score, result: TickSpectrogram | NoSoundFont | None) -> None:
        if isinstance(result, NoSoundFont):  # tried again after the next edit: one may be installed by then
            self.failed.emit(result.reason)
            return
        self._shown = score
        self.spectrogram_ready.emit(score, result)

    def _on_task_failed(self, message: str) -> None:
        self.failed.emit(f"The spectrogram could not be computed: {message}")
