"""The small editor of a tempo, meter or key change: its kind, then a BPM, a meter or a key.

Opened by a double-click on the ruler's marker lane (a new change: any kind)
or on a marker, or from a marker's right-click menu (that change: its kind is
fixed, and Remove is offered unless it is the opening one). It only asks; the
ruler turns the answer into one undoable command.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLabel, QSpinBox, QStackedWidget, QWidget)

from app.core.keys import key_from_fifths, normalize_key

KIND_NAMES = {"tempo": "Tempo", "meter": "Meter", "key": "Key"}
DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)
MIN_BPM, MAX_BPM = 20.0, 400.0  # as the transport's tempo box


def key_names() -> list[str]:
    """Every major key then every minor key, flats to sharps ("Cb major" ... "C# major", "Ab minor" ...)."""
    return [key_from_fifths(f, mode) for mode in ("major", "minor") for f in range(-7, 8)]


class MarkerDialog(QDialog):
    """Asks for one change. It opens on ``kind``; ``values`` holds each kind's value to start from (those
    in force there); ``fixed``: an existing change, whose kind cannot change; ``removable``: offer Remove
    (then :attr:`removed` is true after it closes with Accepted)."""

    def __init__(self, kind: str, values: dict, where: str, fixed: bool = False, removable: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit Change" if fixed else "Add Change")
        self.removed = False
        form = QFormLayout(self)
        form.addRow(QLabel(where))
        self.kind_box = QComboBox()
        self.kind_box.addItems(list(KIND_NAMES.values()))
        self.kind_box.setToolTip("What changes here: the tempo, the meter or the key")
        self.kind_box.setEnabled(not fixed)
        form.addRow("Change", self.kind_box)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._tempo_page())
        self.stack.addWidget(self._meter_page())
        self.stack.addWidget(self._key_page())
        form.addRow("Value", self.stack)
        self.kind_box.currentIndexChanged.connect(self.stack.setCurrentIndex)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        if removable:
            remove = buttons.addButton("Remove", QDialogButtonBox.ButtonRole.DestructiveRole)
            remove.setToolTip("Take this change away: what comes before it goes on")
            remove.clicked.connect(self._remove)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        for name, value in values.items():
            self.set_value(name, value)
        self.kind_box.setCurrentIndex(list(KIND_NAMES).index(kind))

    def _tempo_page(self) -> QWidget:
        self.bpm = QDoubleSpinBox()
        self.bpm.setRange(MIN_BPM, MAX_BPM)
        self.bpm.setDecimals(1)
        self.bpm.setSuffix(" BPM")
        self.bpm.setToolTip("Quarter notes a minute from here on")
        return self.bpm

    def _meter_page(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        self.numerator = QSpinBox()
        self.numerator.setRange(1, 64)
        self.numerator.setToolTip("Beats in a bar")
        self.denominator = QComboBox()
        self.denominator.addItems([str(d) for d in DENOMINATORS])
        self.denominator.setToolTip("The note value of one beat (4: a quarter note)")
        row.addWidget(self.numerator)
        row.addWidget(QLabel("/"))
        row.addWidget(self.denominator)
        return page

    def _key_page(self) -> QWidget:
        self.key = QComboBox()
        self.key.addItems(key_names())
        self.key.setToolTip("The key from here on")
        return self.key

    def set_value(self, kind: str, value) -> None:
        """Put ``value`` (bpm, ``(numerator, denominator)`` or a key name) in ``kind``'s fields."""
        if kind == "tempo":
            self.bpm.setValue(float(value))
        elif kind == "meter":
            self.numerator.setValue(int(value[0]))
            self.denominator.setCurrentIndex(DENOMINATORS.index(int(value[1])))
        else:
            name = normalize_key(value)
            if self.key.findText(name) < 0:  # a mode ("D dorian") is kept as it is
                self.key.addItem(name)
            self.key.setCurrentText(name)

    def kind(self) -> str:
        return list(KIND_NAMES)[self.kind_box.currentIndex()]

    def value(self):
        """What was chosen for :meth:`kind`: bpm (float), ``(numerator, denominator)`` or a key name."""
        kind = self.kind()
        if kind == "tempo":
            return round(self.bpm.value(), 1)
        if kind == "meter":
            return self.numerator.value(), DENOMINATORS[self.denominator.currentIndex()]
        return self.key.currentText()

    def _remove(self) -> None:
        self.removed = True
        self.accept()
