"""Regenerate Selection (Ctrl+R) and Continue from the Playhead: which bars, and whether the model can.

Regenerate Selection takes the bars holding the piano roll's selected notes,
on their track, or else the bars of the loop region (the ruler's time range)
on every track, and asks the chosen model for the panel's Variations of
them, each the whole score with only those bars rewritten
(``app.services.regions``). Only a model whose spec says ``infill`` can: for
any other the action is disabled, and its tooltip names one that can.
Continue from the Playhead fills the panel's Length in bars from the
playhead's bar: an infill model rewrites those bars with the music after
them in view; any other model continues the score up to them. Both run in
the generation worker, and their variations go to the gallery.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction

from app.document import Document
from app.services.generation import GenerationService, ModelInfo
from app.services.regions import Region, bar_start, continue_region, seed_before, selection_region
from app.ui.generation.panel import GenerationPanel

REGENERATE_TIP = "Regenerate the selected bars on their track (or the loop region on every track) (Ctrl+R)"
NOTHING_SELECTED = "Select some notes, or Shift+drag a time range on the ruler, then regenerate the selection."


class RegionRuns(QObject):
    """The two actions' logic for one window (see module doc)."""

    status_message = Signal(str)

    def __init__(self, panel: GenerationPanel, service: GenerationService, doc: Document, roll,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.service, self.doc, self.roll = panel, service, doc, roll
        self.regenerate_action: QAction | None = None
        panel.models.model_chosen.connect(self._on_models_model_chosen)
        service.models_changed.connect(lambda _models: self.update_actions())

    def bind(self, regenerate: QAction) -> None:
        """Keep ``regenerate`` enabled only while the chosen model can regenerate a selection."""
        self.regenerate_action = regenerate
        self.update_actions()

    # -- what to regenerate ---------------------------------------------------------------------
    def selection(self) -> Region | None:
        """The bars to regenerate now: those of the selected notes on their track, else of the time range."""
        notes = self.roll.selected_notes()
        return selection_region(self.doc.score, {self.doc.active_track: notes} if notes else {},
                                self.roll.loop_region())

    def cannot_infill(self, info: ModelInfo | None) -> str | None:
        """Why the chosen model cannot regenerate a selection (naming one that can), or None when it can."""
        if info is not None and info.spec is not None and info.spec.infill and not info.problem:
            return None
        able = next((m for m in self.service.models if m.spec is not None and m.spec.infill and not m.problem), None)
        name = info.name if info is not None else "chosen"
        if able is None:
            return (f"The {name} model only continues a seed, and no installed model can regenerate a "
                    "selection (train a Music Transformer).")
        return (f"The {name} model only continues a seed; choose {able.name} in the Generate panel to "
                "regenerate a selection.")

    # -- the actions --------------------------------------------------------------------------------
    def regenerate_selection(self) -> bool:
        """Regenerate the selection's bars as the panel's Variations (False, with a message, when it cannot)."""
        info = self.panel.models.current()
        if info is not None and (why := self.cannot_infill(info)):
            return self._say(why)
        region = self.selection()
        if region is None:
            return self._say(NOTHING_SELECTED)
        return self.panel.generate_region(region, self.doc.score)

    def continue_from_playhead(self) -> bool:
        """Fill the panel's Length in bars from the playhead's bar with the chosen model."""
        info = self.panel.models.current()
        infill = info is not None and self.cannot_infill(info) is None
        score = self.doc.score
        region = continue_region(score, self.roll.playhead(), self.panel.controls.state().bars, infill)
        seed = score if infill else seed_before(score, bar_start(score, region.first_bar))
        return self.panel.generate_region(region, seed)

    def update_actions(self) -> None:
        action = self.regenerate_action
        if action is None:
            return
        why = self.cannot_infill(self.panel.models.current()) if self.service.scanned else None
        action.setEnabled(why is None)
        action.setToolTip(why or REGENERATE_TIP)
        action.setStatusTip(why or "")

    def _say(self, message: str) -> bool:
        self.status_message.emit(message)
        return False

    @Slot(object)
    def _on_models_model_chosen(self, _info: ModelInfo) -> None:
        self.update_actions()
