"""Painting of the note view's background: pitch rows and the bar/beat/snap grid.

Called from ``NoteView.drawBackground`` for the exposed rectangle only (in
scene units: ticks across, rows down); the view caches the result
(``CacheBackground``), so scrolling paints only the newly exposed strip.
Lines closer than a few pixels are left out, so a zoomed-out view stays calm.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

from app.ui.pianoroll import style
from app.ui.pianoroll.grid import BarSpan, bars_between
from app.ui.pianoroll.scene import ROWS

MIN_BAR_PX, MIN_BEAT_PX, MIN_STEP_PX, MIN_ROW_PX = 6.0, 6.0, 7.0, 6.0


def paint_rows(painter: QPainter, rect: QRectF, row_px: float) -> None:
    """Row backgrounds (black keys darker) and the lines between rows (octaves lighter)."""
    painter.fillRect(rect, style.BACKGROUND)
    r0, r1 = max(0, math.floor(rect.top())), min(ROWS - 1, math.ceil(rect.bottom()))
    x0, width = rect.left(), rect.width()
    for row in range(r0, r1 + 1):
        if style.is_black(ROWS - 1 - row):
            painter.fillRect(QRectF(x0, row, width, 1.0), style.BLACK_ROW)
    rows, octaves = [], []
    for row in range(r0, r1 + 2):
        line = QLineF(x0, row, rect.right(), row)
        if (ROWS - row) % 12 == 0:  # the line under a C
            octaves.append(line)
        elif row_px >= MIN_ROW_PX:
            rows.append(line)
    if rows:
        painter.setPen(style.cosmetic(style.ROW_LINE))
        painter.drawLines(rows)
    if octaves:
        painter.setPen(style.cosmetic(style.OCTAVE_LINE))
        painter.drawLines(octaves)


def grid_lines(spans: list[BarSpan], x0: float, x1: float, tpp: float, step: int) -> tuple[list, list, list]:
    """Ticks of the bar, beat and snap lines in ``[x0, x1]`` that are far enough apart to draw."""
    bars, beats, steps = [], [], []
    for number, start, span in bars_between(spans, x0, x1):
        bar_px = span.bar / tpp
        every = 1 if bar_px >= MIN_BAR_PX else 2 ** math.ceil(math.log2(MIN_BAR_PX / bar_px))
        if (number - span.number) % every == 0:
            bars.append(start)
        if span.beat / tpp >= MIN_BEAT_PX:
            beats += range(start + span.beat, start + span.bar, span.beat)
        if step > 1 and step / tpp >= MIN_STEP_PX and step < span.beat:
            first = -(-start // step) * step
            steps += (t for t in range(first, start + span.bar, step) if (t - start) % span.beat)
    return bars, beats, steps


def paint_grid(painter: QPainter, rect: QRectF, spans: list[BarSpan], tpp: float, step: int) -> None:
    """Vertical lines: snap steps subtle, beats lighter, bars lightest."""
    top, bottom = max(0.0, rect.top()), min(float(ROWS), rect.bottom())
    bars, beats, steps = grid_lines(spans, rect.left(), rect.right(), tpp, step)
    for ticks, color in ((steps, style.SUBGRID_LINE), (beats, style.BEAT_LINE), (bars, style.BAR_LINE)):
        lines = [QLineF(t, top, t, bottom) for t in ticks if rect.left() - 1 <= t <= rect.right() + 1]
        if lines:
            painter.setPen(style.cosmetic(color))
            painter.drawLines(lines)
