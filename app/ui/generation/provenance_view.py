"""The Phrases view: every generated phrase in the document, where it came from, and its reruns.

Lists the document's phrases (``app.core.provenance.Phrase``, recorded by
``app/core/variations.py``) with model, place, seed and random seed; the
chosen phrase's full provenance is shown below, options by their labels in
the options table. "Regenerate Exactly" runs the
same request again (same notes); "More Like This" runs it with a new random
seed. Both only emit a request; the generation docks act on it.
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPushButton, QSizePolicy, QTreeWidget,
                               QTreeWidgetItem, QWidget)

from app.core.generation_settings import source_label
from app.core.provenance import Phrase, Provenance
from app.core.score import Score
from app.core.timing import bar_lines
from app.core.variations import phrases
from app.document import Document
from app.ui.generation.boxes import STRETCH, column, row
from app.ui.pianoroll.keyboard import pitch_name
from models.common.options import BY_NAME

ID_ROLE = Qt.ItemDataRole.UserRole


def bar_at(score: Score, tick: int) -> int:
    """The 1-based bar number that ``tick`` falls in."""
    lines = bar_lines(score, max(tick + 1, score.end))
    return max((b.number for b in lines if b.tick <= tick), default=1)


def _number(value: Any) -> str:
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{pitch_name(value[0])}–{pitch_name(value[1])}"  # a track's pitch range: 'E2–G3'
    return f"{value:g}" if isinstance(value, float) else str(value)


def options_text(options: Mapping[str, Any]) -> str:
    """'Temperature 1.2, Top-k off': each option by its label in the table."""
    parts = []
    for name, value in options.items():
        option = BY_NAME.get(name)
        label = option.label if option is not None else name.replace("_", " ")
        if isinstance(value, Mapping):
            value = ", ".join(f"{track} {_number(v)}" for track, v in value.items())
        elif option is not None and option.off_value is not None and value == option.off_value:
            value = "off"
        parts.append(f"{label} {_number(value)}")
    return ", ".join(parts)


def seed_name(provenance: Provenance) -> str:
    """Where the seed came from (its source), else its title, else 'none'."""
    if provenance.seed_source is not None:
        return source_label(provenance.seed_source)
    return provenance.seed or "none"


def provenance_html(phrase: Phrase) -> str:
    """A phrase's provenance as a small table."""
    prov = phrase.provenance
    style = source_label(prov.style_source) if prov.style_source is not None else None
    rows = [("Model", prov.model), ("Checkpoint", prov.checkpoint), ("sha256", prov.checkpoint_sha256),
            ("Seed", seed_name(prov)), ("Options", options_text(prov.options) or "model defaults"),
            ("Style song", style if style and style != "nothing" else None), ("Bars", prov.bars),
            ("Tokens", prov.tokens), ("Random seed", prov.random_seed),
            ("Variation", f"{prov.variation or '?'} of {prov.variations or '?'}"), ("Device", prov.device)]
    cells = "".join(f"<tr><td style='color:#868c96;padding-right:6px'>{name}</td><td>{escape(str(value))}</td></tr>"
                    for name, value in rows if value not in (None, ""))
    return f"<table cellspacing='0'>{cells}</table>"


class PhrasesView(QWidget):
    """The document's phrases and their provenance."""

    regenerate_requested = Signal(object, bool)  # Provenance, exact (False: more like this)

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._shown: tuple | None = None
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Phrase", "Model", "Bars", "Seed", "Random seed"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # a checkpoint path or sha256 is one long unbreakable line: it is cut at the dock's edge (the whole
        # text stays selectable), never allowed to widen the dock column and squeeze the piano roll
        self.details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.exact_button = QPushButton("Regenerate Exactly", self)
        self.exact_button.setToolTip("The same request again: the same notes, into the Variations gallery")
        self.more_button = QPushButton("More Like This", self)
        self.more_button.setToolTip("The same settings with a new random seed")
        column((self.tree, 1), self.details, row(self.exact_button, self.more_button, STRETCH),
               margins=(2, 2, 2, 2), parent=self)
        self.tree.currentItemChanged.connect(lambda *_: self._show_current())
        self.exact_button.clicked.connect(lambda: self._request(True))
        self.more_button.clicked.connect(lambda: self._request(False))
        doc.changed.connect(self.refresh)
        self.refresh()

    def records(self) -> list[Phrase]:
        return phrases(self.doc.score)

    @Slot()
    def refresh(self) -> None:
        """Rebuild the list from the score (when its phrases or meters changed), keeping the chosen phrase."""
        shown = (self.records(), self.doc.score.time_signatures, self.doc.score.ppq)
        if shown == self._shown:
            return
        self._shown = shown
        current = self.current()
        keep = current.id if current else None
        score = self.doc.score
        self.tree.blockSignals(True)
        self.tree.clear()
        for phrase in self.records():
            prov = phrase.provenance
            first, last = bar_at(score, phrase.start), bar_at(score, max(0, phrase.end - 1))
            random_seed = "" if prov.random_seed is None else str(prov.random_seed)
            item = QTreeWidgetItem([phrase.id, prov.model or "?", f"{first}–{last}", seed_name(prov), random_seed])
            item.setData(0, ID_ROLE, phrase.id)
            self.tree.addTopLevelItem(item)
            if phrase.id == keep:
                self.tree.setCurrentItem(item)
        if self.tree.currentItem() is None and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(self.tree.topLevelItemCount() - 1))
        self.tree.blockSignals(False)
        self._show_current()

    def current(self) -> Phrase | None:
        item = self.tree.currentItem()
        wanted = item.data(0, ID_ROLE) if item is not None else None
        return next((p for p in self.records() if p.id == wanted), None)

    def select(self, phrase_id: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(index).data(0, ID_ROLE) == phrase_id:
                self.tree.setCurrentItem(self.tree.topLevelItem(index))

    def _show_current(self) -> None:
        record = self.current()
        self.details.setText(provenance_html(record) if record else
                             "Inserted variations are listed here with the model, seed and settings that made them.")
        for button in (self.exact_button, self.more_button):
            button.setEnabled(record is not None)

    def _request(self, exact: bool) -> None:
        phrase = self.current()
        if phrase is not None:
            self.regenerate_requested.emit(phrase.provenance, exact)
