"""Choosing the model: bundled, plugin and user checkpoints, each with its model's spec and card.

The model's spec (``models/common/spec.py``) gives its title, what it is and
what it is good for; the checkpoint's card what it was trained on, its size
and its held-out metrics (``app/core/model_cards.py``). A checkpoint whose
model is not installed is listed but disabled, with the reason as its tooltip;
so is a model that cannot take the chosen seed at all (a seed of drums alone
for a model that does not play drums, ``models.common.seed_fit``), and a model
that would leave some of the seed's tracks out says which in its tooltip.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.core.errors import CadenzaError
from app.core.model_cards import summarize_card
from app.core.score import Score
from app.services.generation import ModelInfo
from app.ui.generation.boxes import column
from models.common.seed_fit import fit_seed


def item_text(info: ModelInfo) -> str:
    """A combo entry: the spec's title for a bundled checkpoint, the folder's name for the user's own."""
    if not info.bundled:
        return f"{info.name} (yours)"
    return info.spec.display_name if info.spec is not None else info.name


def good_for(info: ModelInfo) -> str:
    """What the checkpoint is good for: its card's own words, else its model's spec's."""
    own = info.card.get("good_for")
    if isinstance(own, str) and own:
        return own
    if info.spec is not None and info.spec.good_for:
        return info.spec.good_for
    return summarize_card(info.card).good_for


def card_html(info: ModelInfo) -> str:
    """The spec and the card as a few labelled lines of rich text."""
    if info.problem or info.spec is None:
        return f"<span style='color:#e0605a'>{escape(info.problem or '')}</span>"
    spec, card = info.spec, summarize_card(info.card, info.weights_bytes)
    rows = (("Trained on", card.trained_on), ("Size", card.size), ("Held-out", card.metrics),
            ("Good for", good_for(info)))
    lines = "".join(f"<tr><td style='color:#868c96;padding-right:6px'>{label}</td><td>{escape(text)}</td></tr>"
                    for label, text in rows)
    origin = "bundled" if info.bundled else f"your {spec.display_name} model"
    return (f"<div><b>{escape(spec.display_name)}</b> · {escape(spec.architecture)} · {origin}</div>"
            f"<div style='color:#a9b0ba'>{escape(spec.description)}</div>"
            f"<table cellspacing='0'>{lines}</table>")


def refusal(info: ModelInfo, seed: Score | None) -> str | None:
    """Why ``info`` cannot be chosen now (not installed, or it cannot take ``seed``), or None."""
    if info.problem or info.spec is None:
        return info.problem or f"The {info.name} model cannot be used."
    try:
        fit_seed(info.spec, seed)
    except CadenzaError as exc:
        return str(exc)
    return None


def left_out(info: ModelInfo, seed: Score | None) -> str | None:
    """What ``info`` would leave out of ``seed`` (its drums, for a model that does not play them), or None."""
    try:
        return fit_seed(info.spec, seed)[1] if info.spec is not None else None
    except CadenzaError:
        return None


def description(info: ModelInfo | None) -> str:
    """The tooltip: why it cannot be used, else the spec's one line (the card's, for a model without one)."""
    if info is None:
        return ""
    if info.problem:
        return info.problem
    return info.spec.description if info.spec is not None else str(info.card.get("description", ""))


class ModelPicker(QWidget):
    """A combo of the models and the chosen one's card."""

    model_chosen = Signal(object)  # ModelInfo

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models: list[ModelInfo] = []
        self._seed: Score | None = None
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
        for info in self._models:
            self.combo.addItem(item_text(info), info.name)
        usable = self._grey_out()
        index = self.combo.findData(keep if keep in usable else (usable[0] if usable else ""))
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        self._on_combo_current_index_changed(self.combo.currentIndex())

    def set_seed(self, seed: Score | None) -> str | None:
        """Grey out the models that cannot take ``seed``; when the chosen one cannot, choose the first that can
        and return why the other could not (else None)."""
        self._seed = seed
        current = self.current()
        usable = self._grey_out()
        if current is None or current.name in usable:
            return None
        why = refusal(current, seed)
        if usable:
            self.select(usable[0])
        return why

    def why_not(self, info: ModelInfo) -> str | None:
        """Why ``info`` cannot run on the seed now (None when it can)."""
        return refusal(info, self._seed)

    def _grey_out(self) -> list[str]:
        """Enable the items of the models that can be chosen (the others say why in their tooltip); their names."""
        items: QStandardItemModel = self.combo.model()
        usable = []
        for row, info in enumerate(self._models):
            why = refusal(info, self._seed)
            item = items.item(row)
            item.setEnabled(why is None)
            item.setToolTip(why or "\n".join(filter(None, (description(info), left_out(info, self._seed)))))
            if why is None:
                usable.append(info.name)
        return usable

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
        self.card.setToolTip(description(info))
        if info is not None:
            self.model_chosen.emit(info)
