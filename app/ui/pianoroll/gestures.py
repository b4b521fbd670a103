"""Mouse gestures of the note view: draw, move, resize, rubber band, erase, pan.

A right-click on a note erases it; on empty space (without a drag) it opens
the piano roll's context menu.

A gesture starts on a press, previews on moves (items moved on screen, the
score untouched) and pushes ONE command on release. Only the active track's
notes can be hit. Drawn notes snap to the grid. Notes keep their exact ticks
otherwise: a move or a resize goes by whole grid steps, so a note off the
grid (a played or humanized one) keeps its offset from it; with Shift held
it goes freely, tick by tick (Quantize, Q, puts notes on the grid). Pitches
move by semitones.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QSize, Qt
from PySide6.QtWidgets import QRubberBand

from app.commands import NotesCommand
from app.core.score import Note

from app.ui.pianoroll.scene import NoteItem

EDGE_PX = 6.0  # the right-edge zone that resizes
DRAG_PX = 3.0  # movement below this is a click, not a drag
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def hit(view, pos: QPointF) -> NoteItem | None:
    """The topmost editable note under viewport point ``pos``."""
    items = view.note_scene.active_items_at(view.to_scene(pos))
    return next((i for i in items if i.isVisible()), None)


def on_right_edge(view, item: NoteItem, pos: QPointF) -> bool:
    left, right = view.tick_to_x(item.note.start), view.tick_to_x(item.note.end)
    zone = min(EDGE_PX, (right - left) / 3)
    return right - zone <= pos.x() <= right + 1


def hover_cursor(view, pos: QPointF) -> Qt.CursorShape:
    """The cursor hint for the current tool at ``pos``."""
    if view.tool == "erase":
        return Qt.CursorShape.PointingHandCursor
    item = hit(view, pos)
    if item is not None:
        return Qt.CursorShape.SizeHorCursor if on_right_edge(view, item, pos) else Qt.CursorShape.SizeAllCursor
    return Qt.CursorShape.CrossCursor if view.tool == "draw" else Qt.CursorShape.ArrowCursor


def push(view, old, new, text: str) -> None:
    view.doc.undo_stack.push(NotesCommand(view.doc, view.note_scene.active, old, new, text))


class Gesture:
    """A press-drag-release interaction; ``button`` is the button that started it."""

    def __init__(self, view, event) -> None:
        self.view, self.button = view, event.button()
        self.press = QPointF(event.position())
        self.dragged = False

    def _track(self, event) -> bool:
        """Note whether the mouse has left the click zone; True once it has."""
        if not self.dragged:
            delta = event.position() - self.press
            self.dragged = abs(delta.x()) + abs(delta.y()) >= DRAG_PX
        return self.dragged

    def move(self, event) -> None:
        pass

    def release(self, event) -> None:
        pass


class DrawGesture(Gesture):
    """Click-drag on empty space: a new note, snapped, at least one grid step long."""

    def __init__(self, view, event) -> None:
        super().__init__(view, event)
        grid = view.grid
        self.start = grid.floor(view.x_to_tick(self.press.x()))
        self.pitch = view.y_to_pitch(self.press.y())
        self.length = grid.edit_step()
        self.item = NoteItem(Note(self.start, self.pitch, self.length, view.last_velocity), view.note_scene.active)
        self.item.style(True, True)
        view.note_scene.addItem(self.item)

    def move(self, event) -> None:
        if self._track(event):
            end = self.view.grid.round(self.view.x_to_tick(event.position().x()))
            minimum = self.view.grid.edit_step()
            self.length = max(minimum, end - self.start)
            self.item.preview(self.start, self.pitch, self.length)

    def release(self, event) -> None:
        self.view.note_scene.removeItem(self.item)
        self.view.note_scene.ensure_width(self.start + self.length)
        push(self.view, [], [Note(self.start, self.pitch, self.length, self.view.last_velocity)], "Draw note")


class MoveGesture(Gesture):
    """Drag a selected note: the selection moves by whole grid steps (Shift: freely), each note keeping
    its offset from the grid."""

    def __init__(self, view, event, item: NoteItem) -> None:
        super().__init__(view, event)
        self.anchor = item.note
        self.items = list(view.note_scene.selected)
        self.dt = self.dp = 0

    def move(self, event) -> None:
        if not self._track(event):
            return
        view, notes = self.view, [i.note for i in self.items]
        raw = view.x_to_tick(event.position().x()) - view.x_to_tick(self.press.x())
        dt = round(raw) if event.modifiers() & SHIFT else view.grid.steps(raw)
        self.dt = max(dt, -min(n.start for n in notes))
        dp = view.y_to_pitch(event.position().y()) - view.y_to_pitch(self.press.y())
        self.dp = max(-min(n.pitch for n in notes), min(127 - max(n.pitch for n in notes), dp))
        for item in self.items:
            n = item.note
            item.preview(n.start + self.dt, n.pitch + self.dp, n.duration)

    def release(self, event) -> None:
        if not (self.dt or self.dp):
            for item in self.items:
                item.reset_preview()
            return
        old = [i.note for i in self.items]
        new = [Note(n.start + self.dt, n.pitch + self.dp, n.duration, n.velocity) for n in old]
        self.view.note_scene.ensure_width(max(n.end for n in new))
        push(self.view, old, new, "Move notes" if len(old) > 1 else "Move note")


class ResizeGesture(Gesture):
    """Drag a note's right edge: its length changes by whole grid steps (Shift: freely), so an end off
    the grid keeps its offset; other selected notes change alike."""

    def __init__(self, view, event, item: NoteItem) -> None:
        super().__init__(view, event)
        self.anchor = item.note
        self.items = list(view.note_scene.selected)
        self.delta = 0

    def move(self, event) -> None:
        if not self._track(event):
            return
        view = self.view
        minimum = view.grid.edit_step()
        raw = view.x_to_tick(event.position().x()) - view.x_to_tick(self.press.x())
        change = round(raw) if event.modifiers() & SHIFT else view.grid.steps(raw)
        self.delta = max(min(minimum, self.anchor.duration), self.anchor.duration + change) - self.anchor.duration
        for item in self.items:
            n = item.note
            item.preview(n.start, n.pitch, self._length(n, minimum))

    def _length(self, note: Note, minimum: int) -> int:
        return max(min(minimum, note.duration), note.duration + self.delta)

    def release(self, event) -> None:
        minimum = self.view.grid.edit_step()
        old = [i.note for i in self.items]
        new = [Note(n.start, n.pitch, self._length(n, minimum), n.velocity) for n in old]
        if new == old:
            for item in self.items:
                item.reset_preview()
            return
        self.view.note_scene.ensure_width(max(n.end for n in new))
        push(self.view, old, new, "Resize notes" if len(old) > 1 else "Resize note")


class RubberBandGesture(Gesture):
    """Drag on empty space in the select tool: select what the band touches (Ctrl toggles, Shift adds)."""

    def __init__(self, view, event) -> None:
        super().__init__(view, event)
        self.modifiers = event.modifiers()
        self.band = QRubberBand(QRubberBand.Shape.Rectangle, view.viewport())
        self.band.setGeometry(QRect(self.press.toPoint(), QSize()))
        self.band.show()

    def _rect(self, pos: QPointF) -> QRect:
        return QRect(self.press.toPoint(), pos.toPoint()).normalized()

    def move(self, event) -> None:
        self.band.setGeometry(self._rect(event.position()))

    def release(self, event) -> None:
        self.band.hide()
        self.band.deleteLater()
        scene, rect = self.view.note_scene, self._rect(event.position())
        found = set()
        if self._track(event):
            found = set(scene.active_items_in(self.view.mapToScene(rect).boundingRect()))
        if self.modifiers & CTRL:
            scene.set_selection(scene.selected ^ found)
        elif self.modifiers & SHIFT:
            scene.set_selection(scene.selected | found)
        else:
            scene.set_selection(found)


class EraseGesture(Gesture):
    """Click or drag: notes under the mouse disappear; one command on release."""

    def __init__(self, view, event) -> None:
        super().__init__(view, event)
        self.erased: list[NoteItem] = []
        self._erase_at(self.press)
        self.last = self.press

    def _erase_at(self, pos: QPointF) -> None:
        for item in self.view.note_scene.active_items_at(self.view.to_scene(pos)):
            if item.isVisible():
                item.setVisible(False)
                self.erased.append(item)

    def move(self, event) -> None:
        pos = QPointF(event.position())
        self._track(event)
        steps = max(1, math.ceil(math.hypot(pos.x() - self.last.x(), pos.y() - self.last.y()) / 2))
        for k in range(1, steps + 1):
            self._erase_at(self.last + (pos - self.last) * (k / steps))
        self.last = pos

    def release(self, event) -> None:
        if self.erased:
            notes = [i.note for i in self.erased]
            push(self.view, notes, [], "Erase notes" if len(notes) > 1 else "Erase note")
        elif self.button == Qt.MouseButton.RightButton and not self.dragged:  # a right-click on empty space
            self.view.context_menu_requested.emit(self.view.viewport().mapToGlobal(event.position().toPoint()))


class PanGesture(Gesture):
    """Middle-button drag scrolls the view."""

    def move(self, event) -> None:
        delta = event.position() - self.press
        self.press = QPointF(event.position())
        for bar, d in ((self.view.horizontalScrollBar(), delta.x()), (self.view.verticalScrollBar(), delta.y())):
            bar.setValue(bar.value() - round(d))


def start(view, event) -> Gesture | None:
    """The gesture a press begins (None: a click handled at once, such as Ctrl-click toggling)."""
    button = event.button()
    if button == Qt.MouseButton.MiddleButton:
        return PanGesture(view, event)
    if not view.doc.score.tracks:
        return None
    if button == Qt.MouseButton.RightButton or (button == Qt.MouseButton.LeftButton and view.tool == "erase"):
        return EraseGesture(view, event)
    if button != Qt.MouseButton.LeftButton:
        return None
    item, scene = hit(view, event.position()), view.note_scene
    if item is not None:
        if event.modifiers() & CTRL:
            scene.toggle(item)
            return None
        if item not in scene.selected:
            scene.set_selection([item])
        if on_right_edge(view, item, event.position()):
            return ResizeGesture(view, event, item)
        return MoveGesture(view, event, item)
    if view.tool == "draw" and not event.modifiers() & (CTRL | SHIFT):
        return DrawGesture(view, event)
    return RubberBandGesture(view, event)


def double_click(view, event) -> None:
    """Double-click on empty space in the select tool adds a note of one grid step (DAW habit)."""
    if (event.button() != Qt.MouseButton.LeftButton or view.tool != "select" or not view.doc.score.tracks
            or hit(view, event.position())):
        return
    grid = view.grid
    length = grid.edit_step()
    start = grid.floor(view.x_to_tick(event.position().x()))
    push(view, [], [Note(start, view.y_to_pitch(event.position().y()), length, view.last_velocity)], "Add note")


