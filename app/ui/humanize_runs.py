"""Edit > Humanize: the selection (or, with none, the active track) played expressively, as one undo step.

:meth:`HumanizeRuns.humanize` takes the piano roll's selected notes, or every
note of the active track when nothing is selected, and opens the Humanize
dialog (amount, random seed). The run goes to the worker
(``app.services.humanize``), so the window never waits; the dialog shows it
under way and Cancel stops it. The performance lands as ONE ``NotesCommand``
(each note replaced by its performance: same pitch, new velocity and timing),
so Ctrl+Z brings back the exact notes. A drum track is refused in one
sentence: the model plays pitched instruments, and its phrasing means nothing
to a drum kit. A failure (no model that plays with dynamics, a broken
checkpoint) is one sentence in the dialog; the notes stay as they were.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QWidget

from app.commands import NotesCommand
from app.core import edits
from app.core.score import Note
from app.core.timing import bpm_at
from app.document import Document
from app.tasks import TaskRunner

if TYPE_CHECKING:  # the service and the dialog load on first use: the window's first frame needs neither
    from app.services.humanize import Humanized, HumanizeService
    from app.ui.dialogs.humanize_dialog import HumanizeDialog

DEFAULT_AMOUNT = 50  # percent

DRUMS = "Humanize plays pitched tracks; a drum track's hits keep their velocities and timing."
NOTHING = "Nothing to humanize: the track has no notes."
STALE = "The notes changed while Humanize was playing them; run it again."


def _plural(count: int) -> str:
    return f"{count} note" + ("" if count == 1 else "s")


class HumanizeRuns(QObject):
    """The Humanize action's logic for one window (see module doc)."""

    status_message = Signal(str)
    applied = Signal(object)  # Humanized, after its command was pushed

    def __init__(self, doc: Document, roll, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.doc, self.roll, self.runner, self.window = doc, roll, runner, parent
        self._service: HumanizeService | None = None
        self.dialog: HumanizeDialog | None = None
        self.amount, self.random_seed = DEFAULT_AMOUNT, 0  # the last choices, offered again
        self._pending: tuple[int, list[Note]] | None = None  # (track, notes) of the dialog open now

    @property
    def service(self) -> HumanizeService:
        """The worker side (made on first use)."""
        if self._service is None:
            from app.services.humanize import HumanizeService

            self._service = service = HumanizeService(self.runner, self)
            service.progress.connect(self._on_service_progress)
            service.finished.connect(self._on_service_finished)
            service.failed.connect(self._on_service_failed)
            service.cancelled.connect(self._on_service_cancelled)
        return self._service

    # -- what to humanize -------------------------------------------------------------------------
    def chosen_notes(self) -> tuple[int, list[Note], str] | None:
        """(track, notes in order, words for them), or None with the reason said on ``status_message``."""
        score = self.doc.score
        if not score.tracks:
            self.status_message.emit(NOTHING)
            return None
        track = self.doc.active_track
        if score.tracks[track].is_drum:
            self.status_message.emit(DRUMS)
            return None
        selected = self.roll.selected_notes()
        notes = selected or list(score.tracks[track].notes)
        if not notes:
            self.status_message.emit(NOTHING)
            return None
        name = score.tracks[track].name or f"track {track + 1}"
        words = f"the {_plural(len(notes))} selected" if selected else f"the {_plural(len(notes))} of {name}"
        return track, notes, words

    # -- the action -----------------------------------------------------------------------------
    def humanize(self) -> HumanizeDialog | None:
        """Open the Humanize dialog for the selection or the active track (None, with a message, when it cannot)."""
        chosen = self.chosen_notes()
        if chosen is None:
            return None
        from app.ui.dialogs.humanize_dialog import HumanizeDialog

        track, notes, words = chosen
        self._pending = (track, notes)
        dialog = HumanizeDialog(words, self.amount, self.random_seed, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.asked.connect(self._on_dialog_asked)
        dialog.cancel_asked.connect(self.service.cancel)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_dialog_asked(self, amount: float, random_seed: int) -> None:
        if self._pending is None or self.dialog is None:
            return
        from app.services.humanize import HumanizeJob

        track, notes = self._pending
        self.amount, self.random_seed = round(amount * 100), random_seed
        score = self.doc.score
        job = HumanizeJob(track, tuple(notes), score.ppq, bpm_at(score, notes[0].start), amount, random_seed,
                          score.tempos)
        self.dialog.show_running()
        self.service.start(job)

    def apply(self, result: Humanized) -> bool:
        """Put a performance into the score as one undo step (False, with a message, when the notes changed)."""
        job = result.job
        tracks = self.doc.score.tracks
        if job.track >= len(tracks) or not Counter(job.notes) <= Counter(tracks[job.track].notes):
            self._say(STALE)
            return False
        try:
            edits.humanize_notes(self.doc.score, job.track, job.notes, result.notes)
        except ValueError as exc:  # the model broke its promise: the notes stay
            self._say(f"{result.model} did not keep the notes ({exc}), so they are left as they were.")
            return False
        command = NotesCommand(self.doc, job.track, job.notes, result.notes, f"Humanize {_plural(len(job.notes))}")
        self.doc.undo_stack.push(command)
        self.status_message.emit(f"Humanized {_plural(len(job.notes))} with {result.model} (amount "
                                 f"{round(job.amount * 100)} %, random seed {job.random_seed}); Ctrl+Z undoes it.")
        self.applied.emit(result)
        return True

    # -- the run's reports ----------------------------------------------------------------------
    @Slot(object)
    def _on_service_progress(self, progress) -> None:
        if self.dialog is not None:
            self.dialog.show_running(progress.message or "Humanizing…", progress.done, progress.total)

    @Slot(object)
    def _on_service_finished(self, result: Humanized) -> None:
        dialog = self.dialog
        if self.apply(result) and dialog is not None:  # a refusal was said in the dialog
            dialog.show_idle()
            dialog.accept()

    @Slot(str)
    def _on_service_failed(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.show_error(message)
        else:
            self.status_message.emit(message)

    @Slot()
    def _on_service_cancelled(self) -> None:
        if self.dialog is not None:
            self.dialog.show_idle("Humanize was cancelled; the notes are as they were.")

    @Slot(int)
    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None and self.dialog.running:
            self.service.cancel()
        self.dialog, self._pending = None, None

    def shutdown(self) -> None:
        """On close: a run in progress is cancelled and reports nothing more."""
        if self._service is not None:
            self._service.shutdown()

    def _say(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.show_error(message)
        self.status_message.emit(message)
