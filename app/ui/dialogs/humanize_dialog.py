"""The Humanize dialog: how much, which random seed, and the run under way.

The dialog only shows and asks: an Amount slider (0-100 %: how far the
model's timing offsets and velocity spread go), a random seed (same seed,
same performance) with a button for a new one, and while a run is under way
a busy bar and its message. **Humanize** emits :attr:`HumanizeDialog.asked`;
**Cancel** stops a run in progress (emitting :attr:`cancel_asked`) or, when
none is, closes the dialog. The controller (``app/ui/humanize_runs.py``)
runs the work and calls :meth:`show_running`, :meth:`show_error` or closes
the dialog.
"""

from __future__ import annotations

import random

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QProgressBar, QSlider,
                               QSpinBox, QToolButton, QVBoxLayout, QWidget)

from models.common.options import RANDOM_SEED_MAX


class HumanizeDialog(QDialog):
    """Amount and random seed of one Humanize; shows progress and errors of the run it starts."""

    asked = Signal(float, int)  # amount 0-1, random seed
    cancel_asked = Signal()

    def __init__(self, what: str, amount: int = 50, random_seed: int = 0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Humanize")
        self._running = False
        intro = QLabel(f"Play {what} expressively: the model chooses each note's velocity and a small timing "
                       "offset; the pitches and their order stay as they are.")
        intro.setWordWrap(True)
        self.amount = QSlider(Qt.Orientation.Horizontal)
        self.amount.setRange(0, 100)
        self.amount.setToolTip("How far the timing offsets and the spread of velocities go (0 %: unchanged)")
        self.amount_box = QSpinBox()
        self.amount_box.setRange(0, 100)
        self.amount_box.setSuffix(" %")
        self.amount.valueChanged.connect(self.amount_box.setValue)
        self.amount_box.valueChanged.connect(self.amount.setValue)
        self.amount.setValue(max(0, min(100, int(amount))))
        self.seed = QSpinBox()
        self.seed.setRange(0, RANDOM_SEED_MAX)
        self.seed.setValue(max(0, min(RANDOM_SEED_MAX, int(random_seed))))
        self.seed.setToolTip("Same random seed, same performance")
        dice = QToolButton()
        dice.setText("New")
        dice.setToolTip("A new random seed: another performance")
        dice.clicked.connect(lambda: self.seed.setValue(random.randint(0, RANDOM_SEED_MAX)))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # busy: the model reports no steps
        self.busy.setTextVisible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(2 * self.message.fontMetrics().lineSpacing())  # a sentence of two lines
        for widget in (self.busy, self.message):  # their room is kept, so the dialog never jumps
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
            widget.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.humanize_button = self.buttons.addButton("&Humanize", QDialogButtonBox.ButtonRole.AcceptRole)
        self.humanize_button.setDefault(True)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self._on_buttons_rejected)
        self._lay_out(intro, dice)

    def _lay_out(self, intro: QLabel, dice: QToolButton) -> None:
        amount_row, seed_row = QHBoxLayout(), QHBoxLayout()
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.amount_box)
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(dice)
        form = QFormLayout()
        form.addRow("Amount", amount_row)
        form.addRow("Random seed", seed_row)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.busy)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    # -- what the controller reads and shows ----------------------------------------------------
    def chosen_amount(self) -> float:
        """The amount from 0 (unchanged) to 1 (the model's full offsets and spread)."""
        return self.amount.value() / 100

    def chosen_seed(self) -> int:
        return self.seed.value()

    @property
    def running(self) -> bool:
        return self._running

    def show_running(self, message: str = "Humanizing…", done: int = 0, total: int = 0) -> None:
        """A run is under way: ``message`` and a bar (``done`` of ``total`` steps, or busy when 0); the
        controls wait."""
        self._running = True
        self._set_controls(False)
        self.busy.setRange(0, max(0, total))
        self.busy.setValue(min(done, total))
        self.busy.show()
        self._show_message(message, error=False)

    def show_idle(self, message: str = "", error: bool = False) -> None:
        """No run: the controls back, with ``message`` (an error in red) or none."""
        self._running = False
        self._set_controls(True)
        self.busy.hide()
        self._show_message(message, error)

    def show_error(self, message: str) -> None:
        self.show_idle(message, error=True)

    def _set_controls(self, enabled: bool) -> None:
        for widget in (self.amount, self.amount_box, self.seed, self.humanize_button):
            widget.setEnabled(enabled)

    def _show_message(self, message: str, error: bool) -> None:
        self.message.setStyleSheet("color: #c0392b;" if error else "")
        self.message.setText(message)
        self.message.setVisible(bool(message))

    # -- buttons -------------------------------------------------------------------------------
    def _on_buttons_accepted(self) -> None:
        if not self._running:
            self.asked.emit(self.chosen_amount(), self.chosen_seed())

    def _on_buttons_rejected(self) -> None:
        if self._running:
            self.cancel_asked.emit()
        else:
            self.reject()

    def reject(self) -> None:
        """Escape or the close button: a run in progress is cancelled first."""
        if self._running:
            self.cancel_asked.emit()
        super().reject()
