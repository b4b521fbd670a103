"""Choosing the seed a model continues: a bundled seed, a file, or the piano roll's selection.

The bundled seeds are listed by style with a search field; the ▶ cell of a
row auditions that seed with one click, and choosing a row makes it the
seed. The chosen seed is shown below as a small piano roll. The picker only
reports choices (as source records, see ``app/core/generation_settings.py``);
the panel reads the files in a worker and hands the score back to show.
"""

from __future__ import annotations

from typing import Any, Mapping

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHeaderView, QLabel, QLineEdit,
                               QToolButton, QTreeWidget, QTreeWidgetItem, QWidget)

from app.core.generation_settings import NO_SOURCE, bundled_source, file_source, source_label
from app.core.score import Score
from app.core.seeds import STYLES, Seed, list_seeds
from app.core.variations import score_key
from app.services.files import OPEN_EXTS, OPEN_FILTER
from app.ui.generation.boxes import STRETCH, column, row
from app.ui.generation.mini_roll import MiniRoll

PLAY, TITLE, STYLE, BARS, KEY = range(5)
SPEC_ROLE = Qt.ItemDataRole.UserRole


def seed_matches(seed: Seed, style: str, text: str) -> bool:
    """Whether ``seed`` is of ``style`` ('' for any) and mentions every word of ``text``."""
    haystack = " ".join((seed.name, seed.title, seed.description, seed.key or "", seed.meter, seed.style)).lower()
    return (not style or seed.style == style) and all(word in haystack for word in text.lower().split())


def _changes(names: list[str]) -> str:
    """``names`` in order, repeats in a row dropped: ``4/4``, ``4/4 → 3/4``, or ``4/4 → … → 3/4``."""
    chain = [name for i, name in enumerate(names) if i == 0 or name != names[i - 1]]
    return " → ".join(chain if len(chain) <= 2 else (chain[0], "…", chain[-1]))


def maps_text(score: Score) -> str:
    """The seed's meter and key as a musician reads them: the opening ones and, where they change, the ones in
    force at the end, where a generation goes on (``4/4 → 3/4, C major → G major``)."""
    meters = _changes([f"{s.numerator}/{s.denominator}" for s in score.time_signatures])
    keys = [k.key for k in score.keys] if len(score.keys) > 1 else [key] if (key := score_key(score)) else []
    return ", ".join(filter(None, (meters, _changes(keys) if keys else "")))


class SeedPicker(QWidget):
    """The seed browser, the file and selection buttons, and the preview."""

    source_chosen = Signal(object)  # a source record
    audition_requested = Signal(object)  # a source record
    selection_requested = Signal()
    preview_shown = Signal()  # the preview shows the chosen seed (or why it cannot be read)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source: dict[str, Any] = dict(NO_SOURCE)
        self.style = QComboBox(self)
        self.style.addItem("All styles", "")
        for style in STYLES:
            self.style.addItem(style.capitalize(), style)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search seeds")
        self.search.setClearButtonEnabled(True)
        self.tree = self._make_tree()
        self.file_button = self._button("File…", "Continue a MIDI, ABC, MusicXML or project file")
        self.selection_button = self._button("Use Selection", "Continue the notes selected in the piano roll")
        self.clear_button = self._button("No Seed", "Let the model start from nothing")
        self.preview = MiniRoll(self, 52)
        self.label = QLabel("No seed: the model starts from nothing.", self)
        self.label.setObjectName("hint")
        self.label.setWordWrap(True)
        self._lay_out()
        self.style.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        self.tree.itemActivated.connect(self._on_tree_item_clicked)
        self.file_button.clicked.connect(self._on_file_button_clicked)
        self.selection_button.clicked.connect(self.selection_requested)
        self.clear_button.clicked.connect(lambda: self.choose(dict(NO_SOURCE)))
        self._fill()

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        return button

    def _make_tree(self) -> QTreeWidget:
        tree = QTreeWidget(self)
        tree.setColumnCount(5)
        tree.setHeaderLabels(["", "Seed", "Style", "Bars", "Key"])
        tree.setRootIsDecorated(False)
        tree.setAlternatingRowColors(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setUniformRowHeights(True)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        for section in (PLAY, STYLE, BARS, KEY):
            header.setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
        tree.setFixedHeight(tree.fontMetrics().height() * 9)
        return tree

    def _lay_out(self) -> None:
        column(row(self.style, (self.search, 1)), self.tree,
               row(self.file_button, self.selection_button, self.clear_button, STRETCH),
               self.preview, self.label, parent=self)

    def _fill(self) -> None:
        for seed in list_seeds():
            item = QTreeWidgetItem(["▶", seed.title, seed.style, str(seed.bars), seed.key or "drums"])
            item.setData(TITLE, SPEC_ROLE, seed.spec)
            item.setToolTip(PLAY, f"Listen to {seed.title}")
            item.setToolTip(TITLE, f"{seed.description}\n{seed.meter}, {seed.bars} bars — {seed.source}")
            item.setTextAlignment(PLAY, Qt.AlignmentFlag.AlignCenter)
            item.setTextAlignment(BARS, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(PLAY, SPEC_ROLE, seed)
            self.tree.addTopLevelItem(item)

    @Slot()
    def _filter(self) -> None:
        style, text = self.style.currentData() or "", self.search.text()
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            item.setHidden(not seed_matches(item.data(PLAY, SPEC_ROLE), style, text))

    def visible_seeds(self) -> list[str]:
        """The ``seed:NAME`` of every row the filter shows."""
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [item.data(TITLE, SPEC_ROLE) for item in items if not item.isHidden()]

    # -- choosing ------------------------------------------------------------------
    def source(self) -> dict[str, Any]:
        return dict(self._source)

    def choose(self, source: Mapping[str, Any]) -> None:
        """Make ``source`` the seed (the panel then reads it and calls :meth:`show_preview`)."""
        self._source = dict(source)
        spec = source.get("spec") if source.get("kind") == "seed" else None
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(TITLE, SPEC_ROLE) == spec:
                self.tree.setCurrentItem(item)
                break
        else:
            self.tree.clearSelection()
        if source.get("kind", "none") == "none":
            self.show_preview(None)
        else:
            self.label.setText(f"Reading {source_label(source)}…")
        self.source_chosen.emit(self.source())

    def show_preview(self, score: Score | None, problem: str = "") -> None:
        """Show the chosen seed's notes and a line about it (or why it cannot be read)."""
        self.preview.set_score(score, hint="No seed" if not problem else "Unreadable")
        if problem:
            self.label.setText(problem)
        elif score is None:
            self.label.setText("No seed: the model starts from nothing.")
        else:
            title = score.title or source_label(self._source)
            self.label.setText(f"{title} — {score.note_count} notes, {maps_text(score)}")
        self.preview_shown.emit()

    def ask_file(self) -> str:
        """A file to continue (tests replace this)."""
        path, _ = QFileDialog.getOpenFileName(self, "Seed file", "", OPEN_FILTER)
        return path

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        source = bundled_source(item.data(TITLE, SPEC_ROLE))
        if column == PLAY:  # listening is not choosing
            self.audition_requested.emit(source)
        elif source != self._source:
            self.choose(source)

    @Slot()
    def _on_file_button_clicked(self) -> None:
        path = self.ask_file()
        if path and path.lower().endswith(OPEN_EXTS):
            self.choose(file_source(path))
