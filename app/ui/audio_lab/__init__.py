"""The Audio Lab dock: sound restyled, varied, continued and augmented (see :mod:`app.services.audio_lab`).

:class:`AudioLabDock` puts the lab in a dock of its own in the main window,
tabbed with Generate and hidden until View > Audio Lab shows it; the panel (pyqtgraph, numpy) is built
the first time the dock is shown, or when :attr:`AudioLabDock.panel` is
first read. It renders with the player's synth and offers the gallery's
variations as sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QWidget

if TYPE_CHECKING:
    from app.ui.audio_lab.panel import AudioLabPanel


class AudioLabDock(QObject):
    """The Audio Lab of one window: its dock, and its panel once built."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.dock = dock = QDockWidget("Audio Lab", window)
        dock.setObjectName("dock_audio_lab")
        dock.setWidget(QWidget())  # the panel replaces this when first shown
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self._panel: AudioLabPanel | None = None
        window.tabifyDockWidget(window.docks["generate"], dock)
        dock.hide()  # the View menu shows it (a saved window state may show it again)
        dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        dock.toggleViewAction().toggled.connect(self._on_dock_toggled)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)

    @property
    def panel(self) -> AudioLabPanel:
        """The lab's panel (built now if it is not yet)."""
        if self._panel is None:
            from app.services.audio_lab import AudioLabService
            from app.ui.audio_lab.panel import AudioLabPanel

            window = self.window
            service = AudioLabService(window.runner, window.player.synth, window.player.playback_rate, window)
            self._panel = AudioLabPanel(service, self.renderable)
            self._panel.status_message.connect(lambda words: window.statusBar().showMessage(words, 8000))
            self.dock.setWidget(self._panel)
        return self._panel

    def renderable(self) -> list[tuple[str, object]]:
        """The score, then the gallery's variations (when the gallery is built), as (name, Score)."""
        window = self.window
        found = [("The score", window.doc.score)]
        if "generation" in getattr(window, "_parts", {}):
            for number, card in enumerate(window.generation_ui.gallery.cards(), 1):
                found.append((f"Variation {number}", card.score))
        return found

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            _ = self.panel

    def _on_dock_toggled(self, shown: bool) -> None:
        """View > Audio Lab: the panel is built, and its tab brought to the front."""
        if shown:
            _ = self.panel
            self.dock.raise_()

    def shutdown(self) -> None:
        """On close: the panel stops playing and its work is cancelled."""
        if self._panel is not None:
            self._panel.shutdown()
