"""The mel spectrogram of the rendered score, drawn under the piano roll and aligned with it.

The x axis is in ticks, not seconds: :class:`app.services.spectrogram.SpectrogramService`
computes the spectrogram on a uniform tick grid (rendered with the player's
synth, in a worker), and this view only displays what it delivers.
:meth:`SpectrogramView.set_view` takes the piano roll's first visible tick and
ticks per pixel, and ``left_margin_px`` (the width of the roll's keyboard) is
the width of the frequency axis, so the same tick lands on the same x pixel in
both. The piano roll drives the view, so the mouse does nothing here. When
no spectrogram can be made (no SoundFont, no audio analysis library), the
reason is written across the view instead of leaving it blank.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

import pyqtgraph as pg  # after PySide6, so pyqtgraph binds to it

from app.core.score import Score
from app.services.spectrogram import FLOOR_DB, N_MELS, SpectrogramService, TickSpectrogram

HZ_LABELS = (50, 100, 200, 500, 1000, 2000, 5000, 10000)
PLAYHEAD_PEN = pg.mkPen((255, 255, 255), width=1)


class SpectrogramView(QWidget):
    """A pyqtgraph image of the score's mel spectrogram, in ticks, with a playhead."""

    computed = Signal()  # a spectrogram from the service is shown
    failed = Signal(str)  # the reason no spectrogram could be made is shown

    def __init__(self, service: SpectrogramService, parent: QWidget | None = None, left_margin_px: int = 0) -> None:
        super().__init__(parent)
        self.service = service
        self._result: tuple[np.ndarray, np.ndarray] | None = None
        self._first_tick, self._tpp = 0.0, 4.0
        self._build(left_margin_px)
        service.spectrogram_ready.connect(self._on_service_spectrogram_ready)
        service.failed.connect(self._on_service_failed)

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
        self.notice = QLabel(self)  # the reason there is no spectrogram, over the plot
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setStyleSheet("color: #ddd; background: rgba(12, 8, 20, 200); padding: 8px;")
        self.notice.hide()
        self.set_left_margin(left_margin_px)

    # -- public API -------------------------------------------------------------
    def set_left_margin(self, pixels: int) -> None:
        """Width of the frequency axis: the piano roll's keyboard width, so ticks line up."""
        axis = self.plot.getPlotItem().getAxis("left")
        self.plot.getPlotItem().showAxis("left", int(pixels) > 0)
        axis.setWidth(int(pixels))
        self._margin = int(pixels)
        self._apply_view()

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

    def message(self) -> str:
        """The reason shown instead of a spectrogram ('' while one is shown)."""
        return self.notice.text() if not self.notice.isHidden() else ""

    def tick_to_x(self, tick: float) -> float:
        """The x pixel of ``tick`` in this widget, through pyqtgraph's own mapping (for tests and overlays)."""
        scene = self.viewbox.mapViewToScene(QPointF(float(tick), 0.0))
        return float(self.plot.mapTo(self, self.plot.mapFromScene(scene)).x())

    # -- display ----------------------------------------------------------------
    def _apply_view(self) -> None:
        width = max(self.viewbox.width(), 1.0)
        self.viewbox.setXRange(self._first_tick, self._first_tick + width * self._tpp, padding=0)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self.notice.setGeometry(self.rect())

    def show_reason(self, message: str) -> None:
        """Write why there is no spectrogram across the view (it stays until the next one is shown)."""
        self._result = None
        self.image.clear()
        self.notice.setText(message)
        self.notice.setGeometry(self.rect())
        self.notice.show()
        self.notice.raise_()

    def _on_service_failed(self, message: str) -> None:
        self.show_reason(message)
        self.failed.emit(message)

    def _on_service_spectrogram_ready(self, score: Score, result: TickSpectrogram | None) -> None:
        self.notice.hide()
        if result is None:
            self._result = None
            self.image.clear()
        else:
            db, grid = result.db, result.ticks
            self._result = (db, grid)
            step = grid[1] - grid[0] if len(grid) > 1 else 1.0
            self.image.setImage(db, levels=(FLOOR_DB, 0.0), autoLevels=False)
            self.image.setRect(QRectF(0.0, 0.0, len(grid) * step, db.shape[0]))
            self._label_hz(result.freqs)
        self._apply_view()
        self.computed.emit()

    def _label_hz(self, freqs: np.ndarray) -> None:
        """Frequency labels at the mel bands holding them."""
        bands = np.arange(len(freqs)) + 0.5
        ticks = [(float(np.interp(hz, freqs, bands)), f"{hz // 1000}k" if hz >= 1000 else str(hz))
                 for hz in HZ_LABELS if freqs[0] <= hz <= freqs[-1]]
        self.plot.getPlotItem().getAxis("left").setTicks([ticks])
