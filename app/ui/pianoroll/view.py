"""The note view: a QGraphicsView over the note scene, with zoom, scroll and mouse tools.

The scene is in ticks and rows; this view's transform scales it to
``1 / ticks_per_pixel`` across and ``row_px`` down, so zooming touches no item.
Mapping helpers (``tick_to_x``, ``pitch_to_y`` ...) work in viewport pixels
(floats), which the ruler, keyboard, velocity lane and tests share. Mouse
gestures (draw, move, resize, rubber band, erase, pan) live in ``gestures.py``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QPainter, QTransform
from PySide6.QtWidgets import QFrame, QGraphicsView

from app.document import Document

from app.ui.pianoroll import gestures, style
from app.ui.pianoroll.grid import Grid, bar_spans
from app.ui.pianoroll.painting import paint_grid, paint_rows
from app.ui.pianoroll.scene import ROWS, NoteScene, row_of

TOOLS = ("draw", "select", "erase")
DEFAULT_BEAT_PX, MIN_BEAT_PX, MAX_BEAT_PX = 64.0, 2.0, 2000.0
DEFAULT_ROW_PX, MIN_ROW_PX, MAX_ROW_PX = 14.0, 5.0, 48.0


class NoteView(QGraphicsView):
    """Shows and edits the notes; owns wheel and mouse handling."""

    view_changed = Signal(float, float)  # first visible tick, ticks per pixel
    rows_changed = Signal()  # vertical scroll or zoom
    context_menu_requested = Signal(QPoint)  # global position: a right-click on empty space, or the Menu key

    def __init__(self, doc: Document, grid: Grid, parent=None) -> None:
        self.doc, self.grid = doc, grid
        self.note_scene = NoteScene(doc)
        super().__init__(self.note_scene, parent)
        self.note_scene.setParent(self)
        self.tool = "draw"
        self.last_velocity = 90
        self.loop: tuple[int, int] | None = None
        self.gesture: gestures.Gesture | None = None
        self.tpp = doc.score.ppq / DEFAULT_BEAT_PX
        self.row_px = DEFAULT_ROW_PX
        self.spans = bar_spans(doc.score)
        self._ppq = doc.score.ppq
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._apply_transform()
        self.horizontalScrollBar().valueChanged.connect(self._on_hbar_value_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_vbar_value_changed)
        doc.meta_changed.connect(self._on_doc_meta_changed)
        doc.score_reset.connect(self._on_doc_score_reset)

    # -- mapping (viewport pixels, floats) ----------------------------------------------
    def tick_to_x(self, tick: float) -> float:
        return self.viewportTransform().map(QPointF(tick, 0)).x()

    def x_to_tick(self, x: float) -> float:
        return self.viewportTransform().inverted()[0].map(QPointF(x, 0)).x()

    def pitch_to_y(self, pitch: int) -> float:
        """Viewport y of the middle of ``pitch``'s row."""
        return self.viewportTransform().map(QPointF(0, row_of(pitch) + 0.5)).y()

    def y_to_pitch(self, y: float) -> int:
        row = math.floor(self.viewportTransform().inverted()[0].map(QPointF(0, y)).y())
        return max(0, min(ROWS - 1, ROWS - 1 - row))

    def to_scene(self, pos: QPointF) -> QPointF:
        return self.viewportTransform().inverted()[0].map(QPointF(pos))

    def first_tick(self) -> float:
        return self.x_to_tick(0.0)

    # -- zoom and scroll ------------------------------------------------------------------
    def _apply_transform(self) -> None:
        self.setTransform(QTransform.fromScale(1.0 / self.tpp, self.row_px))

    def zoom_horizontal(self, factor: float, anchor_x: float | None = None) -> None:
        """Zoom in (``factor`` > 1) or out across, keeping the tick under ``anchor_x`` in place."""
        ppq = self.doc.score.ppq
        tpp = min(ppq / MIN_BEAT_PX, max(ppq / MAX_BEAT_PX, self.tpp / factor))
        if tpp == self.tpp:
            return
        anchor_x = self.viewport().width() / 2 if anchor_x is None else anchor_x
        tick = self.x_to_tick(anchor_x)
        self.tpp = tpp
        self._apply_transform()
        bar = self.horizontalScrollBar()
        bar.setValue(bar.value() + round(self.tick_to_x(tick) - anchor_x))
        self._emit_view_changed()

    def zoom_vertical(self, factor: float, anchor_y: float | None = None) -> None:
        """Taller (``factor`` > 1) or shorter rows, keeping the row under ``anchor_y`` in place."""
        row_px = min(MAX_ROW_PX, max(MIN_ROW_PX, self.row_px * factor))
        if row_px == self.row_px:
            return
        anchor_y = self.viewport().height() / 2 if anchor_y is None else anchor_y
        row = self.to_scene(QPointF(0, anchor_y)).y()
        self.row_px = row_px
        self._apply_transform()
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + round(self.viewportTransform().map(QPointF(0, row)).y() - anchor_y))
        self.rows_changed.emit()

    def scroll_to_tick(self, tick: float) -> None:
        """Scroll so ``tick`` is at the left edge (as far as the scroll range allows)."""
        bar = self.horizontalScrollBar()
        bar.setValue(bar.value() + round(self.tick_to_x(tick)))

    def center_pitch(self, pitch: int) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + round(self.pitch_to_y(pitch) - self.viewport().height() / 2))

    def wheelEvent(self, event) -> None:
        mods = event.modifiers()
        dx, dy = event.angleDelta().x(), event.angleDelta().y()
        delta = dy or dx
        if not delta:
            return
        if mods & Qt.KeyboardModifier.ControlModifier:
            self.zoom_horizontal(1.2 ** (delta / 120), event.position().x())
        elif mods & Qt.KeyboardModifier.ShiftModifier:
            self.zoom_vertical(1.15 ** (delta / 120), event.position().y())
        elif mods & Qt.KeyboardModifier.AltModifier or (dx and not dy):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - round(delta / 120 * self.viewport().width() / 8))
        else:
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() - round(delta / 120 * 3 * self.row_px))
        event.accept()

    def _emit_view_changed(self) -> None:
        self.view_changed.emit(self.first_tick(), self.tpp)

    @Slot(int)
    def _on_hbar_value_changed(self, _value: int) -> None:
        self._emit_view_changed()

    @Slot(int)
    def _on_vbar_value_changed(self, _value: int) -> None:
        self.rows_changed.emit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._emit_view_changed()
        self.rows_changed.emit()

    @Slot()
    def _on_doc_meta_changed(self) -> None:
        self.spans = bar_spans(self.doc.score)
        self.refresh_grid()

    @Slot()
    def _on_doc_score_reset(self) -> None:
        ppq = self.doc.score.ppq
        if ppq != self._ppq:  # keep the same pixels per beat
            self.tpp *= ppq / self._ppq
            self._ppq = ppq
            self._apply_transform()
        self._on_doc_meta_changed()
        self._emit_view_changed()

    # -- painting -------------------------------------------------------------------------
    def refresh_grid(self) -> None:
        """Repaint the cached grid (snap, meter or loop changed)."""
        self.resetCachedContent()
        self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        paint_rows(painter, rect, self.row_px)
        step = self.grid.step() if self.grid.name != "off" else 0
        paint_grid(painter, rect, self.spans, self.tpp, step)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self.loop is None:
            return
        start, end = self.loop
        loop = QRectF(start, 0, end - start, ROWS).intersected(rect)
        if not loop.isEmpty():
            painter.fillRect(loop, style.LOOP_FILL)

    def set_loop(self, region: tuple[int, int] | None) -> None:
        self.loop = region
        self.viewport().update()

    def set_playhead(self, tick: int) -> None:
        self.note_scene.playhead.setPos(tick, 0)

    # -- mouse ------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self.gesture is None:
            self.gesture = gestures.start(self, event)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self.gesture is not None:
            self.gesture.move(event)
        else:
            self.viewport().setCursor(gestures.hover_cursor(self, event.position()))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self.gesture is not None and event.button() == self.gesture.button:
            gesture, self.gesture = self.gesture, None
            gesture.release(event)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        gestures.double_click(self, event)
        event.accept()

    def contextMenuEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """The Menu key opens the context menu; a right-click is the erase gesture's to decide."""
        if event.reason() != event.Reason.Mouse:
            self.context_menu_requested.emit(event.globalPos())
        event.accept()
