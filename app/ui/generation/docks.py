"""The generation side of the window: the Generation panel, the Variations gallery and the Phrases view,
Regenerate Selection / Continue from the Playhead (``regions``) and Add a Band (``band``).

:class:`GenerationDocks` makes the three widgets for one window and connects
them to the window's :class:`~app.services.generation.GenerationService`;
the main window only puts them in docks.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from app.core.provenance import Provenance
from app.document import Document
from app.services.generation import GenerationService
from app.services.player import Player
from app.settings import Settings
from app.tasks import TaskRunner
from app.ui.generation.add_band import AddBand
from app.ui.generation.gallery import VariationsGallery
from app.ui.generation.panel import GenerationPanel
from app.ui.generation.provenance_view import PhrasesView
from app.ui.generation.region_runs import RegionRuns


class GenerationDocks(QObject):
    """Panel, gallery and phrases of one window, wired together."""

    status_message = Signal(str)

    def __init__(self, service: GenerationService, doc: Document, roll, player: Player, settings: Settings,
                 runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.gallery = VariationsGallery(doc, roll, player, settings, runner)
        self.panel = GenerationPanel(service, doc, roll, settings, self.gallery.audition)
        self.phrases = PhrasesView(doc)
        self.regions = RegionRuns(self.panel, service, doc, roll, self)
        self.band = AddBand(service, doc, roll, self)
        self.gallery.auto_audition = self.panel.audition_button.isChecked()
        self.panel.audition_button.toggled.connect(lambda on: setattr(self.gallery, "auto_audition", on))
        service.variations_ready.connect(self.gallery.show_variations)
        self.phrases.regenerate_requested.connect(self._on_phrases_regenerate_requested)
        self.gallery.status_message.connect(self.status_message)
        self.regions.status_message.connect(self.status_message)
        self.band.status_message.connect(self.status_message)

    @Slot(object, bool)
    def _on_phrases_regenerate_requested(self, provenance: Provenance, exact: bool) -> None:
        if exact:
            self.service.regenerate(provenance, exact=True)
        else:
            self.panel.more_like(provenance)  # the same path, and the panel shows the settings

    def shutdown(self) -> None:
        """On close: no more debounced runs, the audition stops, the service goes quiet."""
        self.panel.debounce.stop()
        self.gallery.audition.stop()
        self.band.cancel()
        self.service.shutdown()
