"""The Generate panel's "Per track" section: a row per track, a column per per-track option of the model.

Shown only for a model whose spec takes a per-track option (a pitch range per
track, a latent noise sd and style α per track); the
rows are the tracks it writes (``app.services.track_options.track_rows``: the
seed's tracks, or the checkpoint's own track roles), rebuilt when the model or
the seed changes, each track keeping its values by name. A range is a pair
of note pickers (C4 = 60; typed as a name or a number), "no limit" at an end
meaning the lowest / highest note's; moving one end past the other brings the
other along. A number is a spin box whose lowest position reads "global":
the track follows the option's global value. :attr:`TrackOptions.changed` fires
only for the user's edits (the panel regenerates after a short pause, as for
the sliders); setting values from code is silent.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSpinBox, QWidget

from app.core.score import Score
from app.services.generation import ModelInfo
from app.services.track_options import TrackRow, TrackValues, card_roles, options_of, track_rows
from app.ui.dialogs.instrument_picker import program_label
from app.ui.generation.boxes import column, row
from app.ui.pianoroll.keyboard import pitch_name
from models.common.options import TRACK_RANGE, OptionSpec, pitch_number

NO_LIMIT, GLOBAL = "no limit", "global"
_NOTE_START = re.compile(r"[A-Ga-g][#b]?-?\d*|\d{1,3}")  # what a note name or number may be while typed


class NotePicker(QSpinBox):
    """A MIDI pitch written as its note name (60 reads C4); the lowest position (-1) reads "no limit".
    Typing a name (C#4, Db4) or a number works; anything else is refused as typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(-1, 127)
        self.setSpecialValueText(NO_LIMIT)
        self.setKeyboardTracking(False)
        self.setValue(-1)

    def pitch(self) -> int | None:
        return None if self.value() < 0 else self.value()

    def set_pitch(self, pitch: int | None) -> None:
        self.setValue(-1 if pitch is None else pitch)

    def textFromValue(self, value: int) -> str:  # noqa: N802 (Qt override)
        return NO_LIMIT if value < 0 else pitch_name(value)

    def valueFromText(self, text: str) -> int:  # noqa: N802
        pitch = pitch_number(text)
        return -1 if pitch is None else pitch

    def validate(self, text: str, pos: int):
        words = text.strip().lower()
        if pitch_number(words) is not None or words == NO_LIMIT:
            state = QValidator.State.Acceptable
        elif not words or NO_LIMIT.startswith(words) or _NOTE_START.fullmatch(words):
            state = QValidator.State.Intermediate
        else:
            state = QValidator.State.Invalid
        return state, text, pos


class TrackNumberBox(QDoubleSpinBox):
    """One track's number of a ``PER_TRACK`` option, in the option's range; one step below it reads "global"."""

    def __init__(self, option: OptionSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        step = 10 ** -option.decimals * 5
        self.setDecimals(option.decimals)
        self.setSingleStep(step)
        self.setRange(option.low - step, option.high)
        self.setSpecialValueText(GLOBAL)
        self.setKeyboardTracking(False)
        self.setValue(self.minimum())

    def number(self) -> float | None:
        return None if self.value() <= self.minimum() else max(self.value(), self.option.low)

    def set_number(self, value: float | None) -> None:
        self.setValue(self.minimum() if value is None else value)


class RangePair(QWidget):
    """Two note pickers, lowest and highest; the value is (low, high), None at an open end."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = NotePicker(self), NotePicker(self)
        self.low.setToolTip("The lowest note this track may write (no limit: the lowest note's)")
        self.high.setToolTip("The highest note this track may write (no limit: the highest note's)")
        row(self.low, QLabel("–", self), self.high, spacing=2, parent=self)
        self.low.valueChanged.connect(lambda _v: self._on_end_changed(self.low, self.high))
        self.high.valueChanged.connect(lambda _v: self._on_end_changed(self.high, self.low))

    def value(self) -> tuple[int | None, int | None]:
        return self.low.pitch(), self.high.pitch()

    def set_value(self, value: Any) -> None:
        low, high = value if value is not None else (None, None)
        with QSignalBlocker(self.low), QSignalBlocker(self.high):
            self.low.set_pitch(low)
            self.high.set_pitch(high)

    def _on_end_changed(self, moved: NotePicker, other: NotePicker) -> None:
        """One end passed the other: the other comes along (the range is never upside down)."""
        low, high = self.value()
        if low is not None and high is not None and low > high:
            with QSignalBlocker(other):
                other.set_pitch(moved.pitch())
        self.edited.emit()


def _header(option: OptionSpec) -> str:
    """A column's title: the option's label without "per track" (the section says it)."""
    return re.sub(r"\s+per track$", "", option.label)


def _track_label(track: TrackRow, number: int) -> str:
    if track.role:
        return track.name[:1].upper() + track.name[1:]
    name = track.name.strip() or f"Track {number}"
    return f"{name} ({program_label(track.program, track.is_drum)})"


class TrackOptions(QWidget):
    """The per-track options of the chosen model, one row per track (see module doc)."""

    changed = Signal()  # the user edited a track's value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("PER TRACK", self)
        self.title.setObjectName("section")
        self.hint = QLabel("Choose a seed to set these per track.", self)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.grid = QWidget(self)
        self.body = column(self.title, self.hint, self.grid, parent=self)
        self.options: tuple[OptionSpec, ...] = ()
        self.rows: tuple[TrackRow, ...] = ()
        self.editors: dict[tuple[str, str], RangePair | TrackNumberBox] = {}  # (option, track key) -> editor
        self._values = TrackValues()
        self._roles: tuple[str, ...] = ()
        self._seed: Score | None = None
        self._instruments: str | None = None  # the instruments option's choice: its tracks are the rows
        self._rebuild()

    # -- public -------------------------------------------------------------------------
    def set_model(self, info: ModelInfo | None) -> None:
        """Show the per-track options ``info``'s spec takes (hidden when none)."""
        spec = info.spec if info is not None else None
        self.options = options_of(spec.options) if spec is not None else ()
        self._roles = card_roles(info.card) if info is not None else ()
        self._rebuild()

    def set_seed(self, seed: Score | None) -> None:
        """The seed whose tracks are the rows (a model with its own track roles keeps those)."""
        self._seed = seed
        self._rebuild()

    def set_instruments(self, choice: str | None) -> None:
        """The instruments option's choice: a choice with its own tracks makes them the rows."""
        if choice != self._instruments:
            self._instruments = choice
            self._rebuild()

    def values(self) -> TrackValues:
        return self._values

    def set_values(self, values: TrackValues) -> None:
        """Show ``values`` (silently: no ``changed``)."""
        self._values = values
        for (option, key), editor in self.editors.items():
            self._show(editor, values.value(option, key))

    def show_options(self, options: Mapping[str, Any]) -> None:
        """Show a run's per-track values (``GenerationOptions.values()``), silently."""
        self.set_values(TrackValues.from_options(options))

    def given(self, seed: Score | None = None) -> dict[str, dict[str, Any]]:
        """The values for the request, as ``job_from_controls`` takes them: of the tracks shown, or of
        ``seed``'s tracks when the run has another seed (a selection of the sketch being regenerated)."""
        rows = self.rows if seed is None or not self.options else track_rows(seed, self._roles, self._instruments)
        return self._values.given(rows, self.options)

    # -- building -------------------------------------------------------------------------
    def _rebuild(self) -> None:
        self.rows = track_rows(self._seed, self._roles, self._instruments) if self.options else ()
        self.editors = {}
        old, self.grid = self.grid, QWidget(self)
        self.body.replaceWidget(old, self.grid)
        old.hide()  # gone from view now, deleted when control returns to the event loop
        old.deleteLater()
        grid = QGridLayout(self.grid)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        for column_, option in enumerate(self.options, 1):
            head = QLabel(_header(option), self.grid)
            head.setToolTip(option.tooltip)
            grid.addWidget(head, 0, column_)
        for number, track in enumerate(self.rows, 1):
            label = QLabel(_track_label(track, number), self.grid)
            label.setToolTip(f"Named '{track.key}' in the variations' options")
            grid.addWidget(label, number, 0)
            for column_, option in enumerate(self.options, 1):
                editor = self._editor(option, track.key)
                grid.addWidget(editor, number, column_)
        grid.setColumnStretch(0, 1)
        self.hint.setVisible(bool(self.options) and not self.rows)
        self.setVisible(bool(self.options))

    def _editor(self, option: OptionSpec, key: str) -> RangePair | TrackNumberBox:
        editor: RangePair | TrackNumberBox
        if option.kind == TRACK_RANGE:
            editor = RangePair(self.grid)
            editor.edited.connect(lambda o=option.name, k=key, e=editor: self._on_edited(o, k, e.value()))
        else:
            editor = TrackNumberBox(option, self.grid)
            editor.valueChanged.connect(lambda _v, o=option.name, k=key, e=editor: self._on_edited(o, k, e.number()))
            editor.setToolTip(option.tooltip)
        self._show(editor, self._values.value(option.name, key))
        self.editors[(option.name, key)] = editor
        return editor

    @staticmethod
    def _show(editor: RangePair | TrackNumberBox, value: Any) -> None:
        if isinstance(editor, RangePair):
            editor.set_value(value)
        else:
            with QSignalBlocker(editor):
                editor.set_number(value)

    def _on_edited(self, option: str, key: str, value: Any) -> None:
        self._values = self._values.updated(option, key, value)
        self.changed.emit()

