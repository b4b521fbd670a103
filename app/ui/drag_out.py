"""Drag the score, the active track or the selection out of the window as a .mid file.

A QDrag carries a file URL to a MIDI file written into a fresh temporary
folder, which DAWs and file managers accept as a dropped file. The button's
menu picks what is dragged; with a selection, the selection is the default.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QMenu, QToolButton, QWidget

from app.core.score import Score
from app.services.files import drag_file

WHAT = ("Score", "Active track", "Selection")


class DragOutButton(QToolButton):
    """A button to drag MIDI from: press and drag it onto a DAW's track."""

    def __init__(self, provider: Callable[[str], tuple[Score, str] | None], parent: QWidget | None = None) -> None:
        """``provider(what)`` returns (score, file name) for "Score", "Active track" or "Selection", or None."""
        super().__init__(parent)
        self.provider = provider
        self.what = "Score"
        self.setText("⇲ MIDI")
        self.setToolTip("Drag from here into a DAW or a folder to drop a .mid file (menu: what to drag)")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self)
        for name in WHAT:
            action = menu.addAction(f"Drag {name.lower()}")
            action.setCheckable(True)
            action.setChecked(name == self.what)
            action.triggered.connect(lambda _=False, n=name: self.set_what(n))
        self.setMenu(menu)
        self._press: QPoint | None = None

    def set_what(self, name: str) -> None:
        self.what = name
        for action in self.menu().actions():
            action.setChecked(action.text().endswith(name.lower()))

    def mime_data(self) -> QMimeData | None:
        """The file URL of a freshly written .mid of the chosen part (None if it is empty)."""
        chosen = self.provider(self.what) or (self.provider("Score") if self.what != "Score" else None)
        if chosen is None or chosen[0].note_count == 0:
            return None
        path = drag_file(*chosen)
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(path))])
        return data

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and (event.position().toPoint() - self._press).manhattanLength() \
                >= QApplication.startDragDistance():
            self._press = None
            self.setDown(False)
            data = self.mime_data()
            if data is not None:
                drag = QDrag(self)
                drag.setMimeData(data)
                drag.exec(Qt.DropAction.CopyAction)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)
