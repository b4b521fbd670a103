"""The mel spectrogram of the rendered score, drawn under the piano roll and aligned with it.

The x axis is in ticks, not seconds: the spectrogram is resampled onto a
uniform tick grid through the tempo map, so a tempo change keeps every note
under its spectrum. :meth:`SpectrogramView.set_view` takes the piano roll's
first visible tick and ticks per pixel, and ``left_margin_px`` (the width of
the roll's keyboard) is the width of the frequency axis, so the same tick
lands on the same x pixel in both. Rendering (a Synth owned by this view,
made in the worker) and the mel transform run on the TaskRunner, debounced
after edits; the piano roll drives the view, so the mouse does nothing here.
"""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

import pyqtgraph as pg  # after PySide6, so pyqtgraph binds to it

from app.core.score import Score
from app.core.timing import TempoMap
from app.tasks import TaskRunner

DEBOUNCE_MS = 500
SAMPLE_RATE = 22050  # up to 11 kHz: enough to see the music, half the work of 44.1 kHz
N_MELS = 128
FLOOR_DB = -80.0
MAX_COLUMNS = 20000
HZ_LABELS = (50, 100, 200, 500, 1000, 2000, 5000, 10000)
PLAYHEAD_PEN = pg.mkPen((255, 255, 255), width=1)


def tick_grid(end_tick: float, ppq: int) -> np.ndarray:
    """Column start ticks from 0 to ``end_tick``: 1/48 of a beat apart (coarser for long pieces)."""
    step = max(1, ppq // 48)
    step = max(step, int(np.ceil(end_tick / MAX_COLUMNS)))
    return np.arange(0, max(end_tick, step), step, dtype=np.float64)


def spectrogram_on_ticks(score: Score, audio: np.ndarray, sample_rate: int,
                         n_mels: int = N_MELS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(db (n_mels, columns), column start ticks, band centre Hz) of ``audio`` rendered from ``score``."""
    from app.audio.spectrum import mel_spectrogram

    spec = mel_spectrogram(audio, sample_rate, n_mels=n_mels)
    tempo = TempoMap(score)
    grid = tick_grid(tempo.tick(len(audio) / sample_rate), score.ppq)  # (columns,)
    step = grid[1] - grid[0] if len(grid) > 1 else 1.0
    centres = tempo.seconds_array(grid + step / 2)  # (columns,) seconds
    if spec.db.shape[1] == 0:
        return np.full((n_mels, len(grid)), FLOOR_DB, np.float32), grid, spec.freqs
    frame_step = spec.times[1] - spec.times[0] if len(spec.times) > 1 else 1.0
    frames = np.rint((centres - spec.times[0]) / frame_step).astype(np.int64)  # nearest frame
    inside = (frames >= 0) & (frames < spec.db.shape[1])
    db = np.full((n_mels, len(grid)), FLOOR_DB, dtype=np.float32)
    db[:, inside] = np.maximum(spec.db[:, frames[inside]], FLOOR_DB)
    return db, grid, spec.freqs


class SpectrogramView(QWidget):
    """A pyqtgraph image of the score's mel spectrogram, in ticks, with a playhead."""

    computed = Signal()
    status_message = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None, left_margin_px: int = 0,
                 soundfont: str | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._soundfont = soundfont or None
        self._synth = None
        self._synth_lock = threading.Lock()
        self._pending: Score | None = None
        self._shown: Score | None = None
        self._result: tuple[np.ndarray, np.ndarray] | None = None
        self._first_tick, self._tpp = 0.0, 4.0
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self._build(left_margin_px)

    def _build(self, left_margin_px: int) -> None:
        self.plot = pg.PlotWidget(self, background=(12, 8, 20))
        self.plot.setFrameStyle(0)
        self.plot.setContentsMargins(0, 0, 0, 0)
        item = self.plot.getPlotItem()
        item.setContentsMargins(0, 0, 0, 0)
        item.layout.setContentsMargins(0, 0, 0, 0)
        item.layout.setHorizontalSpacing(0)
        item.layout.setVerticalSpacing(0)
        item.hideAxis("bottom")
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        self.viewbox = item.getViewBox()
        self.viewbox.setDefaultPadding(0.0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("magma"))
        item.addItem(self.image)
        self.playhead_line = pg.InfiniteLine(pos=0, angle=90, movable=False, pen=PLAYHEAD_PEN)
        item.addItem(self.playhead_line, ignoreBounds=True)
        self.viewbox.setYRange(0, N_MELS, padding=0)
        self.viewbox.sigResized.connect(self._apply_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.set_left_margin(left_margin_px)

    # -- public API -------------------------------------------------------------
    def set_left_margin(self, pixels: int) -> None:
        """Width of the frequency axis: the piano roll's keyboard width, so ticks line up."""
        axis = self.plot.getPlotItem().getAxis("left")
        self.plot.getPlotItem().showAxis("left", int(pixels) > 0)
        axis.setWidth(int(pixels))
        self._margin = int(pixels)
        self._apply_view()

    def set_soundfont(self, path: str | None) -> None:
        """Render with this SoundFont from the next computation on ('' or None: the usual search)."""
        self._soundfont = path or None

    def set_score(self, score: Score) -> None:
        """Recompute for ``score`` after a pause in the edits (cancels a computation under way)."""
        self._pending = score
        self._debounce.start()

    def set_view(self, first_tick: float, ticks_per_pixel: float) -> None:
        """Show ticks from ``first_tick`` at ``ticks_per_pixel``, exactly as the piano roll does."""
        self._first_tick, self._tpp = float(first_tick), max(float(ticks_per_pixel), 1e-6)
        self._apply_view()

    def set_playhead(self, tick: int | float) -> None:
        self.playhead_line.setValue(float(tick))

    def playhead(self) -> float:
        return float(self.playhead_line.value())

    def spectrogram(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(db (n_mels, columns), start tick of each column) as shown, or None before the first one."""
        return self._result

    def tick_to_x(self, tick: float) -> float:
        """The x pixel of ``tick`` in this widget, through pyqtgraph's own mapping (for tests and overlays)."""
        scene = self.viewbox.mapViewToScene(QPointF(float(tick), 0.0))
        return float(self.plot.mapTo(self, self.plot.mapFromScene(scene)).x())

    def shutdown(self) -> None:
        """Free this view's synthesizer (call after the runner has shut down)."""
        with self._synth_lock:
            if self._synth is not None:
                self._synth.close()
                self._synth = None

    # -- work -------------------------------------------------------------------
    def _apply_view(self) -> None:
        width = max(self.viewbox.width(), 1.0)
        self.viewbox.setXRange(self._first_tick, self._first_tick + width * self._tpp, padding=0)

    def _on_debounce_timeout(self) -> None:
        score, self._pending = self._pending, None
        if score is None or score == self._shown:
            return
        if not score.note_count:
            self._runner.cancel("spectrogram")
            self._show(score, None)
            return
        self._runner.start("spectrogram", self._compute, score, self._soundfont,
                           on_result=lambda result, s=score: self._show(s, result),
                           on_error=self._on_task_failed)

    def _compute(self, score: Score, soundfont: str | None, cancelled) -> tuple | None:
        """Render ``score`` and transform it (worker thread); None when cancelled."""
        from app.audio.synth import Synth

        with self._synth_lock:
            if self._synth is not None and self._soundfont_changed(soundfont):
                self._synth.close()
                self._synth = None
            if self._synth is None:
                self._synth = Synth(soundfont, sample_rate=SAMPLE_RATE)
            blocks = []
            renderer = self._synth.render_blocks(score, block_frames=8192)
            try:
                for block in renderer:
                    if cancelled():
                        return None
                    blocks.append(block)
            finally:
                renderer.close()
        audio = np.concatenate(blocks) if blocks else np.zeros((0, 2), np.float32)
        return spectrogram_on_ticks(score, audio, SAMPLE_RATE)

    def _soundfont_changed(self, soundfont: str | None) -> bool:
        from app.audio.soundfonts import find_soundfont

        return self._synth.soundfont != find_soundfont(soundfont)

    def _show(self, score: Score, result: tuple | None) -> None:
        self._shown = score
        if result is None:
            self._result = None
            self.image.clear()
        else:
            db, grid, freqs = result
            self._result = (db, grid)
            step = grid[1] - grid[0] if len(grid) > 1 else 1.0
            self.image.setImage(db, levels=(FLOOR_DB, 0.0), autoLevels=False)
            self.image.setRect(QRectF(0.0, 0.0, len(grid) * step, db.shape[0]))
            self._label_hz(freqs)
        self._apply_view()
        self.computed.emit()

    def _label_hz(self, freqs: np.ndarray) -> None:
        """Frequency labels at the mel bands holding them."""
        bands = np.arange(len(freqs)) + 0.5
        ticks = [(float(np.interp(hz, freqs, bands)), f"{hz // 1000}k" if hz >= 1000 else str(hz))
                 for hz in HZ_LABELS if freqs[0] <= hz <= freqs[-1]]
        self.plot.getPlotItem().getAxis("left").setTicks([ticks])

    def _on_task_failed(self, message: str) -> None:
        self.status_message.emit(f"The spectrogram could not be computed: {message}")
