"""A live plot of training and validation loss against the step (pyqtgraph)."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

import pyqtgraph as pg  # after PySide6, so pyqtgraph binds to it

TRAIN_PEN = pg.mkPen("#4fa3e0", width=2)
VALID_PEN = pg.mkPen("#f2a63b", width=2)


class LossPlot(QWidget):
    """Training loss at every report, validation loss at every evaluation; the x axis is the step."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss (nats per token)")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setMinimumHeight(160)
        self.train_curve = self.plot.plot([], [], pen=TRAIN_PEN, name="training")
        self.valid_curve = self.plot.plot([], [], pen=VALID_PEN, symbol="o", symbolSize=6,
                                          symbolBrush="#f2a63b", name="validation")
        self.train: list[tuple[int, float]] = []
        self.valid: list[tuple[int, float]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def clear(self) -> None:
        """No points, and axes that forget the last run (its range, and any zoom or pan): a new run's own."""
        self.train.clear()
        self.valid.clear()
        self._redraw()
        view = self.plot.getViewBox()
        view.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        view.enableAutoRange()

    def add(self, progress: dict) -> None:
        """Add one progress report (the JSON form of ``TrainProgress``); reports without losses are skipped."""
        step = progress.get("step")
        if not step:
            return
        if progress.get("train_loss") is not None:
            self._put(self.train, step, progress["train_loss"])
        if progress.get("valid_loss") is not None:
            self._put(self.valid, step, progress["valid_loss"])
        self._redraw()

    def set_history(self, history: list) -> None:
        """Show a resumed run's past: ``[step, mean training loss, validation loss]`` per evaluation."""
        self.clear()
        for step, train, valid in history:
            if train is not None:
                self.train.append((int(step), float(train)))
            if valid is not None:
                self.valid.append((int(step), float(valid)))
        self._redraw()

    @staticmethod
    def _put(points: list[tuple[int, float]], step: int, value: float) -> None:
        while points and points[-1][0] >= step:  # a resumed run repeats no step, but a restart may
            points.pop()
        points.append((int(step), float(value)))

    def _redraw(self) -> None:
        for curve, points in ((self.train_curve, self.train), (self.valid_curve, self.valid)):
            curve.setData([p[0] for p in points], [p[1] for p in points])
