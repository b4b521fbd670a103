"""The recovery dialogs: unsaved work that crashed sessions left behind, and a file with a newer autosave.

:class:`RecoveryDialog` lists every autosave, each named by its document,
time and note count, with Open and Discard. Cadenza holds one piece per
window, so Open opens the chosen autosave here and the others stay offered
(at the next start, and in File ▸ Recover Unsaved Work…). Only Discard
deletes one; Escape, Later and closing the window keep them all.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QMessageBox,
                               QPushButton, QVBoxLayout, QWidget)

from app.services.autosave import Recoverable

EXPLANATION = ("Cadenza did not close properly, and this unsaved work was autosaved. Open a piece to carry on "
               "with it here; the others stay here until you open or discard them. Later keeps them all.")


class RecoveryDialog(QDialog):
    """Open one autosave, Discard any; ``chosen`` is the one to open (None: keep them all for later)."""

    def __init__(self, items: list[Recoverable], discard: Callable[[Recoverable], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recover Unsaved Work")
        self.discard_item = discard
        self.chosen: Recoverable | None = None
        self.list = QListWidget()
        for item in items:
            row = QListWidgetItem(item.describe())
            row.setData(Qt.ItemDataRole.UserRole, item)
            row.setToolTip(f"{item.original or 'never saved'}\nautosave: {item.path}")
            self.list.addItem(row)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _row: self._on_open_clicked())
        label = QLabel(EXPLANATION)
        label.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.open_button = buttons.addButton("&Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton("&Discard…", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.later_button = buttons.addButton("&Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.setDefault(True)
        for button in (self.open_button, self.discard_button, self.later_button):
            button.setAutoDefault(False)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.discard_button.clicked.connect(self._on_discard_clicked)
        self.later_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(560, 300)

    def items(self) -> list[Recoverable]:
        """The autosaves still listed."""
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def current(self) -> Recoverable | None:
        row = self.list.currentItem()
        return row.data(Qt.ItemDataRole.UserRole) if row is not None else None

    def confirm_discard(self, item: Recoverable) -> bool:
        """Ask before deleting work for good (tests replace this)."""
        answer = QMessageBox.question(self, "Discard unsaved work",
                                      f"Discard {item.describe()}? It cannot be recovered afterwards.",
                                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    def _on_open_clicked(self) -> None:
        self.chosen = self.current()
        if self.chosen is not None:
            self.accept()

    def _on_discard_clicked(self) -> None:
        item = self.current()
        if item is None or not self.confirm_discard(item):
            return
        self.discard_item(item)
        self.list.takeItem(self.list.currentRow())
        if self.list.count() == 0:
            self.reject()


def ask_reopen(parent: QWidget, item: Recoverable, name: str) -> str:
    """'autosave', 'file' or 'cancel' when ``name`` has an autosave newer than the file."""
    box = QMessageBox(QMessageBox.Icon.Question, "Newer unsaved work",
                      f"Cadenza did not close properly while {name} had unsaved changes: {item.describe()}, "
                      "newer than the saved file.", parent=parent)
    box.setInformativeText("Open the autosave to carry on where you were, or the saved file as it was last saved "
                           "(the autosave then stays offered at the next start). Cancel opens nothing.")
    autosave = box.addButton("Open the &Autosave", QMessageBox.ButtonRole.AcceptRole)
    saved: QPushButton = box.addButton("Open the &Saved File", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(autosave)
    box.exec()
    clicked = box.clickedButton()
    return "autosave" if clicked is autosave else "file" if clicked is saved else "cancel"
