"""A choice option of the table as a combo box; one whose values are open also takes typed ones.

Each item shows a value of the option (capitalised; "seed" reads "From the
seed") and holds the value itself as its data. The key / pitch-class profile
is open: besides its list it takes any key Cadenza reads ("D dorian") or 12
weights of the pitch classes C to B ("2 0 1 0 1 1 0 1 0 1 0 1"), so its box
is editable. A typed value is checked by the table (``choice_value``) when
editing ends: a good one becomes the current item (added to the list when
new) and :attr:`ChoiceBox.picked` fires, as it does for a pick from the list;
a bad one puts the current value back and says the option's range in a
tooltip at the box.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QToolTip, QWidget

from models.common.options import OptionError, OptionSpec, choice_value

OPEN_CHOICES = {  # choice options that take typed values beyond their list: the line edit's hint
    "pitch_profile": "a key, or 12 weights of C to B",
}


def choice_text(value: str) -> str:
    """How a value reads in the box: 'From the seed', 'D major', 'Off'."""
    return "From the seed" if value == "seed" else value[:1].upper() + value[1:]


class ChoiceBox(QComboBox):
    """The values of one choice option (see module doc); ``currentData()`` is the chosen value."""

    picked = Signal()  # the user chose or typed a value

    def __init__(self, option: OptionSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        for value in option.choices:
            self.addItem(choice_text(value), value)
        self.setToolTip(option.tooltip)
        self.activated.connect(self._on_activated)
        if option.name in OPEN_CHOICES:
            self.setEditable(True)
            self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            self.lineEdit().setPlaceholderText(OPEN_CHOICES[option.name])
            self.lineEdit().editingFinished.connect(self._on_line_edit_editing_finished)

    def show_value(self, value) -> None:
        """Make ``value`` current (added to the list when it is not there: a typed key or weights)."""
        index = self.findData(value)
        if index < 0 and isinstance(value, str):
            self.addItem(choice_text(value), value)
            index = self.count() - 1
        self.setCurrentIndex(max(0, index))

    def typed(self, text: str) -> str | None:
        """The option's value ``text`` names (an item's text, or a value the table reads), or None."""
        index = self.findText(text.strip(), Qt.MatchFlag.MatchFixedString)
        return self.itemData(index) if index >= 0 else choice_value(self.option, text)

    @Slot(int)
    def _on_activated(self, _index: int) -> None:
        self.picked.emit()

    @Slot()
    def _on_line_edit_editing_finished(self) -> None:
        text = self.lineEdit().text()
        value = self.typed(text)
        before = self.currentData()
        if value is None:  # the value stays as it was
            self.setEditText(self.itemText(self.currentIndex()))
            QToolTip.showText(self.mapToGlobal(self.rect().bottomLeft()), OptionError(self.option).sentence(), self)
            return
        self.show_value(value)
        self.setEditText(self.itemText(self.currentIndex()))
        if value != before:
            self.picked.emit()
