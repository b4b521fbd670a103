"""The bar/beat ruler above the notes: bar numbers, the loop region, the playhead, and a lane of markers.

A left click (or drag) places the playhead on the grid; Shift+drag or a
right-drag sets the loop region; a left drag on a loop edge moves that edge; a
right click without a drag clears the loop. The wheel zooms across.

The lane at the bottom shows the tempo, meter and key changes as flags
(``marker_lane.py``). A double-click there adds a change (the marker editor,
``dialogs/marker_dialog.py``, asks which and what); a double-click on a flag
edits it; a drag moves it (a meter to the nearest bar line, a tempo or key to
the grid); a right-click on a flag offers Edit and Remove. Each is one
undoable command (``app.commands.MarkerEdit``); the opening changes at tick 0
can be edited but not moved or removed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QCursor, QPainter, QPolygonF
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolTip, QWidget

from app import commands
from app.core.errors import CadenzaError
from app.core.markers import snap_to_bar
from app.ui.dialogs.marker_dialog import MarkerDialog
from app.ui.pianoroll import marker_lane, style
from app.ui.pianoroll.grid import bars_between
from app.ui.pianoroll.marker_lane import Flag, Marker

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
        self._drag: str | None = None  # "playhead", "loop", "start", "end", "marker"
        self._anchor = 0
        self._moving: tuple[Marker, int] | None = None  # a dragged marker and where it would land
        self._grab = 0.0  # where the dragged flag was taken, from its stem
        self.marker_dialog: MarkerDialog | None = None  # the open marker editor (tests reach it here)
        self.marker_menu: QMenu | None = None
        self.bar_h = self.fontMetrics().height() * 2 + 6  # bars, beats and the loop above the lane
        self.lane_h = self.fontMetrics().height() + 4
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.bar_h + self.lane_h)
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
        view, h = self.view, self.bar_h
        if self.loop is not None:
            x0, x1 = view.tick_to_x(self.loop[0]), view.tick_to_x(self.loop[1])
            painter.fillRect(QRectF(x0, h / 2, x1 - x0, h / 2), style.LOOP_RULER)
            painter.setPen(style.LOOP_EDGE)
            painter.drawLine(QPointF(x0, 0), QPointF(x0, h))
            painter.drawLine(QPointF(x1, 0), QPointF(x1, h))
        self._paint_bars(painter, h)
        painter.setPen(style.RULER_TICK)
        painter.drawLine(0, h - 1, self.width(), h - 1)
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        marker_lane.paint(painter, self.flags(), self.height() - 1, self.fontMetrics(), self._moving_flag())
        self._paint_playhead(painter, self.height())

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
        flag = self.flag_at(x, event.position().y())
        if flag is not None and button == Qt.MouseButton.RightButton:
            self._show_marker_menu(flag.marker, event.globalPosition().toPoint())
        elif flag is not None and button == Qt.MouseButton.LeftButton and not shift:
            if flag.marker.tick != 0:  # the opening changes stay at the start
                self._drag, self._moving = "marker", (flag.marker, flag.marker.tick)
                self._grab = x - flag.x  # the flag keeps its place under the mouse
        elif button == Qt.MouseButton.RightButton or (button == Qt.MouseButton.LeftButton and shift):
            self._drag, self._anchor = "loop", self._tick(x)
        elif button == Qt.MouseButton.LeftButton:
            self._drag = self._edge_at(x) or "playhead"
            if self._drag == "playhead":
                self._place_playhead(x, always=True)

    def mouseMoveEvent(self, event) -> None:
        x = event.position().x()
        if self._drag is None:
            edge, flag = self._edge_at(x), self.flag_at(x, event.position().y())
            if flag is not None and flag.marker.tick != 0:
                self.setCursor(Qt.CursorShape.OpenHandCursor)  # a change that can be dragged
            else:
                self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)
        elif self._drag == "marker":
            marker = self._moving[0]
            self._moving = (marker, self._marker_tick(marker, x - self._grab))
            self.update()
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
        if drag == "marker":
            (marker, tick), self._moving = self._moving, None
            self.update()
            if tick != marker.tick:
                self._push(lambda: commands.move_marker_command(self.view.doc, marker.kind, marker.tick, tick))
        elif drag == "loop" and self._tick(event.position().x()) == self._anchor:
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

    def mouseDoubleClickEvent(self, event) -> None:
        x, y = event.position().x(), event.position().y()
        if event.button() != Qt.MouseButton.LeftButton or y < self.bar_h:
            return super().mouseDoubleClickEvent(event)
        self._drag = self._moving = None
        flag = self.flag_at(x, y)
        if flag is not None:
            self.edit_marker(flag.marker)
        else:
            self.add_marker(self._tick(max(0.0, x)))

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.view.zoom_horizontal(1.2 ** (delta / 120), event.position().x())
        event.accept()

    # -- markers -------------------------------------------------------------------
    def flags(self) -> list[Flag]:
        """The lane's flags as they are drawn now."""
        return marker_lane.lay_out(marker_lane.score_markers(self.view.doc.score), self.view.tick_to_x,
                                   self.fontMetrics(), self.bar_h, self.lane_h, self.width())

    def flag_at(self, x: float, y: float) -> Flag | None:
        return marker_lane.flag_at(self.flags(), x, y) if y >= self.bar_h else None

    def _moving_flag(self) -> Flag | None:
        if self._moving is None or self._moving[1] == self._moving[0].tick:
            return None
        marker, tick = self._moving
        moved = Marker(marker.kind, tick, marker.value)
        x = self.view.tick_to_x(tick)
        width = self.fontMetrics().horizontalAdvance(moved.label) + 8
        return Flag(moved, x, QRectF(x, self.bar_h + 1, width, self.lane_h - 2))

    def _marker_tick(self, marker: Marker, x: float) -> int:
        """Where ``marker`` dragged to ``x`` lands: a meter on the nearest bar line, the others on the grid."""
        tick = max(0.0, self.view.x_to_tick(x))
        if marker.kind == "meter":
            return snap_to_bar(self.view.doc.score, round(tick), ignore=marker.tick)
        return self.view.grid.round(tick)

    def add_marker(self, tick: int) -> None:
        """Open the editor for a new change at ``tick`` (starting from the values in force there)."""
        score = self.view.doc.score
        where = f"New change at {marker_lane.where_text(score, tick)}"
        self._open_dialog(MarkerDialog("tempo", marker_lane.values_at(score, tick), where, parent=self), tick, None)

    def edit_marker(self, marker: Marker) -> None:
        """Open the editor on ``marker`` (Remove offered unless it is an opening change)."""
        score = self.view.doc.score
        values = marker_lane.values_at(score, marker.tick) | {marker.kind: marker.value}
        where = f"{marker_lane.NOUNS[marker.kind]} change at {marker_lane.where_text(score, marker.tick)}"
        dialog = MarkerDialog(marker.kind, values, where, fixed=True, removable=marker.tick != 0, parent=self)
        self._open_dialog(dialog, marker.tick, marker)

    def _open_dialog(self, dialog: MarkerDialog, tick: int, marker: Marker | None) -> None:
        if self.marker_dialog is not None:
            self.marker_dialog.close()
        self.marker_dialog = dialog
        dialog.accepted.connect(lambda: self._on_marker_dialog_accepted(dialog, tick, marker))
        dialog.finished.connect(lambda _: self._forget_dialog(dialog))
        dialog.open()

    def _forget_dialog(self, dialog: MarkerDialog) -> None:
        if self.marker_dialog is dialog:
            self.marker_dialog = None
        dialog.deleteLater()

    def _on_marker_dialog_accepted(self, dialog: MarkerDialog, tick: int, marker: Marker | None) -> None:
        doc, kind = self.view.doc, dialog.kind()
        if dialog.removed:
            self.remove_marker(marker)
        elif marker is None or dialog.value() != marker.value:
            verb = "Add" if marker is None else "Edit"
            self._push(lambda: commands.set_marker_command(doc, kind, tick, dialog.value(), verb))

    def remove_marker(self, marker: Marker) -> None:
        self._push(lambda: commands.remove_marker_command(self.view.doc, marker.kind, marker.tick))

    def _show_marker_menu(self, marker: Marker, where) -> None:
        noun = marker_lane.NOUNS[marker.kind]
        menu = QMenu(self)
        menu.addAction(f"&Edit {noun} Change…", lambda: self.edit_marker(marker))
        remove = menu.addAction(f"&Remove {noun} Change", lambda: self.remove_marker(marker))
        remove.setEnabled(marker.tick != 0)
        if marker.tick == 0:
            remove.setToolTip(f"The opening {noun.lower()} can be changed but not removed")
        menu.aboutToHide.connect(menu.deleteLater)
        self.marker_menu = menu
        menu.popup(where)

    def _push(self, build) -> None:
        """Push the command ``build`` makes; a change the score cannot take says why where the mouse is."""
        try:
            command = build()
        except CadenzaError as err:
            QToolTip.showText(QCursor.pos(), str(err), self)
            return
        if command.after != command.before:
            self.view.doc.undo_stack.push(command)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            flag = self.flag_at(event.pos().x(), event.pos().y())
            if flag is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), marker_lane.tooltip(self.view.doc.score, flag.marker), self)
            return True
        return super().event(event)
