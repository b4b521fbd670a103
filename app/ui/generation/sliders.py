"""The Generation panel's numeric controls, built from the options table.

One row per per-model number option of ``models/common/options.py`` (its
label, tooltip, unit, range, slider end, default and decimals; an "off"
value and MIDI pitches written as such), one combo box per choice option
(key lock, keep rhythm; the key / pitch-class profile, "From the seed" by
default, also takes a typed key or 12 weights), the style song combo for
the song option, then the rows every model has: length, variations, random
seed with its lock, and the device. Each slider is paired
with a field showing its exact value; the field reaches the option's whole
range, the slider its usual part (``slider_high``). Rows the chosen model's
spec lacks are disabled, with a tooltip saying why (``The markov model has no
latent noise (it is a Markov chain).``). Per-track options (``PER_TRACK``,
``TRACK_RANGE``: one value per track) are the panel's "Per track" section, a
row per track (``track_options.py``); a length in tokens stays on the command
line (``cadenza generate --tokens``). :attr:`GenerationControls.changed`
fires only for the user's edits (the panel regenerates after a short pause);
setting values from code is silent.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any, Mapping

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QSlider, QSpinBox, QToolButton,
                               QWidget)

from app.core.generation_settings import NO_SOURCE, bundled_source, file_source, source_label
from app.core.seeds import list_seeds
from app.services.files import OPEN_FILTER
from app.services.generation import ModelInfo
from app.services.generation_controls import (CHOICE_OPTIONS, LENGTH, PANEL_OPTIONS, RANDOM_SEED, SONG_OPTIONS,
                                              VARIATIONS, SliderState, label_text)
from app.ui.generation.boxes import row
from app.ui.generation.choice_box import ChoiceBox
from app.ui.pianoroll.keyboard import pitch_name
from models.common.options import BY_NAME, FLOAT, OPTIONS, RANDOM_SEED_MAX, OptionSpec, missing_reason

STEPS = 1000  # slider positions across a float range


def _key(source: Mapping[str, Any]) -> str:
    """A source as combo item data (a string compares reliably)."""
    return json.dumps(dict(source), sort_keys=True)


class OptionSpinBox(QSpinBox):
    """A whole-number field that writes the option's off value as "off" (at either end of its range) and a
    MIDI pitch with its name ("60 (C4)"); typing "off", a number or "60 (C4)" all work."""

    def __init__(self, option: OptionSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        self.pitch = option.name.endswith("_pitch")

    def _is_off(self, value: int) -> bool:
        return self.option.off_value is not None and value == self.option.off_value

    def textFromValue(self, value: int) -> str:  # noqa: N802 (Qt override)
        if self._is_off(value):
            return "off"
        return f"{value} ({pitch_name(value)})" if self.pitch else super().textFromValue(value)

    def valueFromText(self, text: str) -> int:  # noqa: N802
        number = re.match(r"\s*(\d+)", text)
        if number:
            return int(number.group(1))
        return int(self.option.off_value) if self.option.off_value is not None else self.value()

    def validate(self, text: str, pos: int):
        words = text.strip().lower()
        if words and "off".startswith(words) and self.option.off_value is not None:
            state = QValidator.State.Acceptable if words == "off" else QValidator.State.Intermediate
        elif not words:
            state = QValidator.State.Intermediate
        elif re.fullmatch(r"\d+(\s*\(.*\)?)?", words):
            state = (QValidator.State.Acceptable if self.minimum() <= int(re.match(r"\d+", words).group())
                     <= self.maximum() else QValidator.State.Intermediate)
        else:
            state = QValidator.State.Invalid
        return state, text, pos


class SliderRow(QWidget):
    """A horizontal slider and a numeric field holding the same value, shaped by one option of the table."""

    edited = Signal()
    released = Signal()  # the user let go of the slider: regenerate now, without the debounce

    def __init__(self, option: OptionSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        decimals = option.decimals if option.kind == FLOAT else 0
        step = 10 ** -decimals
        low = option.low + step if option.low_open else option.low  # the open end itself is not allowed
        high = option.high
        self.low, self.decimals = low, decimals
        self.slider_high = option.slider_high if option.slider_high is not None else high
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, STEPS if decimals else int(self.slider_high - low))
        self.field: QDoubleSpinBox | QSpinBox = QDoubleSpinBox(self) if decimals else OptionSpinBox(option, self)
        if decimals:
            self.field.setDecimals(decimals)
            self.field.setSingleStep(step * 5)
        self.field.setRange(low, high)
        if option.off_value is not None and option.off_value == low:
            self.field.setSpecialValueText("off")  # (an off value at the high end: OptionSpinBox writes it)
        self.field.setKeyboardTracking(False)
        self.field.setFixedWidth(self.field.fontMetrics().horizontalAdvance("00000.00") + 24)
        self.setToolTip(option.tooltip)
        row((self.slider, 1), self.field, spacing=6, parent=self)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.sliderReleased.connect(self.released)
        self.field.valueChanged.connect(self._on_field_value_changed)

    def _to_slider(self, value: float) -> int:
        if not self.decimals:
            return int(min(value, self.slider_high) - self.low)
        return round((min(value, self.slider_high) - self.low) / (self.slider_high - self.low) * STEPS)

    def value(self) -> float | int:
        return self.field.value() if self.decimals else int(self.field.value())

    def set_value(self, value: float) -> None:
        """Set both from code (no ``edited``)."""
        with QSignalBlocker(self.field), QSignalBlocker(self.slider):
            self.field.setValue(value)
            self.slider.setValue(self._to_slider(self.field.value()))

    @Slot(int)
    def _on_slider_value_changed(self, position: int) -> None:
        value = self.low + (position / STEPS * (self.slider_high - self.low) if self.decimals else position)
        with QSignalBlocker(self.field):
            self.field.setValue(round(value, self.decimals) if self.decimals else int(value))
        self.edited.emit()

    def _on_field_value_changed(self, value: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(self._to_slider(value))
        self.edited.emit()


class GenerationControls(QWidget):
    """The option rows of the table, the style song, length, variations, random seed and lock, device."""

    changed = Signal()  # the user edited a value that shapes the music
    committed = Signal()  # the user released a slider: the value is final
    device_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, SliderRow] = {o.name: SliderRow(o, self) for o in PANEL_OPTIONS}
        self.choices: dict[str, ChoiceBox] = {o.name: self._choice_box(o) for o in CHOICE_OPTIONS}
        self.song_option = SONG_OPTIONS[0] if SONG_OPTIONS else None  # the request's one style song
        self.style_song = QComboBox(self)
        self.bars = SliderRow(LENGTH, self)
        self.variations = SliderRow(VARIATIONS, self)
        self.random_seed = QSpinBox(self)
        self.random_seed.setRange(int(RANDOM_SEED.low), RANDOM_SEED_MAX)
        self.random_seed.setKeyboardTracking(False)
        self.random_seed.setToolTip(RANDOM_SEED.tooltip)
        self.lock = QToolButton(self)
        self.lock.setCheckable(True)
        self.dice = QToolButton(self)
        self.dice.setText("New")
        self.dice.setToolTip("Draw a new random seed")
        self.device = QComboBox(self)
        self._style_source: dict[str, Any] = dict(NO_SOURCE)
        self._fill_style_songs()
        self.set_devices({})
        self._lay_out()
        self._update_lock()
        self.set_model(None)
        self.set_state(SliderState())  # the table's defaults until the panel restores the stored values
        for control in (*self.rows.values(), self.bars, self.variations):
            control.edited.connect(self.changed)
            control.released.connect(self.committed)
        for box in self.choices.values():
            box.picked.connect(self.changed)
        self.random_seed.valueChanged.connect(lambda _v: self.changed.emit())
        self.lock.toggled.connect(self._update_lock)
        self.dice.clicked.connect(self._on_dice_clicked)
        self.style_song.activated.connect(self._on_style_song_activated)
        self.device.activated.connect(lambda _i: self.device_changed.emit(self.device.currentData()))

    def _option_widgets(self) -> dict[str, QWidget]:
        """Each per-model option's widget, in the table's order."""
        widgets: dict[str, QWidget] = {}
        for option in OPTIONS:
            if option.name in self.rows:
                widgets[option.name] = self.rows[option.name]
            elif option.name in self.choices:
                widgets[option.name] = self.choices[option.name]
            elif option is self.song_option:
                widgets[option.name] = self.style_song
        return widgets

    def _lay_out(self) -> None:
        seed_row = row((self.random_seed, 1), self.lock, self.dice)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, widget in self._option_widgets().items():
            form.addRow(label_text(BY_NAME[name]), widget)
        for option, widget in ((LENGTH, self.bars), (VARIATIONS, self.variations), (RANDOM_SEED, seed_row)):
            form.addRow(label_text(option), widget)
            form.labelForField(widget).setToolTip(option.tooltip)
        form.addRow("Device", self.device)
        self.form = form

    def _choice_box(self, option: OptionSpec) -> ChoiceBox:
        """A combo box of a choice option's values ("off" first), each item holding its value; an open
        option's (the key / pitch-class profile) also takes typed values (see ``choice_box.py``)."""
        return ChoiceBox(option, self)

    def _fill_style_songs(self) -> None:
        self.style_song.addItem("None", _key(NO_SOURCE))
        for seed in list_seeds():
            self.style_song.addItem(seed.title, _key(bundled_source(seed.spec)))
        self.style_song.addItem("File…", "")

    # -- values ---------------------------------------------------------------------
    def option_names(self) -> set[str]:
        """The options the panel holds a value of (sliders and choices)."""
        return set(self.rows) | set(self.choices)

    def state(self) -> SliderState:
        values = {name: row.value() for name, row in self.rows.items()}
        values.update({name: box.currentData() for name, box in self.choices.items()})
        return SliderState(values, self.bars.value(),
                           self.variations.value(), self.random_seed.value(), self.lock.isChecked(),
                           self.device.currentData() or "auto")

    def set_state(self, state: SliderState) -> None:
        """Show ``state`` (silently: no ``changed``)."""
        for name, row_ in self.rows.items():
            row_.set_value(state.value(name))
        for name, box in self.choices.items():
            with QSignalBlocker(box):
                box.show_value(state.value(name))  # a key the list lacks ("D dorian") or weights are added
        self.bars.set_value(state.bars)
        self.variations.set_value(state.variations)
        with QSignalBlocker(self.random_seed):
            self.random_seed.setValue(state.random_seed)
        self.lock.setChecked(state.locked)
        index = self.device.findData(state.device)
        self.device.setCurrentIndex(index if index >= 0 and self._item_enabled(index) else 0)

    def next_random_seed(self) -> int:
        """The random seed for a run: the field's when locked, else a new one (shown in the field)."""
        if not self.lock.isChecked():
            with QSignalBlocker(self.random_seed):
                self.random_seed.setValue(random.randint(0, RANDOM_SEED_MAX))
        return self.random_seed.value()

    def style_source(self) -> dict[str, Any]:
        return dict(self._style_source)

    def set_style_source(self, source: Mapping[str, Any]) -> None:
        source = dict(source) if source.get("kind") in ("seed", "file") else dict(NO_SOURCE)
        index = self.style_song.findData(_key(source))
        if index < 0:
            self.style_song.insertItem(self.style_song.count() - 1, source_label(source), _key(source))
            index = self.style_song.count() - 2
        self.style_song.setCurrentIndex(index)
        self._style_source = source

    # -- the model and the machine --------------------------------------------------------
    def set_model(self, info: ModelInfo | None) -> None:
        """Enable the rows of the options the model's spec takes; disabled rows say why in their tooltip."""
        spec = info.spec if info is not None else None
        for name, widget in self._option_widgets().items():
            option = BY_NAME[name]
            has = info is None or (spec is not None and spec.takes(name))
            if has:
                tip = option.tooltip
            elif spec is None:
                tip = info.problem or ""
            else:
                tip = missing_reason(spec.name, spec.architecture, name)
            for target in (widget, self.form.labelForField(widget)):
                if target is not None:
                    target.setEnabled(has)
                    target.setToolTip(tip)

    def set_devices(self, devices: Mapping[str, str]) -> None:
        """Offer Auto, CPU and GPU; a GPU that is not there is shown disabled, saying so."""
        current = self.device.currentData() or "auto"
        gpu = next((d for d in devices if d != "cpu"), None)
        with QSignalBlocker(self.device):
            self.device.clear()
            best = devices.get(gpu) if gpu else "CPU"
            self.device.addItem(f"Auto ({best})" if devices else "Auto", "auto")
            self.device.addItem("CPU", "cpu")
            for name, text in devices.items():
                if name != "cpu":
                    self.device.addItem(text, name)
            if gpu is None:
                self.device.addItem("GPU (none found)" if devices else "GPU (checking…)", "cuda")
                self.device.model().item(self.device.count() - 1).setEnabled(False)
            index = self.device.findData(current)
            self.device.setCurrentIndex(index if index >= 0 and self._item_enabled(index) else 0)
        found = ", ".join(devices.values()) if devices else "checking…"
        self.device.setToolTip(f"Where the model runs. Available here: {found}")

    def _item_enabled(self, index: int) -> bool:
        return self.device.model().item(index).isEnabled()

    # -- slots ---------------------------------------------------------------------------
    @Slot(bool)
    def _update_lock(self, locked: bool | None = None) -> None:
        locked = self.lock.isChecked() if locked is None else locked
        self.lock.setText("Locked" if locked else "Lock")
        self.lock.setToolTip("Locked: every run uses this random seed (reproducible)" if locked
                             else "Unlocked: every run draws a new random seed")

    @Slot()
    def _on_dice_clicked(self) -> None:
        self.random_seed.setValue(random.randint(0, RANDOM_SEED_MAX))

    def ask_file(self) -> str:
        """A style song file (tests replace this)."""
        path, _ = QFileDialog.getOpenFileName(self, "Style song", "", OPEN_FILTER)
        return path

    @Slot(int)
    def _on_style_song_activated(self, index: int) -> None:
        data = self.style_song.itemData(index)
        if not data:  # "File…"
            path = self.ask_file()
            if not path:
                self.set_style_source(self._style_source)
                return
            source = file_source(path)
        else:
            source = json.loads(data)
        self.set_style_source(source)
        self.changed.emit()
