"""Choose a General MIDI instrument: a searchable tree of the 16 GM families, or the GM drum kits.

Names come from pretty_midi (``INSTRUMENT_MAP``, ``INSTRUMENT_CLASSES``);
programs are shown counted from 1, as on synthesizers, and stored from 0.
For a drum track the list is the GM2/GS drum kits, which are programs on the
percussion bank (Standard 0, Room 8, Power 16, Electronic 24, TR-808 25,
Jazz 32, Brush 40, Orchestra 48, SFX 56).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLineEdit, QTreeWidget, QTreeWidgetItem,
                               QTreeWidgetItemIterator, QVBoxLayout, QWidget)

from app.core.quiet_import import quiet_import

DRUM_KITS: tuple[tuple[int, str], ...] = (
    (0, "Standard"), (8, "Room"), (16, "Power"), (24, "Electronic"), (25, "TR-808"),
    (32, "Jazz"), (40, "Brush"), (48, "Orchestra"), (56, "SFX"),
)
PROGRAM_ROLE = Qt.ItemDataRole.UserRole


@cache
def gm_names() -> tuple[str, ...]:
    """The 128 General MIDI program names, by program number from 0."""
    return tuple(quiet_import("pretty_midi").INSTRUMENT_MAP)


@cache
def gm_families() -> tuple[str, ...]:
    """The 16 GM families, eight programs each."""
    return tuple(quiet_import("pretty_midi").INSTRUMENT_CLASSES)


def program_label(program: int, is_drum: bool = False) -> str:
    """What a track's instrument button says: the GM name, or the drum kit."""
    if is_drum:
        kit = dict(DRUM_KITS).get(program)
        return f"{kit} kit" if kit else f"Drum kit {program + 1}"
    return gm_names()[program]


class InstrumentPicker(QDialog):
    """A dialog listing GM programs by family (or drum kits), filtered as you type."""

    def __init__(self, current_program: int, parent: QWidget | None = None, drums: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a drum kit" if drums else "Choose an instrument")
        self._initial = current_program
        self.drums = drums
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search drum kits…" if drums else "Search instruments or families…")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(not drums)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        layout = QVBoxLayout(self)
        for widget in (self.search, self.tree, self.buttons):
            layout.addWidget(widget)
        self._fill()
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._select(self._item_for(current_program))
        self.search.setFocus()
        self.resize(360, 480)

    def _fill(self) -> None:
        if self.drums:
            for program, name in DRUM_KITS:
                self.tree.addTopLevelItem(self._program_item(program, name))
            return
        names = gm_names()
        for number, family in enumerate(gm_families()):
            group = QTreeWidgetItem([family])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for program in range(number * 8, number * 8 + 8):
                group.addChild(self._program_item(program, names[program]))
            self.tree.addTopLevelItem(group)

    @staticmethod
    def _program_item(program: int, name: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([f"{program + 1:>3}  {name}"])
        item.setData(0, PROGRAM_ROLE, program)
        item.setToolTip(0, f"Program {program + 1}: {name}")
        return item

    def _program_items(self) -> list[QTreeWidgetItem]:
        found = []
        iterator = QTreeWidgetItemIterator(self.tree)
        while iterator.value():
            item = iterator.value()
            if item.data(0, PROGRAM_ROLE) is not None:
                found.append(item)
            iterator += 1
        return found

    def _item_for(self, program: int) -> QTreeWidgetItem | None:
        return next((i for i in self._program_items() if i.data(0, PROGRAM_ROLE) == program), None)

    def _select(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return
        if item.parent() is not None:
            item.parent().setExpanded(True)
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    def _visible_items(self) -> list[QTreeWidgetItem]:
        return [i for i in self._program_items()
                if not i.isHidden() and (i.parent() is None or not i.parent().isHidden())]

    def visible_programs(self) -> list[int]:
        """Programs the filter leaves shown, in list order."""
        return [int(i.data(0, PROGRAM_ROLE)) for i in self._visible_items()]

    def selected_program(self) -> int:
        """The highlighted program (the one the dialog opened with if none is)."""
        item = self.tree.currentItem()
        program = item.data(0, PROGRAM_ROLE) if item is not None else None
        return self._initial if program is None else int(program)

    @staticmethod
    def pick(current: int, parent: QWidget | None = None, drums: bool = False) -> int | None:
        """Show the dialog; the chosen program, or None if cancelled."""
        dialog = InstrumentPicker(current, parent, drums=drums)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        return dialog.selected_program() if accepted else None

    # -- slots -------------------------------------------------------------------------
    @Slot(str)
    def _on_search_text_changed(self, text: str) -> None:
        query = text.strip().lower()
        for item in self._program_items():
            family = item.parent().text(0).lower() if item.parent() is not None else ""
            name = item.text(0).split("  ", 1)[-1].lower()
            shown = not query or query in name or query in family or query == str(item.data(0, PROGRAM_ROLE) + 1)
            item.setHidden(not shown)
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            if group.childCount():
                group.setHidden(all(group.child(i).isHidden() for i in range(group.childCount())))
                group.setExpanded(bool(query) or group.isSelected() or self._holds_current(group))
        current = self.tree.currentItem()
        if current is None or current.isHidden() or current.data(0, PROGRAM_ROLE) is None:
            visible = self._visible_items()
            self._select(visible[0] if visible else None)

    def _holds_current(self, group: QTreeWidgetItem) -> bool:
        current = self.tree.currentItem()
        return current is not None and current.parent() is group

    @Slot()
    def _on_search_return_pressed(self) -> None:
        if self.visible_programs():
            self.accept()

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, PROGRAM_ROLE) is not None:
            self.tree.setCurrentItem(item)
            self.accept()

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_tree_current_item_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        ok = current is not None and current.data(0, PROGRAM_ROLE) is not None and not current.isHidden()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
