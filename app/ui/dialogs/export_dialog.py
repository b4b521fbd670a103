"""Export: pick a format and what to export (the whole score, some tracks, or the selection)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QListWidget,
                               QListWidgetItem, QRadioButton, QVBoxLayout, QWidget)

from app.core.score import Score

FORMATS = (("MIDI file", ".mid"), ("WAV audio", ".wav"), ("FLAC audio", ".flac"), ("ABC notation", ".abc"),
           ("MusicXML", ".musicxml"))
SCOPES = ("score", "tracks", "selection")


class ExportDialog(QDialog):
    """Choose format and scope; the caller then asks for the file name."""

    def __init__(self, score: Score, has_selection: bool, active_track: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.format = QComboBox()
        for text, ext in FORMATS:
            self.format.addItem(f"{text} ({ext})", ext)
        self.scope = QButtonGroup(self)
        radios = [QRadioButton("Whole score"), QRadioButton("Chosen tracks"), QRadioButton("Selected notes")]
        for i, radio in enumerate(radios):
            self.scope.addButton(radio, i)
        radios[2].setEnabled(has_selection)
        (radios[2] if has_selection else radios[0]).setChecked(True)
        self.tracks = QListWidget()
        for i, track in enumerate(score.tracks):
            item = QListWidgetItem(track.name or f"Track {i + 1}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if i == active_track else Qt.CheckState.Unchecked)
            self.tracks.addItem(item)
        self.tracks.setEnabled(False)
        self.scope.idToggled.connect(lambda i, on: self.tracks.setEnabled(i == 1 and on) if i == 1 else None)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Format", self.format)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for radio in radios:
            layout.addWidget(radio)
        layout.addWidget(self.tracks)
        layout.addWidget(buttons)

    def extension(self) -> str:
        return self.format.currentData()

    def chosen_scope(self) -> str:
        return SCOPES[self.scope.checkedId()]

    def chosen_tracks(self) -> list[int]:
        return [i for i in range(self.tracks.count()) if self.tracks.item(i).checkState() == Qt.CheckState.Checked]
