"""New, Open, Save, Save As, Export, recent files, drops, the unsaved-changes prompt, and recovery.

Reading and writing run in workers (``app.services.files``); a broken file
gives one sentence in a dialog and the current work stays as it was. A save
marks the document clean only if nothing was edited while it was written.
Dialogs go through :meth:`FileController.ask_path`, :meth:`warn`,
:meth:`ask_save`, :meth:`choose_recovery` and :meth:`ask_reopen`, which tests
replace.

Recovery: at a plain start (and from File ▸ Recover Unsaved Work…) every
autosave of a dead session is offered; opening a file by name (command line,
File ▸ Open, Open Recent) first offers an autosave of that file newer than
it. Recovered work is written to this session's autosave before the old one
is removed, so no moment exists where it lives nowhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QEventLoop, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.commands import ReplaceScoreCommand
from app.core import edits
from app.core.atomic import is_read_only
from app.core.errors import ReadOnlyFileError, UnsupportedFormatError
from app.document import Document, empty_sketch
from app.services import autosave as recovery
from app.services.autosave import Autosave
from app.services.files import (OPEN_EXTS, OPEN_FILTER, Exported, Opened, export_file, open_file, save_file,
                                save_start_folder)
from app.settings import Settings
from app.tasks import TaskKind, TaskRunner
from app.ui.dialogs.export_dialog import ExportDialog
from app.ui.dialogs.recovery import RecoveryDialog, ask_reopen

SAVE_FILTER = "Cadenza project (*.cadenza);;MIDI file (*.mid);;ABC notation (*.abc);;MusicXML (*.musicxml)"


class FileController(QObject):
    """The File menu's logic, for one window and one document."""

    opened = Signal(object)  # Opened, after it became the document
    saved = Signal(str)
    status_message = Signal(str)
    recent_changed = Signal(list)
    recovered = Signal(object)  # the Recoverable whose work became the document

    def __init__(self, window: QWidget, doc: Document, runner: TaskRunner, settings: Settings,
                 state: Callable[[], dict[str, Any]], selection: Callable[[], dict[int, list]]) -> None:
        super().__init__(window)
        self.window, self.doc, self.runner, self.settings = window, doc, runner, settings
        self.state, self.selection = state, selection
        self.autosave = Autosave(doc, settings.autosave_interval_s, parent=self)
        self.autosave.failed.connect(self.status_message)
        self.autosave.stopped.connect(lambda message: self.warn("Autosave is not working", message))

    # -- dialogs (tests replace these) -------------------------------------
    def warn(self, title: str, message: str) -> None:
        QMessageBox.warning(self.window, title, message)

    def ask_save(self) -> str:
        """'save', 'discard' or 'cancel' for a document with unsaved changes."""
        box = QMessageBox.question(
            self.window, "Unsaved changes", f"Save the changes to {self.doc.title} before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(box, "cancel")

    def ask_path(self, kind: str, suggestion: str, filters: str) -> str:
        folder = str(save_start_folder(self.doc.path, self.settings.save_folder) / suggestion)
        if kind == "open":
            path, _ = QFileDialog.getOpenFileName(self.window, "Open", self.settings.last_folder, filters)
        else:
            path, _ = QFileDialog.getSaveFileName(self.window, "Save As" if kind == "save" else "Export", folder, filters)
        return path

    def choose_recovery(self, items: list[recovery.Recoverable]) -> recovery.Recoverable | None:
        """The recovery list: the autosave to open, or None (the rest are kept; Discard deletes at once)."""
        dialog = RecoveryDialog(items, recovery.forget, self.window)
        dialog.exec()
        return dialog.chosen

    def ask_reopen(self, item: recovery.Recoverable, path: Path) -> str:
        """'autosave', 'file' or 'cancel': ``path`` has an autosave newer than the file."""
        return ask_reopen(self.window, item, path.name)

    # -- new / open --------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded, or unmodified)."""
        if not self.doc.modified:
            return True
        choice = self.ask_save()
        if choice == "save":
            return self.save(wait=True)
        return choice == "discard"

    def new(self) -> None:
        if self.maybe_save():
            self.doc.replace_all(empty_sketch())
            self.autosave.discard()

    def open_dialog(self) -> None:
        path = self.ask_path("open", "", OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, tune: int | None = None, ask: bool = True):
        """Read ``path`` in a worker; it replaces the document only if it reads cleanly. Returns the task."""
        path = Path(path)
        if path.suffix.lower() not in OPEN_EXTS:
            self.warn("Cannot open", str(UnsupportedFormatError(
                f"Cadenza cannot open '{path.suffix or path.name}' files; it opens {' '.join(OPEN_EXTS)}.")))
            return None
        if ask and not self.maybe_save():
            return None
        newer = recovery.newer_autosaves(path, self.autosave.folder)
        if newer:  # a crash left work on this file that is newer than the file
            choice = self.ask_reopen(newer[0], path)
            if choice == "autosave":
                return self.recover(newer[0], path)
            if choice != "file":
                return None
        self.status_message.emit(f"Opening {path.name}…")
        return self.runner.start(TaskKind.OPEN, open_file, path, tune, on_result=self._on_open_finished,
                                 on_error=lambda msg: self._on_open_failed(path, msg),
                                 progress=self.status_message.emit)  # a big file says how far it is

    def _on_open_finished(self, opened: Opened) -> None:
        self.doc.replace_all(opened.score, opened.path)
        self.doc.tune_index = opened.tune or 0
        self.autosave.discard()
        self._remember(opened.path)
        self.status_message.emit(f"Opened {opened.path.name}: {opened.score.note_count} notes, "
                                 f"{len(opened.score.tracks)} track(s).")
        self.opened.emit(opened)  # last: a listener's own status message stays visible

    def _on_open_failed(self, path: Path, message: str) -> None:
        self.warn("Cannot open", message)
        if not path.exists():
            self.settings.remove_recent_file(path)
            self.recent_changed.emit(self.settings.recent_files)

    def _remember(self, path: Path) -> None:
        self.settings.last_folder = str(path.parent)
        self.recent_changed.emit(self.settings.add_recent_file(path))

    # -- save --------------------------------------------------------------------
    def save(self, wait: bool = False) -> bool:
        """Save to the document's file (a project or a score format), else ask for one."""
        if self.doc.path is None or self.doc.path.suffix.lower() not in (".cadenza", ".mid", ".midi", ".abc",
                                                                          ".musicxml", ".xml"):
            return self.save_as(wait)
        return self._save_to(self.doc.path, wait)

    def save_as(self, wait: bool = False) -> bool:
        name = (self.doc.path.stem if self.doc.path else (self.doc.score.title or "Untitled")) + ".cadenza"
        path = self.ask_path("save", name, SAVE_FILTER)
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".cadenza")
        return self._save_to(path, wait)

    def ask_save_as(self, message: str) -> bool:
        """True when the user takes the offer to save under another name (after a read-only file)."""
        answer = QMessageBox.warning(self.window, "Cannot save", f"{message}\n\nSave it under another name?",
                                     QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Save

    def _save_to(self, path: Path, wait: bool) -> bool:
        if is_read_only(path):  # never replaced behind the user's back: offer Save As
            return self.save_as(wait) if self.ask_save_as(str(ReadOnlyFileError(path))) else False
        index = self.doc.undo_stack.index()
        result: dict[str, Any] = {}

        def done(saved: Path) -> None:
            result["ok"] = True
            if self.doc.undo_stack.index() == index:
                self.doc.mark_saved()
            self.doc.set_path(saved)
            self.autosave.discard()
            self._remember(saved)
            self.settings.save_folder = str(saved.parent)
            self.saved.emit(str(saved))
            self.status_message.emit(f"Saved {saved.name}.")

        def failed(message: str) -> None:
            result["ok"] = False
            self.warn("Cannot save", message)

        task = self.runner.start(TaskKind.SAVE, save_file, self.doc.score, path, self.state(),
                                 on_result=done, on_error=failed)
        if wait and task.signals.closed:  # the runner is shut down: nothing was saved
            return False
        if wait and "ok" not in result:  # closing: the answer is needed before the window goes
            loop = QEventLoop()  # the window keeps painting while the save runs in its worker
            task.signals.done.connect(loop.quit)
            loop.exec()
        return result.get("ok", True) if wait else True

    # -- export ------------------------------------------------------------------
    def export_dialog(self) -> None:
        selection = self.selection()
        dialog = ExportDialog(self.doc.score, any(selection.values()), self.doc.active_track, self.window)
        if not dialog.exec():
            return
        ext = dialog.extension()
        stem = self.doc.path.stem if self.doc.path else (self.doc.score.title or "Untitled")
        path = self.ask_path("export", stem + ext, f"{ext[1:].upper()} (*{ext})")
        if path:
            self.export(Path(path).with_suffix(ext) if not Path(path).suffix else Path(path),
                        dialog.chosen_scope(), dialog.chosen_tracks())

    def export(self, path: Path, scope: str = "score", tracks: list[int] | None = None):
        """Export the score, some tracks, or the selection to ``path`` in a worker. Returns the task."""
        score = self.doc.score
        if scope == "tracks":
            score = edits.extract(score, tracks=tracks or [self.doc.active_track])
        elif scope == "selection":
            score = edits.extract(score, notes=self.selection())
        self.status_message.emit(f"Exporting {path.name}…")
        return self.runner.start(TaskKind.FILE_EXPORT, export_file, score, path, self.settings.soundfont,
                                 self.settings.sample_rate,
                                 on_result=self._on_export_finished,
                                 on_error=lambda msg: self._on_export_failed(path, msg))

    def _on_export_finished(self, done: Exported) -> None:
        self.settings.save_folder = str(done.path.parent)
        self.status_message.emit(done.message())

    def _on_export_failed(self, path: Path, message: str) -> None:
        self.status_message.emit(f"{path.name} was not exported.")  # replaces "Exporting…" before the dialog
        self.warn("Cannot export", message)

    # -- recovery ------------------------------------------------------------------
    def offer_recovery(self, asked: bool = False) -> bool:
        """Offer every dead session's autosave (at start, or asked from the menu); True if one is being opened.

        Autosaves the user was shown before and that are older than the keep-days setting go first.
        """
        folder = self.autosave.folder
        recovery.expire(folder, self.settings.autosave_keep_days)
        found = recovery.mark_shown(recovery.find_recoverable(folder))
        if not found:
            if asked:
                self.status_message.emit("There is no unsaved work to recover.")
            return False
        item = self.choose_recovery(found)
        left = len(recovery.find_recoverable(folder)) - (item is not None)
        if left > 0:
            self.status_message.emit(f"{left} autosave(s) kept: File ▸ Recover Unsaved Work… offers them again.")
        if item is None or not self.maybe_save():
            return False
        return self.recover(item) is not None

    def mention_recoverable(self, opening: Path | None = None) -> int:
        """In the status bar: how many dead sessions' autosaves wait (a start that opened a file skips the list)."""
        target = Path(opening).resolve() if opening else None
        count = sum(1 for item in recovery.find_recoverable(self.autosave.folder)
                    if target is None or item.original is None or item.original.resolve() != target)
        if count:
            self.status_message.emit(f"{count} autosave(s) of unsaved work from a crash are kept: "
                                     "File ▸ Recover Unsaved Work… opens or discards them.")
        return count

    def recover(self, item: recovery.Recoverable, path: Path | None = None):
        """Read ``item`` (bounded, in a worker); it becomes the document as unsaved work. Returns the task."""
        return self.runner.start(TaskKind.OPEN, recovery.recover, item,
                                 on_result=lambda score: self._on_recover_finished(item, score, path),
                                 on_error=lambda message: self.warn("Cannot recover", message))

    def _on_recover_finished(self, item: recovery.Recoverable, score, path: Path | None) -> None:
        self.doc.replace_all(empty_sketch(), path or item.original)
        self.doc.undo_stack.push(ReplaceScoreCommand(self.doc, score, "Recover unsaved work"))
        if path is not None:
            self._remember(path)
        if self.autosave.save_now():  # the work now lives in this session's autosave: the old one can go
            recovery.forget(item)
            self.status_message.emit(f"Recovered {item.describe()}.")
        else:
            self.status_message.emit(f"Recovered {item.describe()}; its autosave is kept (autosave is not working).")
        self.recovered.emit(item)
