"""The note scene: one light rectangle item per note, kept in step with the Document.

Scene units are ticks across and pitch rows down (row ``127 - pitch``, one
unit high); the view's transform does the zoom, so nothing moves when the user
zooms. Items are plain ``QGraphicsRectItem`` subclasses painted by Qt in C++
(shared cached brushes, cosmetic pens, no ``ItemIsSelectable``): the selection
is this scene's own set of items. The scene listens to the Document's note
signals and adds or removes only the items concerned; ``score_reset`` rebuilds.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QGraphicsRectItem, QGraphicsScene

from app.core.score import Note
from app.document import Document

from app.ui.pianoroll import style

ROWS = 128
MIN_BARS, SPARE_BARS = 64, 16


def row_of(pitch: int) -> int:
    """Scene row (top = 0) of ``pitch``."""
    return ROWS - 1 - pitch


class NoteItem(QGraphicsRectItem):
    """One note of one track; ``note`` is the (immutable) value it shows."""

    def __init__(self, note: Note, track: int) -> None:
        super().__init__(note.start, row_of(note.pitch), note.duration, 1.0)
        self.note, self.track = note, track
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def style(self, active: bool, selected: bool) -> None:
        self.setBrush(style.note_brush(self.track, self.note.velocity, active, selected))
        self.setPen(style.note_pen(self.track, active, selected))
        self.setZValue(2 if selected else (1 if active else 0))

    def preview(self, start: int, pitch: int, duration: int) -> None:
        """Show the note at another place while a drag is under way (the score is untouched)."""
        self.setRect(QRectF(start, row_of(pitch), duration, 1.0))

    def reset_preview(self) -> None:
        self.preview(self.note.start, self.note.pitch, self.note.duration)


class NoteScene(QGraphicsScene):
    """All tracks' notes; the active track's are editable and may be selected."""

    note_selection_changed = Signal()
    extent_changed = Signal()

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self._items: list[dict[Note, list[NoteItem]]] = []
        self.selected: set[NoteItem] = set()
        self.active = doc.active_track
        self.playhead = QGraphicsLineItem(0, 0, 0, ROWS)
        self.playhead.setPen(style.cosmetic(style.PLAYHEAD, 2))
        self.playhead.setZValue(10)
        self.addItem(self.playhead)
        doc.notes_added.connect(self._on_doc_notes_added)
        doc.notes_removed.connect(self._on_doc_notes_removed)
        doc.notes_changed.connect(self._on_doc_notes_changed)
        doc.score_reset.connect(self._on_doc_score_reset)
        doc.meta_changed.connect(self._on_doc_meta_changed)
        doc.active_track_changed.connect(self._on_doc_active_track_changed)
        self.rebuild()

    # -- building -------------------------------------------------------------
    def rebuild(self) -> None:
        """Drop every note item and make them again from the score (a new score)."""
        had_selection = bool(self.selected)
        self.selected.clear()
        for table in self._items:
            for items in table.values():
                for item in items:
                    self.removeItem(item)
        self.active = self.doc.active_track
        self._items = [{} for _ in self.doc.score.tracks]
        # Filling the BSP tree item by item is slow; index once at the end.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        for t, track in enumerate(self.doc.score.tracks):
            self._add(t, track.notes)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self._update_rect(grow_only=False)
        if had_selection:
            self.note_selection_changed.emit()

    def _add(self, track: int, notes) -> list[NoteItem]:
        table, active, made = self._items[track], track == self.active, []
        for note in notes:
            item = NoteItem(note, track)
            item.style(active, False)
            self.addItem(item)
            table.setdefault(note, []).append(item)
            made.append(item)
        return made

    def _remove(self, track: int, notes) -> bool:
        """Remove one item per note; True if a selected one went."""
        table, lost = self._items[track], False
        for note in notes:
            items = table.get(note)
            if not items:
                continue
            item = items.pop()
            if not items:
                del table[note]
            if item in self.selected:
                self.selected.discard(item)
                lost = True
            self.removeItem(item)
        return lost

    def _update_rect(self, grow_only: bool = True) -> None:
        bar = self.doc.score.time_signatures[-1].bar_ticks(self.doc.score.ppq)
        end = max(self.doc.score.end + SPARE_BARS * bar, MIN_BARS * bar)
        if grow_only:
            end = max(end, self.sceneRect().width())
        if end != self.sceneRect().width():
            self.setSceneRect(QRectF(0, 0, end, ROWS))
            self.extent_changed.emit()

    def ensure_width(self, tick: int) -> None:
        """Grow the scene so ``tick`` (plus spare bars) can be reached."""
        bar = self.doc.score.time_signatures[-1].bar_ticks(self.doc.score.ppq)
        if tick + SPARE_BARS * bar > self.sceneRect().width():
            self.setSceneRect(QRectF(0, 0, tick + SPARE_BARS * bar, ROWS))
            self.extent_changed.emit()

    # -- document signals -----------------------------------------------------------
    @Slot(int, list)
    def _on_doc_notes_added(self, track: int, notes: list) -> None:
        made = self._add(track, notes)
        if track == self.active and made:
            self.set_selection(made)
        self._update_rect()

    @Slot(int, list)
    def _on_doc_notes_removed(self, track: int, notes: list) -> None:
        if self._remove(track, notes):
            self.note_selection_changed.emit()

    @Slot(int, list, list)
    def _on_doc_notes_changed(self, track: int, removed: list, added: list) -> None:
        lost = self._remove(track, removed)
        made = self._add(track, added)
        if lost and track == self.active:
            self.set_selection(self.selected | set(made))
        self._update_rect()

    @Slot()
    def _on_doc_meta_changed(self) -> None:
        self._update_rect()

    @Slot()
    def _on_doc_score_reset(self) -> None:
        self.rebuild()

    @Slot(int)
    def _on_doc_active_track_changed(self, track: int) -> None:
        self.clear_selection()
        self.active = track
        for t, table in enumerate(self._items):
            for items in table.values():
                for item in items:
                    item.style(t == track, False)

    # -- queries ----------------------------------------------------------------
    def note_items(self, track: int | None = None) -> list[NoteItem]:
        """Every note item of ``track`` (default: all tracks)."""
        tables = self._items if track is None else self._items[track:track + 1]
        return [item for table in tables for items in table.values() for item in items]

    def active_items_at(self, pos: QPointF) -> list[NoteItem]:
        """Editable note items under scene point ``pos``, topmost first."""
        return [i for i in self.items(pos) if isinstance(i, NoteItem) and i.track == self.active]

    def active_items_in(self, rect: QRectF) -> list[NoteItem]:
        """Editable note items that overlap scene rectangle ``rect``."""
        found = self.items(rect, Qt.ItemSelectionMode.IntersectsItemBoundingRect)
        return [i for i in found if isinstance(i, NoteItem) and i.track == self.active
                and i.rect().intersects(rect)]

    def selected_notes(self) -> list[Note]:
        return sorted(item.note for item in self.selected)

    # -- selection ---------------------------------------------------------------
    def set_selection(self, items) -> None:
        items = {i for i in items if i.track == self.active and i.scene() is self}
        if items == self.selected:
            return
        for item in self.selected - items:
            item.style(True, False)
        for item in items - self.selected:
            item.style(True, True)
        self.selected = items
        self.note_selection_changed.emit()

    def toggle(self, item: NoteItem) -> None:
        self.set_selection(self.selected ^ {item})

    def select_all(self) -> None:
        self.set_selection(self.note_items(self.active) if self._items else [])

    def clear_selection(self) -> None:
        self.set_selection(())
