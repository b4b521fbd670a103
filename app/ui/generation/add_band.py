"""Generate ▸ Add a Band: the dialog, and the run that adds the band's tracks in one undoable step.

The dialog names the melody (the selection, or the active track), offers the
models whose spec says they can write a band (``accompanies``), takes
optional chord symbols and a random seed, and shows the run's progress with
a Cancel button. The work is :mod:`app.services.band`; this module only asks
and, when the band is back, pushes one ``TracksCommand``: one Undo removes
every track it added.
"""

from __future__ import annotations

import random

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QWidget)

from app.commands import TracksCommand
from app.core.errors import CadenzaError
from app.document import Document
from app.services.band import NO_MODEL, BandJob, BandService, Lead, band_models, chords_abc, lead_of, with_band
from app.services.generation import GenerationService, ModelInfo
from app.ui.generation.model_picker import description, item_text
from models.common.options import RANDOM_SEED_MAX

UNDO_TEXT = "Add a Band"


class AddBandDialog(QDialog):
    """The melody, the model, chord symbols and a random seed; Add Band starts, Cancel stops or closes."""

    asked = Signal()

    def __init__(self, lead: Lead, models: list[ModelInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a Band")
        self.setMinimumWidth(400)
        self.lead = lead
        self.melody = QLabel(lead.words, self)
        self.model = QComboBox(self)
        for info in models:
            self.model.addItem(item_text(info), info.name)
            self.model.setItemData(self.model.count() - 1, description(info), Qt.ItemDataRole.ToolTipRole)
        self.models = {info.name: info for info in models}
        self.chords = QLineEdit(self)
        self.chords.setPlaceholderText("optional, e.g. C G | Am F | F G | C")
        self.seed = QSpinBox(self)
        self.seed.setRange(0, RANDOM_SEED_MAX)
        self.seed.setValue(random.randint(0, 9999))
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel("Drums, bass, guitar or piano comping and strings, as new tracks.", self)
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.add_button: QPushButton = self.buttons.addButton("Add Band", QDialogButtonBox.ButtonRole.AcceptRole)
        form = QFormLayout(self)
        for label, widget in (("Melody", self.melody), ("Model", self.model), ("Chords", self.chords),
                              ("Random seed", self.seed)):
            form.addRow(label, widget)
        form.addRow(self.progress)
        form.addRow(self.status)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self.asked)
        self.buttons.rejected.connect(self.reject)
        self.model.currentIndexChanged.connect(self._on_model_current_index_changed)
        self._on_model_current_index_changed()

    def follows_chords(self) -> bool:
        """Whether the chosen model reads chord symbols (its spec's ``chords``)."""
        info = self.models.get(self.model.currentData())
        return bool(info is not None and info.spec is not None and info.spec.chords)

    def chord_text(self) -> str:
        """The chord symbols to send: none for a model that would not read them."""
        return self.chords.text() if self.follows_chords() else ""

    @Slot()
    def _on_model_current_index_changed(self) -> None:
        follows = self.follows_chords()
        self.chords.setEnabled(follows)
        self.chords.setToolTip("Chord symbols for the band to follow: bars split by |, or one chord a bar"
                               if follows else f"{self.model.currentText()} does not read chord symbols; it hears "
                                               "the harmony in the melody itself")

    def say(self, text: str, running: bool = False) -> None:
        self.status.setText(text)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)
        self.add_button.setEnabled(not running)


class AddBand(QObject):
    """Add a Band for one window: opens the dialog, runs the band service, applies the band."""

    status_message = Signal(str)

    def __init__(self, generation: GenerationService, doc: Document, roll, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation, self.doc, self.roll = generation, doc, roll
        self.service = BandService(generation.runner, generation.pool, self)
        self.dialog: AddBandDialog | None = None
        self.service.progress.connect(self._on_service_progress)
        self.service.band_ready.connect(self._on_service_band_ready)
        self.service.failed.connect(self._on_service_failed)
        self.service.cancelled.connect(lambda: self._say("Add a Band cancelled; nothing was added."))

    def lead(self) -> Lead:
        """The melody now: the selected notes on the active track, else the whole active track."""
        return lead_of(self.doc.score, self.doc.active_track, self.roll.selected_notes())

    def open_dialog(self, parent: QWidget | None = None) -> AddBandDialog | None:
        """Ask for the model and chords (None, said in the status bar, when no model or no melody)."""
        if not self.generation.scanned:
            self._say("Looking for models…")
            self.generation.when_models(lambda: self.open_dialog(parent))
            return None
        models = band_models(self.generation.models)
        try:
            if not models:
                raise CadenzaError(NO_MODEL)
            lead = self.lead()
        except CadenzaError as exc:
            self._say(str(exc))
            return None
        self.dialog = AddBandDialog(lead, models, parent)
        self.dialog.asked.connect(self._on_dialog_asked)
        self.dialog.rejected.connect(self.cancel)
        self.dialog.open()
        return self.dialog

    def job(self, dialog: AddBandDialog) -> BandJob:
        """The run the dialog describes; CadenzaError in one sentence for bad chord symbols."""
        info = self.generation.model(dialog.model.currentData())
        if info is None:
            raise CadenzaError(NO_MODEL)
        return BandJob(info.name, str(info.path), dialog.lead, chords_abc(dialog.chord_text(), dialog.lead),
                       dialog.seed.value())

    def apply(self, tracks: list) -> None:
        """Add the band's tracks after the score's own, in one undoable step."""
        self.doc.undo_stack.push(TracksCommand(self.doc, with_band(self.doc.score, tracks), UNDO_TEXT))

    def cancel(self) -> None:
        self.service.cancel()

    def _say(self, text: str, running: bool = False) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.say(text, running)
        self.status_message.emit(text)

    @Slot()
    def _on_dialog_asked(self) -> None:
        try:
            job = self.job(self.dialog)
        except CadenzaError as exc:
            self._say(str(exc))
            return
        self._say(f"Writing a band with {job.model} for {job.lead.words}…", running=True)
        self.service.start(job)

    @Slot(object)
    def _on_service_progress(self, progress) -> None:
        if progress.message:
            self._say(progress.message[:1].upper() + progress.message[1:], running=True)

    @Slot(object, list)
    def _on_service_band_ready(self, job: BandJob, tracks: list) -> None:
        self.apply(tracks)
        names = ", ".join(t.name or "track" for t in tracks)
        self._say(f"Added a band with {job.model}: {names}.")
        if self.dialog is not None:
            self.dialog.accept()

    @Slot(str)
    def _on_service_failed(self, message: str) -> None:
        self._say(message)
