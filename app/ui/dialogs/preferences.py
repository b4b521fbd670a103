"""Preferences: audio output device, sample rate, SoundFont, autosave interval, MIDI ports.

The MIDI section lists what the MIDI system offers beside Cadenza's own
virtual ports and, when accepted, applies the choices at once through the
:class:`app.ui.recording_controller.RecordingController` (which keeps them in
the settings, as the record button's menu does); without a MIDI system it is
disabled and says why in one sentence. The same section holds MIDI thru
(hear what is played on the input at once) and Play through (FluidSynth,
MIDI out, or both).
"""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget)

from app.settings import PLAY_THROUGH, SAMPLE_RATES, Settings
from app.ui.recording_controller import PLAY_THROUGH_LABELS

DEFAULT_DEVICE = "System default"


class PreferencesDialog(QDialog):
    """Edits the settings in place when accepted."""

    def __init__(self, settings: Settings, devices: list[str], parent: QWidget | None = None, recording=None) -> None:
        """``recording``: the window's RecordingController (no MIDI section without one)."""
        super().__init__(parent)
        self.settings = settings
        self.recording = recording
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
        if recording is not None:
            form.addRow(self._midi_section(recording))
        form.addRow(buttons)

    def _midi_section(self, recording) -> QGroupBox:
        self.midi_box = QGroupBox("MIDI")
        form = QFormLayout(self.midi_box)
        self.midi_input, self.midi_output = QComboBox(), QComboBox()
        self.midi_send = QCheckBox("Send playback to MIDI out")
        self.midi_send.setChecked(recording.midi.send_playback)
        self.midi_send.toggled.connect(self._on_midi_send_toggled)
        self.midi_thru = QCheckBox("MIDI thru: hear what is played on the input at once")
        self.midi_thru.setChecked(recording.thru)
        self.play_through = QComboBox()
        self._fill(self.play_through, [(PLAY_THROUGH_LABELS[p], p) for p in PLAY_THROUGH], recording.play_through)
        self.play_through.currentIndexChanged.connect(self._on_play_through_changed)
        if recording.midi.start():
            form.addRow("MIDI system", QLabel(recording.midi.system_name()))
            self._fill(self.midi_input, recording.input_choices(), recording.input_port())
            self._fill(self.midi_output, recording.output_choices(), recording.midi.output_port)
        else:
            self.midi_reason = QLabel(recording.midi.status)
            self.midi_reason.setWordWrap(True)
            form.addRow(self.midi_reason)
            self.midi_box.setEnabled(False)
        form.addRow("Input port", self.midi_input)
        form.addRow("Output port", self.midi_output)
        form.addRow(self.midi_send)
        form.addRow("Play through", self.play_through)
        form.addRow(self.midi_thru)
        if recording.midi.thru_status:
            form.addRow(QLabel(recording.midi.thru_status))
        return self.midi_box

    def _on_midi_send_toggled(self, on: bool) -> None:
        if on != (self.play_through.currentData() != "fluidsynth"):
            self.play_through.setCurrentIndex(self.play_through.findData("both" if on else "fluidsynth"))

    def _on_play_through_changed(self) -> None:
        self.midi_send.setChecked(self.play_through.currentData() != "fluidsynth")

    @staticmethod
    def _fill(combo: QComboBox, choices: list, current) -> None:
        """The pickers show the port in use (Cadenza's own when a stored one is gone)."""
        for text, port in choices:
            combo.addItem(text, port)
            if port == current:
                combo.setCurrentIndex(combo.count() - 1)

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
        if self.recording is not None and self.midi_box.isEnabled():
            self._apply_midi()
        super().accept()

    def _apply_midi(self) -> None:
        recording = self.recording
        chosen_in, chosen_out = self.midi_input.currentData(), self.midi_output.currentData()
        if chosen_in != recording.input_port():
            recording.choose_input(chosen_in)
        if chosen_out != recording.midi.output_port:
            recording.choose_output(chosen_out)
        recording.set_play_through(self.play_through.currentData())
        recording.set_thru(self.midi_thru.isChecked())
