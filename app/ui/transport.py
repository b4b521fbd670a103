"""The transport bar: play/stop, rewind, loop, follow, metronome, position, tempo, tools, snap, and drag-out.

It shows state and forwards requests; the main window does the work. The
tempo box and the meter field show the tempo and meter in force at the
playhead, and editing one changes that tempo or meter change (not always the
opening one): the main window pushes one undoable command when editing
finishes. The metronome button's menu holds its volume and the accent on beat
one.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QAction, QRegularExpressionValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QMenu, QSlider,
                               QToolBar, QToolButton, QWidget, QWidgetAction)

from app.core.metronome import Metronome
from app.core.score import Score
from app.core.timing import TempoMap, bar_lines
from app.settings import SNAPS
from app.ui.actions import Actions
from app.ui.pianoroll.marker_lane import in_force

METER_PATTERN = r"\s*([1-9]|[1-5][0-9]|6[0-4])\s*/\s*(1|2|4|8|16|32|64)\s*"  # 1-64 over a power of two


def position_text(score: Score, tick: int) -> str:
    """``bar.beat`` and ``m:ss.t`` for ``tick`` (bars and beats from 1)."""
    bars = [b for b in bar_lines(score, tick + 1) if b.tick <= tick]
    bar = bars[-1] if bars else None
    if bar is None:
        return "1.1  0:00.0"
    beat_ticks = score.ppq * 4 // bar.signature.denominator
    beat = (tick - bar.tick) // beat_ticks + 1
    seconds = TempoMap(score).seconds(tick)
    return f"{bar.number}.{beat}  {int(seconds // 60)}:{seconds % 60:04.1f}"


class TransportBar(QToolBar):
    """The toolbar under the menu bar."""

    tempo_edited = Signal(int, float)  # the tick of the tempo change in force at the playhead, its new bpm
    meter_edited = Signal(int, int, int)  # the tick of the meter change in force there, numerator, denominator
    snap_chosen = Signal(str)
    metronome_changed = Signal(object)  # Metronome

    def __init__(self, actions: Actions, drag_button: QWidget, parent: QWidget | None = None) -> None:
        super().__init__("Transport", parent)
        self.setObjectName("transport")
        for name in ("rewind", "play", "record", "loop", "follow", "metronome"):
            self.addAction(actions[name])
        self._metronome = Metronome()
        self._build_metronome_menu(actions["metronome"])
        self.position = QLabel("1.1  0:00.0")
        self.position.setObjectName("position")
        self.position.setToolTip("Playhead: bar.beat and minutes:seconds")
        self.addWidget(self.position)
        self.tempo = QDoubleSpinBox()
        self.tempo.setRange(20.0, 400.0)
        self.tempo.setDecimals(1)
        self.tempo.setSuffix(" BPM")
        self.tempo.setKeyboardTracking(False)
        self.tempo.setToolTip("Tempo at the playhead: a new value changes the tempo change in force there")
        self.tempo.editingFinished.connect(self._on_tempo_editing_finished)
        self.addWidget(self.tempo)
        self.meter = QLineEdit("4/4")
        self.meter.setValidator(QRegularExpressionValidator(QRegularExpression(METER_PATTERN), self.meter))
        self.meter.setMaximumWidth(self.meter.fontMetrics().horizontalAdvance("64/64") + 16)
        self.meter.setToolTip("Meter at the playhead (such as 3/4 or 6/8): a new one changes the meter change "
                              "in force there")
        self.meter.editingFinished.connect(self._on_meter_editing_finished)
        self.addWidget(self.meter)
        self.addSeparator()
        for name in ("tool_draw", "tool_select", "tool_erase"):
            self.addAction(actions[name])
        self.snap = QComboBox()
        self.snap.addItems([s if s != "off" else "Snap off" for s in SNAPS])
        self.snap.setToolTip("Grid and snap")
        self.snap.currentIndexChanged.connect(lambda i: self.snap_chosen.emit(SNAPS[i]))
        self.addWidget(self.snap)
        self.addSeparator()
        self.addWidget(drag_button)
        self._score = Score()
        self._tick = 0  # the playhead, as last shown
        self._shown_bpm = 120.0
        self._shown_meter = (4, 4)

    def _build_metronome_menu(self, action: QAction) -> None:
        """The metronome button's menu: a volume slider and the accent on beat one."""
        self.metronome_action = action
        action.toggled.connect(lambda on: self._change_metronome(enabled=on))
        menu = QMenu(self)
        row = QWidget(menu)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(QLabel("Volume"))
        self.metronome_volume = QSlider(Qt.Orientation.Horizontal)
        self.metronome_volume.setRange(0, 100)
        self.metronome_volume.setToolTip("Metronome volume")
        self.metronome_volume.valueChanged.connect(lambda v: self._change_metronome(volume=v / 100.0))
        layout.addWidget(self.metronome_volume)
        slider = QWidgetAction(menu)
        slider.setDefaultWidget(row)
        menu.addAction(slider)
        self.metronome_accent = menu.addAction("&Accent on Beat One")
        self.metronome_accent.setCheckable(True)
        self.metronome_accent.toggled.connect(lambda on: self._change_metronome(accent=on))
        self.metronome_menu = menu
        button = self.widgetForAction(action)
        if isinstance(button, QToolButton):
            button.setMenu(menu)
            button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)

    def show_metronome(self, metronome: Metronome) -> None:
        """Show ``metronome``'s settings (emits nothing)."""
        self._metronome = metronome
        for widget, setter, value in ((self.metronome_action, "setChecked", metronome.enabled),
                                      (self.metronome_volume, "setValue", round(metronome.volume * 100)),
                                      (self.metronome_accent, "setChecked", metronome.accent)):
            widget.blockSignals(True)
            getattr(widget, setter)(value)
            widget.blockSignals(False)

    def _change_metronome(self, **changes) -> None:
        self._metronome = replace(self._metronome, **changes)
        self.metronome_changed.emit(self._metronome)

    def show_score(self, score: Score) -> None:
        """Tempo and meter of ``score`` at the playhead."""
        self._score = score
        self._show_maps(editing_too=True)

    def show_position(self, score: Score, tick: int) -> None:
        """The playhead at ``tick``: its position, and the tempo and meter there (a field being typed in
        keeps what is typed)."""
        self._score, self._tick = score, tick
        self.position.setText(position_text(score, tick))
        self._show_maps(editing_too=False)

    def _show_maps(self, editing_too: bool) -> None:
        bpm = in_force(self._score, "tempo", self._tick).value
        if editing_too or (bpm != self._shown_bpm and not self.tempo.hasFocus()):
            self._shown_bpm = bpm
            self.tempo.blockSignals(True)
            self.tempo.setValue(bpm)
            self.tempo.blockSignals(False)
        meter = in_force(self._score, "meter", self._tick).value
        text = f"{meter[0]}/{meter[1]}"
        if editing_too or (self.meter.text() != text and not self.meter.hasFocus()):
            self._shown_meter = meter
            self.meter.setText(text)

    def set_snap(self, name: str) -> None:
        self.snap.blockSignals(True)
        self.snap.setCurrentIndex(SNAPS.index(name))
        self.snap.blockSignals(False)

    def _on_tempo_editing_finished(self) -> None:
        value = round(self.tempo.value(), 1)
        if abs(value - self._shown_bpm) > 1e-6:
            self._shown_bpm = value
            self.tempo_edited.emit(in_force(self._score, "tempo", self._tick).tick, value)

    def _on_meter_editing_finished(self) -> None:
        numerator, denominator = (int(part) for part in self.meter.text().split("/"))
        if (numerator, denominator) != self._shown_meter:
            self._shown_meter = (numerator, denominator)
            self.meter_edited.emit(in_force(self._score, "meter", self._tick).tick, numerator, denominator)
