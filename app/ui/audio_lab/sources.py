"""The Audio Lab's two sources, A and B: the rendered score, a rendered variation, or an audio file.

Each :class:`SourceSlot` offers the score and the gallery's variations in a
combo box (rendered with the player's synth when Render is pressed), an
"Open audio…" button, and takes a WAV, FLAC or OGG file dropped on it. It
shows the loaded source's spectrogram (:class:`~app.ui.audio_lab.clip_view.ClipView`).
The slot only asks: the panel reads and renders through the service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QLabel, QPushButton, QWidget

from app.core.score import Score
from app.services.audio_lab import AUDIO_EXTS, Shown
from app.ui.audio_lab.clip_view import ClipView
from app.ui.generation.boxes import column, row

AUDIO_FILTER = "Audio files (" + " ".join(f"*{ext}" for ext in AUDIO_EXTS) + ");;All files (*)"
Renderable = Callable[[], list[tuple[str, Score]]]  # (name, score) of each thing that can be rendered


def dropped_audio(event) -> str | None:
    """The local audio file a drag carries, or None."""
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    if urls and urls[0].isLocalFile() and Path(urls[0].toLocalFile()).suffix.lower() in AUDIO_EXTS:
        return urls[0].toLocalFile()
    return None


class AudioDrops:
    """A widget mixin: a WAV, FLAC or OGG file dropped on it goes to the widget's own ``audio_dropped(path)``
    (the panel and each source slot define it)."""

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt)
        if dropped_audio(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt)
        path = dropped_audio(event)
        if path:
            self.audio_dropped(path)
            event.acceptProposedAction()


class SourceSlot(AudioDrops, QGroupBox):
    """Source A or B: what to render or open, and the loaded clip."""

    file_chosen = Signal(str, str)  # slot, path
    render_chosen = Signal(str, str, object)  # slot, name, Score
    view_added = Signal(object)  # the ClipView of a newly loaded source

    def __init__(self, slot: str, title: str, renderable: Renderable, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.slot, self.renderable = slot, renderable
        self.shown: Shown | None = None
        self.view: ClipView | None = None
        self.choice = QComboBox()
        self.choice.setToolTip("The sketch or a variation, rendered with the SoundFont")
        self.render_button = QPushButton("Render")
        self.open_button = QPushButton("Open audio…")
        self.open_button.setToolTip("A WAV, FLAC or OGG file (or drop one here)")
        self.hint = QLabel("Render the score, open an audio file, or drop one here.")
        self.hint.setWordWrap(True)
        self._layout = column(row((self.choice, 1), self.render_button, self.open_button), self.hint, parent=self)
        self.setAcceptDrops(True)
        self.render_button.clicked.connect(self._on_render_button_clicked)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.refresh_choices()

    def refresh_choices(self) -> None:
        """Offer the score and the variations there are now."""
        current = self.choice.currentText()
        self.choice.clear()
        for name, _score in self.renderable():
            self.choice.addItem(name)
        index = self.choice.findText(current)
        self.choice.setCurrentIndex(max(index, 0))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)
        self.refresh_choices()

    def _on_render_button_clicked(self) -> None:
        self.refresh_choices()
        found = dict(self.renderable())
        name = self.choice.currentText()
        if name in found:
            self.render_chosen.emit(self.slot, name, found[name])

    def ask_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, f"Open audio as {self.title()}", "", AUDIO_FILTER)
        return path

    def _on_open_button_clicked(self) -> None:
        path = self.ask_file()
        if path:
            self.file_chosen.emit(self.slot, path)

    def audio_dropped(self, path: str) -> None:
        self.file_chosen.emit(self.slot, path)

    def set_source(self, shown: Shown) -> None:
        """Show the loaded source ``shown`` (its spectrogram replaces the previous one's)."""
        self.shown = shown
        if self.view is not None:
            self.view.setParent(None)
            self.view.deleteLater()
        self.view = ClipView(shown, self)
        self._layout.addWidget(self.view)
        self.hint.hide()
        self.view_added.emit(self.view)
