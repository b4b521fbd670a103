"""One clip in the Audio Lab: its name, its mel spectrogram with a playhead, Play and Save.

The spectrogram is drawn as the score's spectrogram view draws its own
(pyqtgraph's ImageItem, 'magma', 0 dB at the loudest bin down to the same
floor), but across seconds: a clip is sound, not ticks.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

import pyqtgraph as pg  # after PySide6, so pyqtgraph binds to it

from app.services.audio_lab import Shown
from app.services.spectrogram import FLOOR_DB
from app.ui.generation.boxes import STRETCH, column, row
from app.ui.spectrogram_view import PLAYHEAD_PEN

HEIGHT_PX = 110


class ClipView(QWidget):
    """A clip's spectrogram (seconds across, mel bands up) with a playhead, and its Play and Save buttons."""

    play_requested = Signal()
    save_requested = Signal()

    def __init__(self, shown: Shown, parent: QWidget | None = None, saveable: bool = True) -> None:
        super().__init__(parent)
        self.shown = shown
        clip = shown.clip
        self.title = QLabel(f"{clip.name} — {clip.seconds:.2f} s at {clip.sample_rate} Hz")
        self.title.setWordWrap(True)
        self.plot = pg.PlotWidget(self, background=(12, 8, 20))
        self.plot.setMinimumHeight(HEIGHT_PX)
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("magma"))
        item.addItem(self.image)
        self.playhead_line = pg.InfiniteLine(pos=0, angle=90, movable=False, pen=PLAYHEAD_PEN)
        item.addItem(self.playhead_line, ignoreBounds=True)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.clicked.connect(lambda: self.play_requested.emit())
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save this clip as a WAV or FLAC file")
        self.save_button.clicked.connect(lambda: self.save_requested.emit())
        self.save_button.setVisible(saveable)
        column(self.title, (self.plot, 1), row(self.play_button, self.save_button, STRETCH), parent=self)
        self._draw()

    def _draw(self) -> None:
        spec = self.shown.spectrogram
        db = np.maximum(spec.db, FLOOR_DB)  # (n_mels, frames)
        seconds = max(self.shown.clip.seconds, 1e-3)
        if db.shape[1]:
            self.image.setImage(db, levels=(FLOOR_DB, 0.0), autoLevels=False)
            self.image.setRect(QRectF(0.0, 0.0, seconds, db.shape[0]))
        self.plot.getPlotItem().getViewBox().setRange(xRange=(0, seconds), yRange=(0, max(db.shape[0], 1)),
                                                      padding=0)

    def spectrogram(self) -> np.ndarray | None:
        """The dB image shown (n_mels, frames), or None when there is none."""
        image = self.image.image
        return None if image is None else np.asarray(image)

    def set_playhead(self, seconds: float) -> None:
        self.playhead_line.setValue(float(seconds))

    def playhead(self) -> float:
        return float(self.playhead_line.value())

    def set_playing(self, on: bool) -> None:
        self.play_button.setChecked(on)
        self.play_button.setText("Stop" if on else "Play")
        if not on:
            self.set_playhead(0.0)
