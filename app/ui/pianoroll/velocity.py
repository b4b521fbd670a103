"""The velocity lane under the notes: one stem per note of the active track.

Taller and brighter means louder. Dragging sets the velocity of every stem the
mouse passes over (only selected notes when there is a selection), previewed
while dragging and pushed as ONE command on release.
"""

from __future__ import annotations

import bisect
from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt, Slot
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.commands import NotesCommand

from app.ui.pianoroll import style

PAD = 4.0
HIT_PX = 4.0


class VelocityLane(QWidget):
    """Velocity stems over the note view's horizontal mapping."""

    def __init__(self, view, parent=None) -> None:
        super().__init__(parent)
        self.view, self.doc = view, view.doc
        self._preview: dict[int, int] = {}  # index in the track's notes -> velocity while dragging
        self._last_x: float | None = None
        self._starts: tuple = ((), [])  # (notes, their starts): cached for bisect
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() * 5)
        view.view_changed.connect(self._on_view_view_changed)
        view.note_scene.note_selection_changed.connect(self.update)
        self.doc.changed.connect(self.update)
        self.doc.active_track_changed.connect(self.update)

    @Slot(float, float)
    def _on_view_view_changed(self, _first: float, _tpp: float) -> None:
        self.update()

    def _notes(self):
        score = self.doc.score
        return score.tracks[self.doc.active_track].notes if score.tracks else ()

    def _visible(self, x0: float, x1: float) -> range:
        """Indexes of the active track's notes whose stems lie in ``[x0, x1]`` (notes are sorted by start)."""
        notes = self._notes()
        if self._starts[0] is not notes:
            self._starts = (notes, [n.start for n in notes])
        starts = self._starts[1]
        return range(bisect.bisect_left(starts, self.view.x_to_tick(x0)),
                     bisect.bisect_right(starts, self.view.x_to_tick(x1)))

    def velocity_to_y(self, velocity: int) -> float:
        return self.height() - PAD - (self.height() - 2 * PAD) * velocity / 127

    def y_to_velocity(self, y: float) -> int:
        return max(1, min(127, round((self.height() - PAD - y) / (self.height() - 2 * PAD) * 127)))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.LANE_BG)
        painter.setPen(style.LANE_LINE)
        for v in (32, 64, 96, 127):
            y = self.velocity_to_y(v)
            painter.drawLine(QPointF(0, y), QPointF(self.width(), y))
        notes, track = self._notes(), self.doc.active_track
        selected = {i.note for i in self.view.note_scene.selected}
        bottom = self.height() - PAD
        for index in self._visible(-HIT_PX, self.width() + HIT_PX):
            note = notes[index]
            velocity = self._preview.get(index, note.velocity)
            x, y = self.view.tick_to_x(note.start), self.velocity_to_y(velocity)
            color = style.track_color(track, velocity)
            painter.fillRect(QRectF(x, y, 2, bottom - y), color)
            cap = style.SELECTED_OUTLINE if note in selected else color
            painter.fillRect(QRectF(x - 2, y - 1, 6, 3), cap)

    # -- mouse --------------------------------------------------------------------
    def _targets(self, x0: float, x1: float) -> list[int]:
        indexes = self._visible(min(x0, x1) - HIT_PX, max(x0, x1) + HIT_PX)
        selected = {i.note for i in self.view.note_scene.selected}
        notes = self._notes()
        return [i for i in indexes if not selected or notes[i] in selected]

    def _paint_to(self, x: float, y: float) -> None:
        last = x if self._last_x is None else self._last_x
        velocity = self.y_to_velocity(y)
        for index in self._targets(last, x):
            self._preview[index] = velocity
        self._last_x = x
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._preview.clear()
            self._last_x = None
            self._paint_to(event.position().x(), event.position().y())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._last_x is not None:
            self._paint_to(event.position().x(), event.position().y())

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._last_x is None:
            return
        notes, preview = self._notes(), self._preview
        self._preview, self._last_x = {}, None
        changed = [i for i, v in preview.items() if notes[i].velocity != v]
        if changed:
            old = [notes[i] for i in changed]
            new = [replace(notes[i], velocity=preview[i]) for i in changed]
            self.view.last_velocity = new[-1].velocity
            text = "Set velocity" if len(old) == 1 else "Set velocities"
            self.doc.undo_stack.push(NotesCommand(self.doc, self.doc.active_track, old, new, text))
        self.update()
