"""Choosing the model: bundled and user models, each with its model card.

The card says what the model was trained on, its size, its held-out metrics
and what it is good for (``app/core/model_cards.py``). A model whose
generator cannot be used (its package fails to import) is listed but
disabled, with the reason as its tooltip.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.core.model_cards import summarize_card
from app.services.generation import ModelInfo
from app.ui.generation.boxes import column

NAME_ROLE = Qt.ItemDataRole.UserRole


def card_html(info: ModelInfo) -> str:
    """The card as a few labelled lines of rich text."""
    if info.problem:
        return f"<span style='color:#e0605a'>{escape(info.problem)}</span>"
    card = summarize_card(info.card, info.weights_bytes)
    rows = (("Trained on", card.trained_on), ("Size", card.size), ("Held-out", card.metrics),
            ("Good for", card.good_for))
    lines = "".join(f"<tr><td style='color:#868c96;padding-right:6px'>{label}</td><td>{escape(text)}</td></tr>"
                    for label, text in rows)
    origin = "bundled" if info.bundled else "your model"
    return (f"<div style='color:#a9b0ba'>{escape(info.arch)} · {origin}</div>"
            f"<table cellspacing='0'>{lines}</table>")


class ModelPicker(QWidget):
    """A combo of the models and the chosen one's card."""

    model_chosen = Signal(object)  # ModelInfo

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models: list[ModelInfo] = []
        self.combo = QComboBox(self)
        self.combo.setPlaceholderText("Looking for models…")
        self.card = QLabel(self)
        self.card.setWordWrap(True)
        self.card.setTextFormat(Qt.TextFormat.RichText)
        self.card.setObjectName("card")
        column(self.combo, self.card, spacing=3, parent=self)
        self.combo.currentIndexChanged.connect(self._on_combo_current_index_changed)

    def set_models(self, models: list[ModelInfo], current: str = "") -> None:
        """List ``models`` (bundled first), keeping ``current`` (or the present choice) selected."""
        keep = current or (self.current().name if self.current() else "")
        self._models = list(models)
        self.combo.blockSignals(True)
        self.combo.clear()
        items: QStandardItemModel = self.combo.model()
        for info in self._models:
            self.combo.addItem(info.name if info.bundled else f"{info.name} (yours)", info.name)
            item = items.item(self.combo.count() - 1)
            tip = info.problem or str(info.card.get("description", ""))
            item.setToolTip(tip)
            item.setEnabled(info.problem is None)
        usable = [m.name for m in self._models if m.problem is None]
        index = self.combo.findData(keep if keep in usable else (usable[0] if usable else ""))
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        self._on_combo_current_index_changed(self.combo.currentIndex())

    def current(self) -> ModelInfo | None:
        name = self.combo.currentData()
        return next((m for m in self._models if m.name == name), None)

    def select(self, name: str) -> bool:
        """Choose the model called ``name``; False when it is not listed."""
        index = self.combo.findData(name)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        return index >= 0

    @Slot(int)
    def _on_combo_current_index_changed(self, _index: int) -> None:
        info = self.current()
        self.card.setText(card_html(info) if info else "No model is installed.")
        self.card.setToolTip(str(info.card.get("description", "")) if info else "")
        if info is not None:
            self.model_chosen.emit(info)
