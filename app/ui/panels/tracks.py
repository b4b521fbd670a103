"""The track list: name, instrument, mute, solo and volume of each track; add, remove, reorder.

One row per track (a QTreeWidget: rows drag to reorder, names edit in
place) with a colour swatch (``track_colours.py``), an instrument button that
opens the :class:`InstrumentPicker`, M and S toggles and a volume slider
(0-127). The selected row is the document's active track. Every change is one
command on the undo stack; a volume drag pushes one command on release. The
list never writes the score: it rebuilds from ``tracks_changed`` /
``score_reset`` and follows ``active_track_changed``.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QSlider, QToolButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.commands import add_track_command, move_track_command, remove_track_command, set_track_command
from app.core.score import Track
from app.document import Document
from app.ui.dialogs.instrument_picker import InstrumentPicker, program_label
from app.ui.panels.track_colours import track_colour

NAME, INSTRUMENT, MUTE, SOLO, VOLUME = range(5)


def drop_destination(source: int, target_row: int) -> int:
    """Where ``move_track(source, dest)`` must put a row dropped before row ``target_row``."""
    return target_row - 1 if target_row > source else target_row


class _TrackTree(QTreeWidget):
    """Rows that drag to a new place: the drop is reported, and the command moves the track."""

    row_dropped = Signal(int, int)  # source row, destination (as move_track takes it)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setColumnCount(5)
        self.setHeaderLabels(["Name", "Instrument", "M", "S", "Volume"])
        self.setRootIsDecorated(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.ResizeToContents)  # names are short: show them whole
        header.setSectionResizeMode(INSTRUMENT, QHeaderView.ResizeMode.Stretch)  # GM names elide if they must
        for column in (MUTE, SOLO):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(VOLUME, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(VOLUME, self.fontMetrics().horizontalAdvance("Volume") * 2)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        source = self.currentIndex().row()
        target = self.indexAt(event.position().toPoint())
        position = self.dropIndicatorPosition()
        if not target.isValid() or position == QAbstractItemView.DropIndicatorPosition.OnViewport:
            row = self.topLevelItemCount()
        else:
            below = position == QAbstractItemView.DropIndicatorPosition.BelowItem
            row = target.row() + (1 if below else 0)
        event.ignore()  # the view does not move the row itself: the command does
        dest = drop_destination(source, row)
        if source >= 0 and dest != source:
            self.row_dropped.emit(source, dest)


class TrackList(QWidget):
    """The tracks of a Document, edited through commands (see module doc)."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._updating = False
        self.tree = _TrackTree(self)
        self.add_button = self._tool_button("+ Track", "Add a track", self._on_add_button_clicked)
        self.add_drums_button = self._tool_button("+ Drums", "Add a drums track (MIDI channel 10)",
                                                  self._on_add_drums_button_clicked)
        self.remove_button = self._tool_button("Remove", "Remove the selected track", self._on_remove_button_clicked)
        self.up_button = self._tool_button("▲", "Move the track up", self._on_up_button_clicked)
        self.down_button = self._tool_button("▼", "Move the track down", self._on_down_button_clicked)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.add_drums_button, self.remove_button, self.up_button, self.down_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        self.tree.itemChanged.connect(self._on_tree_item_changed)
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        self.tree.row_dropped.connect(self._on_tree_row_dropped)
        doc.tracks_changed.connect(self._refresh)
        doc.score_reset.connect(self._refresh)
        doc.active_track_changed.connect(self._on_doc_active_track_changed)
        self._refresh()

    def _tool_button(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- rows ------------------------------------------------------------------------------
    @Slot()
    def _refresh(self) -> None:
        """Show the score's tracks: widgets updated in place when the count is the same."""
        tracks = self.doc.score.tracks
        self._updating = True
        try:
            with QSignalBlocker(self.tree):
                if self.tree.topLevelItemCount() != len(tracks):
                    self.tree.clear()
                    for row in range(len(tracks)):
                        self._add_row(row)
                for row, track in enumerate(tracks):
                    self._show_track(row, track)
                self._select_row(self.doc.active_track)
        finally:
            self._updating = False
        self._update_buttons()

    def _add_row(self, row: int) -> None:
        item = QTreeWidgetItem()
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable
                      | Qt.ItemFlag.ItemIsDragEnabled)
        self.tree.addTopLevelItem(item)
        instrument = QPushButton(self.tree)
        instrument.setFlat(True)
        instrument.setStyleSheet("text-align: left; padding: 1px 6px;")
        instrument.clicked.connect(lambda: self._choose_instrument(row))
        mute, solo = QToolButton(self.tree), QToolButton(self.tree)
        for button, text, field in ((mute, "M", "mute"), (solo, "S", "solo")):
            button.setText(text)
            button.setCheckable(True)
            button.toggled.connect(lambda checked, f=field: self._set_flag(row, f, checked))
        mute.setToolTip("Mute this track")
        solo.setToolTip("Play only soloed tracks")
        volume = QSlider(Qt.Orientation.Horizontal, self.tree)
        volume.setRange(0, 127)
        volume.setFixedWidth(96)
        volume.sliderReleased.connect(lambda: self._set_volume(row, volume.value()))
        volume.valueChanged.connect(lambda value: None if volume.isSliderDown() else self._set_volume(row, value))
        for column, widget in ((INSTRUMENT, instrument), (MUTE, mute), (SOLO, solo), (VOLUME, volume)):
            self.tree.setItemWidget(item, column, widget)

    def _show_track(self, row: int, track: Track) -> None:
        item = self.tree.topLevelItem(row)
        item.setText(NAME, track.name)
        item.setData(NAME, Qt.ItemDataRole.DecorationRole, track_colour(row))
        item.setToolTip(NAME, f"{track.name}: {len(track.notes)} notes" + (" (drums)" if track.is_drum else ""))
        label = program_label(track.program, track.is_drum)
        instrument = self.tree.itemWidget(item, INSTRUMENT)
        instrument.setText(label)
        instrument.setToolTip(f"{label}: click to choose another " + ("kit" if track.is_drum else "instrument"))
        for column, value in ((MUTE, track.mute), (SOLO, track.solo)):
            button = self.tree.itemWidget(item, column)
            with QSignalBlocker(button):
                button.setChecked(value)
        slider = self.tree.itemWidget(item, VOLUME)
        if not slider.isSliderDown():
            with QSignalBlocker(slider):
                slider.setValue(track.volume)
        slider.setToolTip(f"Volume {track.volume}")

    def _select_row(self, row: int) -> None:
        item = self.tree.topLevelItem(row)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _update_buttons(self) -> None:
        count, row = len(self.doc.score.tracks), self.doc.active_track
        self.remove_button.setEnabled(count > 1)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(row < count - 1)

    # -- edits -----------------------------------------------------------------------------
    def _push(self, command) -> None:
        self.doc.undo_stack.push(command)

    def _set_flag(self, row: int, field: str, value: bool) -> None:
        track = self.doc.score.tracks[row]
        if getattr(track, field) != value:
            verb = {"mute": ("Mute", "Unmute"), "solo": ("Solo", "Unsolo")}[field][0 if value else 1]
            self._push(set_track_command(self.doc, row, f"{verb} {track.name}", **{field: value}))

    def _set_volume(self, row: int, value: int) -> None:
        if self._updating or row >= len(self.doc.score.tracks):
            return
        track = self.doc.score.tracks[row]
        if track.volume != value:
            self._push(set_track_command(self.doc, row, f"Volume of {track.name}: {value}", volume=value))

    def _choose_instrument(self, row: int) -> None:
        track = self.doc.score.tracks[row]
        program = InstrumentPicker.pick(track.program, self, drums=track.is_drum)
        if program is not None and program != track.program:
            label = program_label(program, track.is_drum)
            self._push(set_track_command(self.doc, row, f"{track.name}: {label}", program=program))

    def _add(self, name: str, is_drum: bool) -> None:
        names = {t.name for t in self.doc.score.tracks}
        number, unique = 2, name
        while unique in names:
            unique, number = f"{name} {number}", number + 1
        self._push(add_track_command(self.doc, Track(unique, 0, is_drum, ())))
        self.doc.set_active_track(len(self.doc.score.tracks) - 1)

    def _move(self, source: int, dest: int) -> None:
        count = len(self.doc.score.tracks)
        if 0 <= source < count and 0 <= dest < count and source != dest:
            self._push(move_track_command(self.doc, source, dest))
            self.doc.set_active_track(dest)

    # -- slots -----------------------------------------------------------------------------
    @Slot()
    def _on_add_button_clicked(self) -> None:
        self._add(f"Track {len(self.doc.score.tracks) + 1}", False)

    @Slot()
    def _on_add_drums_button_clicked(self) -> None:
        self._add("Drums", True)

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        row, count = self.doc.active_track, len(self.doc.score.tracks)
        if count > 1:
            self._push(remove_track_command(self.doc, row))
            self.doc.set_active_track(min(row, count - 2))

    @Slot()
    def _on_up_button_clicked(self) -> None:
        self._move(self.doc.active_track, self.doc.active_track - 1)

    @Slot()
    def _on_down_button_clicked(self) -> None:
        self._move(self.doc.active_track, self.doc.active_track + 1)

    @Slot(int, int)
    def _on_tree_row_dropped(self, source: int, dest: int) -> None:
        self._move(source, dest)

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != NAME:
            return
        row = self.tree.indexOfTopLevelItem(item)
        track = self.doc.score.tracks[row]
        name = " ".join(item.text(NAME).split())
        if name and name != track.name:
            self._push(set_track_command(self.doc, row, f"Rename {track.name} to {name}", name=name))
        else:
            self._refresh()  # an empty name is not taken: show the old one

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_tree_current_item_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        if current is not None and not self._updating:
            self.doc.set_active_track(self.tree.indexOfTopLevelItem(current))
            self._update_buttons()

    @Slot(int)
    def _on_doc_active_track_changed(self, row: int) -> None:
        self._updating = True
        try:
            with QSignalBlocker(self.tree):
                self._select_row(row)
        finally:
            self._updating = False
        self._update_buttons()
