"""The runs left unfinished (paused, or stopped when the app closed), offered for resuming."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from app.services.training import UnfinishedRun, unfinished_runs


class UnfinishedRuns(QGroupBox):
    """A list of resumable runs with Resume and Discard; hidden when there are none."""

    resume_requested = Signal(object)  # UnfinishedRun
    discard_requested = Signal(object)  # UnfinishedRun

    def __init__(self, parent=None) -> None:
        super().__init__("Unfinished runs", parent)
        self.list = QListWidget()
        self.list.setMaximumHeight(90)
        self.resume = QPushButton("Resume")
        self.discard = QPushButton("Discard…")
        self.resume.setToolTip("Continue the run from its saved step, with its own settings")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.discard)
        buttons.addWidget(self.resume)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.resume.clicked.connect(lambda: self._emit(self.resume_requested))
        self.discard.clicked.connect(lambda: self._emit(self.discard_requested))
        self.list.itemDoubleClicked.connect(lambda _: self._emit(self.resume_requested))
        self.runs: list[UnfinishedRun] = []

    def refresh(self, busy: bool = False, exclude: str | None = None) -> None:
        """Re-read the user models folder, leaving out ``exclude`` (the run going); ``busy`` disables the buttons."""
        self.runs = [r for r in unfinished_runs() if str(r.folder) != exclude]
        self.list.clear()
        for run in self.runs:
            share = f"step {run.step} of {run.total_steps}" if run.total_steps else f"step {run.step}"
            item = QListWidgetItem(f"{run.folder.name} — {run.args.model} on {', '.join(run.args.data)}, {share}")
            item.setData(Qt.ItemDataRole.UserRole, run)
            self.list.addItem(item)
        if self.runs:
            self.list.setCurrentRow(0)
        self.setVisible(bool(self.runs))
        self.resume.setEnabled(not busy)
        self.discard.setEnabled(not busy)

    def _emit(self, signal) -> None:
        item = self.list.currentItem()
        if item is not None and self.resume.isEnabled():
            signal.emit(item.data(Qt.ItemDataRole.UserRole))
