"""The piano keyboard left of the notes: one row per pitch, aligned with the note view.

Pressing a key emits ``key_pressed(pitch)`` (the main window sounds it);
releasing emits ``key_released(pitch)``; dragging across keys plays a
glissando (release of the old key, press of the new one).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.ui.pianoroll import style

NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def pitch_name(pitch: int) -> str:
    """Scientific pitch name, middle C (60) = C4."""
    return f"{NAMES[pitch % 12]}{pitch // 12 - 1}"


class Keyboard(QWidget):
    """Keys drawn over the view's rows; wheel scrolls or zooms the rows like the view."""

    key_pressed = Signal(int)
    key_released = Signal(int)

    def __init__(self, view, parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.pressed: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setFixedWidth(self.fontMetrics().horizontalAdvance("C#-1") + 34)
        view.rows_changed.connect(self._on_view_rows_changed)

    @Slot()
    def _on_view_rows_changed(self) -> None:
        self.update()

    def _row_rect(self, pitch: int) -> QRectF:
        h = self.view.row_px
        return QRectF(0, self.view.pitch_to_y(pitch) - h / 2, self.width(), h)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.WHITE_KEY)
        top, bottom = self.view.y_to_pitch(event.rect().bottom()), self.view.y_to_pitch(event.rect().top())
        black_w = self.width() * 0.6
        font = QFont(self.font())
        font.setPixelSize(max(6, min(int(self.view.row_px) - 2, self.fontInfo().pixelSize())))
        painter.setFont(font)
        painter.setPen(style.KEY_TEXT)
        for pitch in range(top, bottom + 1):
            rect = self._row_rect(pitch)
            pressed = pitch == self.pressed
            if style.is_black(pitch):
                mid = rect.center().y()
                painter.drawLine(QPointF(black_w, mid), QPointF(self.width(), mid))
                painter.fillRect(QRectF(0, rect.top(), black_w, rect.height()),
                                 style.BLACK_KEY_PRESSED if pressed else style.BLACK_KEY)
                continue
            if pressed:
                painter.fillRect(rect, style.WHITE_KEY_PRESSED)
            if pitch % 12 in (0, 5):  # under C and F: two white keys meet
                painter.drawLine(rect.bottomLeft(), rect.bottomRight())
            if pitch % 12 == 0 and self.view.row_px >= 8:
                align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                painter.drawText(rect.adjusted(0, 0, -4, 0), align, pitch_name(pitch))

    # -- mouse ------------------------------------------------------------------------
    def _press(self, pitch: int) -> None:
        if self.pressed == pitch:
            return
        self._release()
        self.pressed = pitch
        self.update()
        self.key_pressed.emit(pitch)

    def _release(self) -> None:
        if self.pressed is not None:
            pitch, self.pressed = self.pressed, None
            self.update()
            self.key_released.emit(pitch)

    def pitch_at(self, y: float) -> int:
        return self.view.y_to_pitch(y)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press(self.pitch_at(event.position().y()))

    def mouseMoveEvent(self, event) -> None:
        if self.pressed is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._press(self.pitch_at(event.position().y()))

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._release()

    def wheelEvent(self, event) -> None:
        self.view.wheelEvent(event)
