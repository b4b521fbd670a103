"""The Variations gallery: every generated variation as a card, ready to hear, keep or take in.

New variations replace the previous ones except those starred. A variation
made for some bars (Regenerate Selection, Continue from the Playhead: its
provenance holds the region, see ``app/services/regions.py``) shows those
bars, is auditioned in place with a bar around it, and Insert puts it into
those bars (replacing what the selection held). Inserting a
variation (on the bar line nearest the playhead unless snap is off) is one
undoable command (``ReplaceScoreCommand``) whose score is built by
``app/core/variations.py``, which also records the phrase and its provenance
in the score. Export runs ``export_file`` in a worker; dragging a
card's ⇲ MIDI button drops a .mid file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from app.commands import ReplaceScoreCommand
from app.core.score import Score
from app.core.errors import GenerationError
from app.core.variations import insert_as_new_tracks, insert_at, phrase_label, replace_selection
from app.document import Document
from app.services.files import export_file
from app.services.player import Player
from app.services.regions import CONTINUE, Region, bar_start, in_place, place_region, preview, region_of, span
from app.settings import Settings
from app.tasks import TaskKind, TaskRunner
from app.ui.generation.audition import Audition
from app.ui.generation.boxes import column, row
from app.ui.generation.variation_card import VariationCard
from app.ui.pianoroll.grid import nearest_bar_line

EMPTY = "No variations yet: pick a seed and a model, then Generate (Ctrl+G)."


class VariationsGallery(QWidget):
    """Cards of the generated variations (see module doc)."""

    status_message = Signal(str)
    inserted = Signal(object)  # the inserted variation's Score

    def __init__(self, doc: Document, roll, player: Player, settings: Settings, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.roll, self.settings, self.runner = doc, roll, settings, runner
        self.audition = Audition(player, doc, roll, self)
        self.auto_audition = False
        self.header = QLabel(EMPTY, self)
        self.header.setWordWrap(True)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Remove every variation that is not starred")
        self._list = QWidget()
        self._column = QVBoxLayout(self._list)
        self._column.setContentsMargins(2, 2, 2, 2)
        self._column.setSpacing(6)
        self._column.addStretch(1)
        self._pending: list[Score] = []  # variations whose cards are built in the next event-loop turns
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_pending)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._list)
        column(row((self.header, 1), self.clear_button), (scroll, 1), margins=(2, 2, 2, 2), parent=self)
        self.clear_button.clicked.connect(lambda: self.show_variations([]))
        self.audition.playing_changed.connect(self._on_audition_playing_changed)
        self.audition.position_changed.connect(self._on_audition_position_changed)

    # -- cards ---------------------------------------------------------------------------
    def cards(self) -> list[VariationCard]:
        """Every card (those still waiting to be built are built now)."""
        self._build_pending(everything=True)
        return self._built()

    def _built(self) -> list[VariationCard]:
        return [self._column.itemAt(i).widget() for i in range(self._column.count() - 1)]

    @Slot(list)
    def show_variations(self, scores: list[Score]) -> None:
        """Show ``scores`` after the starred cards (the others go); audition the first if asked to.

        The first card is built at once (it is the one auditioned); the others
        one per event-loop turn, so sixteen cards never freeze the window.
        """
        self._pending = []
        for card in self._built():
            if not card.starred:
                self._remove(card)
        if scores:
            first = self._add(scores[0])
            self._pending = list(scores[1:])
            self._build_timer.start()
            if self.auto_audition:
                self.play(first)
        self._count_changed(len(self._built()) + len(self._pending))

    def _build_pending(self, everything: bool = False) -> None:
        while self._pending:
            self._add(self._pending.pop(0))
            if not everything:
                break
        if self._pending:
            self._build_timer.start()

    def _count_changed(self, count: int) -> None:
        self.header.setText(f"{count} variation{'s' * (count != 1)}" if count else EMPTY)

    def _add(self, score: Score) -> VariationCard:
        region = region_of(score)
        if region is None:
            card = VariationCard(score, self._list)
        else:
            where = f"from bar {region.first_bar + 1}" if region.mode == CONTINUE else region.words()
            card = VariationCard(score, self._list, preview(score, region), where)
        card.play_clicked.connect(self.play)
        card.compare_clicked.connect(self.compare)
        card.insert_clicked.connect(self.insert)
        card.export_clicked.connect(self.export)
        card.delete_clicked.connect(self._remove)
        self._column.insertWidget(self._column.count() - 1, card)
        return card

    def _remove(self, card: VariationCard) -> None:
        if self.audition.key is card:
            self.audition.stop()
        self._column.removeWidget(card)
        card.deleteLater()
        self._count_changed(len(self._built()) + len(self._pending))

    # -- listening ------------------------------------------------------------------------
    def play(self, card: VariationCard) -> None:
        region = region_of(card.score)
        if region is None:
            self.audition.play(card, card.score)
        else:
            self.audition.play_in_place(card, *self._in_place(card.score, region))

    def compare(self, card: VariationCard) -> None:
        """A/B against the sketch: in place for a variation of some bars, else from the selection or playhead."""
        region = region_of(card.score)
        if region is None:
            self.audition.compare(card, card.score)
        else:
            self.audition.compare_in_place(card, *self._in_place(card.score, region))

    def _in_place(self, variation: Score, region: Region) -> tuple[Score, int, int, int]:
        """The sketch with the variation put in, and the ticks to hear: a bar before the region to a bar
        after it; the region's first tick (where the card's roll starts)."""
        score = self.doc.score
        placed = in_place(score, variation, region, self.doc.active_track)
        start, _end = span(placed, region)
        return (placed, bar_start(placed, max(0, region.first_bar - 1)), bar_start(placed, region.last_bar + 1),
                start)

    @Slot(object, str)
    def _on_audition_playing_changed(self, key, side: str) -> None:
        for card in self._built():
            card.set_playing(side if card is key else None)

    @Slot(object, int)
    def _on_audition_position_changed(self, key, tick: int) -> None:
        if isinstance(key, VariationCard) and key in self._built():
            key.roll.set_position(tick)

    # -- taking a variation in or out --------------------------------------------------------
    def insert(self, card: VariationCard | Score, mode: str = "playhead") -> bool:
        """Insert into the score as one undoable step: at the playhead, replacing the selection, or as new tracks.

        At the playhead (and as new tracks) the phrase starts on the nearest
        bar line, unless snap is off: then at the playhead's exact tick.
        """
        variation = card.score if isinstance(card, VariationCard) else card
        region = region_of(variation)
        if region is not None and (mode != "selection" or region.mode != CONTINUE):
            return self._insert_region(variation, region, mode)
        doc, tick = self.doc, self.roll.playhead()
        if self.roll.snap() != "off":
            tick = nearest_bar_line(doc.score, tick)
        if mode == "selection":
            selected = self.roll.selected_notes()
            if not selected:
                self.status_message.emit("Select the notes to replace in the piano roll first.")
                return False
            score = replace_selection(doc.score, doc.active_track, selected, variation)
        elif mode == "tracks":
            score = insert_as_new_tracks(doc.score, variation, tick)
        else:
            score = insert_at(doc.score, variation, tick, doc.active_track)
        return self._push(variation, score)

    def _insert_region(self, variation: Score, region: Region, mode: str) -> bool:
        """Put a variation of some bars into those bars (as new tracks there, for that mode): one undo step."""
        doc = self.doc
        start, _end = span(doc.score, region)
        try:
            if mode == "tracks":
                score = insert_as_new_tracks(doc.score, preview(variation, region), start)
            else:
                score = place_region(doc.score, variation, region, doc.active_track)
        except GenerationError as exc:
            self.status_message.emit(str(exc))
            return False
        return self._push(variation, score, f" into {region.words()}")

    def _push(self, variation: Score, score: Score, where: str = "") -> bool:
        """The score with the variation in, as one undoable command."""
        label = phrase_label(variation)
        self.doc.undo_stack.push(ReplaceScoreCommand(self.doc, score, f"Insert {label}{where}"))
        self.status_message.emit(f"Inserted {label}{where}; Ctrl+Z takes it out again.")
        self.inserted.emit(variation)
        return True

    def ask_path(self, suggestion: str, ext: str) -> str:
        """Where to export (tests replace this)."""
        folder = Path(self.settings.last_folder) / suggestion
        kind = "MIDI (*.mid)" if ext == ".mid" else "WAV (*.wav)"
        path, _ = QFileDialog.getSaveFileName(self, "Export variation", str(folder), kind)
        return path

    def export(self, card: VariationCard, ext: str, path: str | None = None):
        """Export one variation as MIDI or WAV in a worker; returns the task (None when no path was chosen)."""
        name = f"Variation {phrase_label(card.score)}".replace(" ", "-")
        path = path or self.ask_path(name + ext, ext)
        if not path:
            return None
        target = Path(path) if Path(path).suffix else Path(path).with_suffix(ext)
        self.status_message.emit(f"Exporting {target.name}…")
        return self.runner.start(TaskKind.GALLERY_EXPORT, export_file, card.score, target, self.settings.soundfont,
                                 self.settings.sample_rate,
                                 on_result=lambda done: self.status_message.emit(done.message()),
                                 on_error=self.status_message.emit)
