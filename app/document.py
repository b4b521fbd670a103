"""The open piece: a Score, its QUndoStack, its file path, and change signals.

Views listen to the signals and never write the Score; every change goes
through a command on :attr:`Document.undo_stack` (``app/commands.py``), which
calls :meth:`Document.apply` from ``redo``/``undo``. The modified flag is
``not undo_stack.isClean()``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoStack

from app.core.score import Note, Score, Track


class Document(QObject):
    """One piece being edited."""

    notes_added = Signal(int, list)  # track index, [Note]
    notes_removed = Signal(int, list)  # track index, [Note]
    notes_changed = Signal(int, list, list)  # track index, removed [Note], added [Note]
    tracks_changed = Signal()  # a track's properties, or the track list
    meta_changed = Signal()  # tempo, meter, key, title
    score_reset = Signal()  # the whole score was replaced: rebuild views
    changed = Signal()  # after any change (ABC sync, spectrogram, autosave)
    modified_changed = Signal(bool)
    path_changed = Signal(object)  # Path | None
    active_track_changed = Signal(int)

    def __init__(self, score: Score | None = None, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._score = score if score is not None else empty_sketch()
        self._path = Path(path) if path else None
        self._active = 0
        self.tune_index = 0  # which tune of a multi-tune ABC file this is
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)

    @Slot(bool)
    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    # -- state ------------------------------------------------------------
    @property
    def score(self) -> Score:
        return self._score

    @property
    def path(self) -> Path | None:
        return self._path

    def set_path(self, path: Path | None) -> None:
        self._path = Path(path) if path else None
        self.path_changed.emit(self._path)

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_saved(self) -> None:
        self.undo_stack.setClean()

    @property
    def active_track(self) -> int:
        """The track the piano roll edits (clamped to the track list)."""
        return max(0, min(self._active, len(self._score.tracks) - 1))

    def set_active_track(self, index: int) -> None:
        if index != self._active:
            self._active = index
            self.active_track_changed.emit(self.active_track)

    @property
    def title(self) -> str:
        """The window title's name: the file name, else the score's title, else 'Untitled'."""
        return self._path.name if self._path else (self._score.title or "Untitled")

    # -- changes (called by commands only) --------------------------------
    def apply_notes(self, score: Score, track: int, removed: list[Note], added: list[Note]) -> None:
        self._score = score
        if removed and added:
            self.notes_changed.emit(track, removed, added)
        elif added:
            self.notes_added.emit(track, added)
        elif removed:
            self.notes_removed.emit(track, removed)
        self.changed.emit()

    def apply_tracks(self, score: Score) -> None:
        reshaped = len(score.tracks) != len(self._score.tracks) or any(
            a.notes is not b.notes for a, b in zip(score.tracks, self._score.tracks))
        self._score = score
        if reshaped:
            self.score_reset.emit()
        self.tracks_changed.emit()
        self.changed.emit()

    def apply_meta(self, score: Score) -> None:
        self._score = score
        self.meta_changed.emit()
        self.changed.emit()

    def apply_score(self, score: Score) -> None:
        self._score = score
        self.score_reset.emit()
        self.tracks_changed.emit()
        self.meta_changed.emit()
        self.changed.emit()

    def replace_all(self, score: Score, path: Path | None = None) -> None:
        """Load a new piece: a fresh history, clean, with ``path`` (not undoable)."""
        self.undo_stack.clear()
        self._active = 0
        self.set_path(path)
        self.apply_score(score)
        self.undo_stack.setClean()


def empty_sketch() -> Score:
    """A new sketch: one piano track, 120 BPM, 4/4, C major."""
    return Score(tracks=(Track("Piano", 0, False, ()),), key="C major", title="")
