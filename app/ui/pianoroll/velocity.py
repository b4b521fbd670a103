"""The velocity lane under the notes: one stem per note of the active track.

Taller and brighter means louder. Dragging sets the velocity of every stem the
mouse passes over (only selected notes when there is a selection), previewed
while dragging and pushed as ONE command on release.

On a drum track the lane names the drums: its corner label shows the GM drum of
the notes under the mouse (else of the selection, when it is one drum), and
the tooltip of a stem gives each note's drum (or pitch) and velocity.
"""

from __future__ import annotations

import bisect
from dataclasses import replace

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Slot
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.commands import NotesCommand
from app.core.drums import drum_name

from app.ui.pianoroll import style
from app.ui.pianoroll.keyboard import pitch_name

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
        self._hover_x: float | None = None  # the mouse's x while it hovers over the lane
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() * 5)
        view.view_changed.connect(self._on_view_view_changed)
        view.note_scene.note_selection_changed.connect(self.update)
        self.doc.changed.connect(self.update)
        self.doc.active_track_changed.connect(self._on_doc_active_track_changed)

    @Slot(int)
    def _on_doc_active_track_changed(self, _index: int) -> None:
        self._hover_x = None
        self.update()

    @Slot(float, float)
    def _on_view_view_changed(self, _first: float, _tpp: float) -> None:
        self.update()

    def _notes(self):
        score = self.doc.score
        return score.tracks[self.doc.active_track].notes if score.tracks else ()

    def _is_drum(self) -> bool:
        score = self.doc.score
        return bool(score.tracks) and score.tracks[self.doc.active_track].is_drum

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
        label = self.label_text()
        if label:
            painter.setPen(style.LANE_TEXT)
            painter.drawText(QRectF(PAD, 0, self.width() - 2 * PAD, self.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)

    # -- names ----------------------------------------------------------------------
    def note_name(self, pitch: int) -> str:
        """What the lane calls a note: its GM drum on a drum track, else its pitch name."""
        name = drum_name(pitch) if self._is_drum() else None
        return name if name is not None else pitch_name(pitch)

    def notes_at(self, x: float) -> list[int]:
        """Indexes of the active track's notes whose stems are nearest viewport ``x`` (within a few pixels)."""
        notes, indexes = self._notes(), self._visible(x - HIT_PX, x + HIT_PX)
        if not indexes:
            return []
        nearest = min(indexes, key=lambda i: abs(self.view.tick_to_x(notes[i].start) - x))
        start = notes[nearest].start
        return [i for i in indexes if notes[i].start == start]

    def label_text(self) -> str:
        """The corner label: on a drum track, the drums under the mouse, else the selection's one drum."""
        if not self._is_drum():
            return ""
        notes = self._notes()
        hovered = [] if self._hover_x is None else [notes[i] for i in self.notes_at(self._hover_x)]
        pitches = sorted({n.pitch for n in hovered}, reverse=True)
        if not pitches:
            pitches = sorted({i.note.pitch for i in self.view.note_scene.selected})
            if len(pitches) != 1:
                return ""
        return ", ".join(self.note_name(p) for p in pitches)

    def tooltip_text(self, x: float) -> str:
        """One line per note under viewport ``x``: its drum (or pitch) and velocity."""
        notes = self._notes()
        found = sorted((notes[i] for i in self.notes_at(x)), key=lambda n: -n.pitch)
        return "\n".join(f"{self.note_name(n.pitch)}: velocity {n.velocity}" for n in found)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_text(event.pos().x())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _set_hover(self, x: float | None) -> None:
        if x != self._hover_x:
            self._hover_x = x
            if self._is_drum():
                self.update()

    def leaveEvent(self, event) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

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
        elif not event.buttons():
            self._set_hover(event.position().x())

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
