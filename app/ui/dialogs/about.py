"""Help ▸ About: Cadenza's version (pyproject's, through ``app.__version__``), licence and Qt build."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QMessageBox, QWidget

from app import __version__


def about_text() -> str:
    """The About box's text (rich text)."""
    return (f"<h3>Cadenza {__version__}</h3>"
            "<p>A sketchpad for composers who work with neural music generators.</p>"
            "<p>MIT licence. The bundled seeds are public domain or CC0.</p>"
            f"<p><small>Python {platform.python_version()}, PySide6 {pyside_version}</small></p>")


def about_box(parent: QWidget) -> QMessageBox:
    """The About box, not yet shown (``.open()`` it)."""
    box = QMessageBox(QMessageBox.Icon.NoIcon, "About Cadenza", about_text(), QMessageBox.StandardButton.Ok, parent)
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    return box
