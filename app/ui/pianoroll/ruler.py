"""The bar/beat ruler above the notes: bar numbers, the loop region and the playhead.

A left click (or drag) places the playhead on the grid; Shift+drag or a
right-drag sets the loop region; a left drag on a loop edge moves that edge; a
right click without a drag clears the loop. The wheel zooms across.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QPainter, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.ui.pianoroll import style
from app.ui.pianoroll.grid import bars_between

EDGE_PX = 5.0


class Ruler(QWidget):
    """Paints bars and beats over the note view's horizontal mapping."""

    playhead_moved = Signal(int)  # placed by the user, snapped
    loop_changed = Signal(object)  # (start, end) or None

    def __init__(self, view, parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.playhead = 0
        self.loop: tuple[int, int] | None = None
        self._drag: str | None = None  # "playhead", "loop", "start", "end"
        self._anchor = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() * 2 + 6)
        self.setMouseTracking(True)
        view.view_changed.connect(self._on_view_view_changed)
        view.doc.meta_changed.connect(self.update)
        view.doc.score_reset.connect(self.update)

    @Slot(float, float)
    def _on_view_view_changed(self, _first: float, _tpp: float) -> None:
        self.update()

    def set_playhead(self, tick: int) -> None:
        old, self.playhead = self.view.tick_to_x(self.playhead), tick
        new = self.view.tick_to_x(tick)
        h = self.height()
        self.update(QRectF(min(old, new) - 8, 0, abs(new - old) + 16, h).toAlignedRect())

    def set_loop(self, region: tuple[int, int] | None) -> None:
        self.loop = region
        self.update()

    # -- painting ------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.RULER_BG)
        view, h = self.view, self.height()
        if self.loop is not None:
            x0, x1 = view.tick_to_x(self.loop[0]), view.tick_to_x(self.loop[1])
            painter.fillRect(QRectF(x0, h / 2, x1 - x0, h / 2), style.LOOP_RULER)
            painter.setPen(style.LOOP_EDGE)
            painter.drawLine(QPointF(x0, 0), QPointF(x0, h))
            painter.drawLine(QPointF(x1, 0), QPointF(x1, h))
        self._paint_bars(painter, h)
        painter.setPen(style.RULER_TICK)
        painter.drawLine(0, h - 1, self.width(), h - 1)
        self._paint_playhead(painter, h)

    def _paint_bars(self, painter: QPainter, h: int) -> None:
        view, fm = self.view, self.fontMetrics()
        first, last = view.x_to_tick(0), view.x_to_tick(self.width())
        label_px = fm.horizontalAdvance("8888") + 6
        spans = view.spans
        for number, start, span in bars_between(spans, first, last):
            x, bar_px = view.tick_to_x(start), span.bar / view.tpp
            every = 1 if bar_px >= label_px else 2 ** int(label_px / bar_px).bit_length()
            labelled = (number - 1) % every == 0
            painter.setPen(style.RULER_TEXT if labelled else style.RULER_TICK)
            if labelled or bar_px >= 6:
                painter.drawLine(QPointF(x, h * (0.25 if labelled else 0.6)), QPointF(x, h))
            if labelled:
                painter.drawText(QPointF(x + 3, fm.ascent() + 2), str(number))
            if span.beat / view.tpp >= 8:
                painter.setPen(style.RULER_TICK)
                for tick in range(start + span.beat, start + span.bar, span.beat):
                    bx = view.tick_to_x(tick)
                    painter.drawLine(QPointF(bx, h * 0.72), QPointF(bx, h))

    def _paint_playhead(self, painter: QPainter, h: int) -> None:
        x, s = self.view.tick_to_x(self.playhead), max(4.0, h / 5)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.PLAYHEAD)
        painter.drawPolygon(QPolygonF([QPointF(x - s, h - s * 1.6), QPointF(x + s, h - s * 1.6), QPointF(x, h)]))
        painter.fillRect(QRectF(x - 1, 0, 2, h), style.PLAYHEAD)

    # -- mouse ---------------------------------------------------------------------
    def _tick(self, x: float) -> int:
        return self.view.grid.round(self.view.x_to_tick(x))

    def _edge_at(self, x: float) -> str | None:
        if self.loop is None:
            return None
        for name, tick in (("start", self.loop[0]), ("end", self.loop[1])):
            if abs(self.view.tick_to_x(tick) - x) <= EDGE_PX:
                return name
        return None

    def mousePressEvent(self, event) -> None:
        x, button = event.position().x(), event.button()
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if button == Qt.MouseButton.RightButton or (button == Qt.MouseButton.LeftButton and shift):
            self._drag, self._anchor = "loop", self._tick(x)
        elif button == Qt.MouseButton.LeftButton:
            self._drag = self._edge_at(x) or "playhead"
            if self._drag == "playhead":
                self._place_playhead(x, always=True)

    def mouseMoveEvent(self, event) -> None:
        x = event.position().x()
        if self._drag is None:
            edge = self._edge_at(x)
            self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)
        elif self._drag == "playhead":
            self._place_playhead(x)
        elif self._drag == "loop":
            self._preview_loop(self._anchor, self._tick(x))
        else:
            start, end = self.loop
            if self._drag == "start":
                self._preview_loop(self._tick(x), end)
            else:
                self._preview_loop(start, self._tick(x))

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag == "loop" and self._tick(event.position().x()) == self._anchor:
            if event.button() == Qt.MouseButton.RightButton and self.loop is not None:
                self.set_loop(None)
                self.loop_changed.emit(None)
        elif drag in ("loop", "start", "end") and self.loop is not None:
            self.loop_changed.emit(self.loop)

    def _place_playhead(self, x: float, always: bool = False) -> None:
        tick = self._tick(max(0.0, x))
        if always or tick != self.playhead:
            self.set_playhead(tick)
            self.playhead_moved.emit(tick)

    def _preview_loop(self, a: int, b: int) -> None:
        if a != b:
            self.set_loop((min(a, b), max(a, b)))
            self.view.set_loop(self.loop)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.view.zoom_horizontal(1.2 ** (delta / 120), event.position().x())
        event.accept()
