"""The Phrases view: every generated phrase in the document, where it came from, and its reruns.

Lists the phrase records of ``score.provenance["phrases"]`` (see
``app/core/variations.py``) with model, place, seed and random seed; the
chosen phrase's full provenance is shown below. "Regenerate Exactly" runs the
same request again (same notes); "More Like This" runs it with a new random
seed. Both only emit a request; the generation docks act on it.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem,
                               QWidget)

from app.core.generation_settings import source_label
from app.core.score import Score
from app.core.timing import bar_lines
from app.core.variations import phrases
from app.document import Document
from app.ui.generation.boxes import STRETCH, column, row

ID_ROLE = Qt.ItemDataRole.UserRole


def bar_at(score: Score, tick: int) -> int:
    """The 1-based bar number that ``tick`` falls in."""
    lines = bar_lines(score, max(tick + 1, score.end))
    return max((b.number for b in lines if b.tick <= tick), default=1)


def provenance_html(record: dict) -> str:
    """A phrase's provenance as a small table."""
    prov = record.get("provenance", {})
    sliders = prov.get("sliders") or {}
    seed = source_label(prov["seed_source"]) if isinstance(prov.get("seed_source"), dict) else prov.get("seed")
    style = source_label(prov["style_source"]) if isinstance(prov.get("style_source"), dict) else None
    rows = [("Model", prov.get("model")), ("Checkpoint", prov.get("checkpoint")),
            ("sha256", prov.get("checkpoint_sha256")), ("Seed", seed or "none"),
            ("Sliders", ", ".join(f"{k} {v}" for k, v in sliders.items()) or "model defaults"),
            ("Style song", style if style and style != "nothing" else None), ("Bars", prov.get("bars")),
            ("Random seed", prov.get("random_seed")),
            ("Variation", f"{prov.get('variation', '?')} of {prov.get('variations', '?')}"),
            ("Device", prov.get("device"))]
    cells = "".join(f"<tr><td style='color:#868c96;padding-right:6px'>{name}</td><td>{escape(str(value))}</td></tr>"
                    for name, value in rows if value not in (None, ""))
    return f"<table cellspacing='0'>{cells}</table>"


class PhrasesView(QWidget):
    """The document's phrases and their provenance."""

    regenerate_requested = Signal(dict, bool)  # provenance, exact (False: more like this)

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

    def records(self) -> list[dict]:
        return phrases(self.doc.score)

    @Slot()
    def refresh(self) -> None:
        """Rebuild the list from the score (when its phrases or meters changed), keeping the chosen phrase."""
        shown = (self.records(), self.doc.score.time_signatures, self.doc.score.ppq)
        if shown == self._shown:
            return
        self._shown = shown
        current = self.current()
        keep = current["id"] if current else None
        score = self.doc.score
        self.tree.blockSignals(True)
        self.tree.clear()
        for record in self.records():
            prov = record["provenance"]
            first, last = bar_at(score, int(record.get("start", 0))), bar_at(score, max(0, int(record.get("end", 1)) - 1))
            seed = source_label(prov["seed_source"]) if isinstance(prov.get("seed_source"), dict) else prov.get("seed")
            item = QTreeWidgetItem([record["id"], str(prov.get("model", "?")), f"{first}–{last}",
                                    str(seed or "none"), str(prov.get("random_seed", ""))])
            item.setData(0, ID_ROLE, record["id"])
            self.tree.addTopLevelItem(item)
            if record["id"] == keep:
                self.tree.setCurrentItem(item)
        if self.tree.currentItem() is None and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(self.tree.topLevelItemCount() - 1))
        self.tree.blockSignals(False)
        self._show_current()

    def current(self) -> dict | None:
        item = self.tree.currentItem()
        wanted = item.data(0, ID_ROLE) if item is not None else None
        return next((r for r in self.records() if r["id"] == wanted), None)

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
        record = self.current()
        if record is not None:
            self.regenerate_requested.emit(dict(record["provenance"]), exact)
