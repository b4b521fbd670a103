"""The Training dialog (issue 6): train or fine-tune a model in a child process, and compare it with its base.

``open_training_dialog(window)`` is what the window's "Train a Model…" action
calls: it shows the window's dialog, making it the first time.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.ui.training.dialog import TrainingDialog

__all__ = ["TrainingDialog", "open_training_dialog"]


def open_training_dialog(window: QWidget | None = None) -> TrainingDialog:
    """Show the Training dialog of ``window`` (its runner and player are used when it has them)."""
    dialog = window.findChild(TrainingDialog) if window is not None else None
    if dialog is None:
        dialog = TrainingDialog(window)
    dialog.rearm()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
