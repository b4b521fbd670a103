"""Preferences: audio output device, sample rate, SoundFont, autosave interval."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QPushButton, QSpinBox, QWidget)

from app.settings import SAMPLE_RATES, Settings

DEFAULT_DEVICE = "System default"


class PreferencesDialog(QDialog):
    """Edits the settings in place when accepted."""

    def __init__(self, settings: Settings, devices: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Preferences")
        self.device = QComboBox()
        self.device.addItems([DEFAULT_DEVICE] + devices)
        if settings.audio_device in devices:
            self.device.setCurrentText(settings.audio_device)
        self.rate = QComboBox()
        for rate in SAMPLE_RATES:
            self.rate.addItem(f"{rate} Hz", rate)
        self.rate.setCurrentIndex(SAMPLE_RATES.index(settings.sample_rate))
        self.soundfont = QLineEdit(settings.soundfont)
        self.soundfont.setPlaceholderText("Search the usual places (FluidR3_GM.sf2 …)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.soundfont)
        row.addWidget(browse)
        self.autosave = QSpinBox()
        self.autosave.setRange(10, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setValue(settings.autosave_interval_s)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Output device", self.device)
        form.addRow("Sample rate", self.rate)
        form.addRow("SoundFont", row)
        form.addRow("Autosave every", self.autosave)
        form.addRow(buttons)

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SoundFont", self.soundfont.text(), "SoundFonts (*.sf2 *.sf3)")
        if path:
            self.soundfont.setText(path)

    def accept(self) -> None:
        device = self.device.currentText()
        self.settings.audio_device = "" if device == DEFAULT_DEVICE else device
        self.settings.sample_rate = self.rate.currentData()
        self.settings.soundfont = self.soundfont.text().strip()
        self.settings.autosave_interval_s = self.autosave.value()
        super().accept()
