"""The text view of the ABC editor: monospace, a line-number gutter, the error marked in place.

The gutter is the classic Qt "code editor" pattern: a child widget in the
left viewport margin, repainted on ``updateRequest``. The error position is an
extra selection with a red wavy underline (not a change to the text's
formats, so it never touches the undo history), and the gutter shows that
line's number in red.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Slot
from PySide6.QtGui import (QColor, QFontDatabase, QPainter, QPaintEvent, QResizeEvent, QTextCharFormat, QTextCursor,
                           QTextFormat)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

ERROR_COLOUR = QColor("#ff5370")
GUTTER_TEXT = QColor("#5c6370")
GUTTER_BACKGROUND = QColor("#1b1d21")
CURRENT_LINE = QColor(255, 255, 255, 14)


class _Gutter(QWidget):
    def __init__(self, view: "AbcTextEdit") -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(self.view.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        self.view.paint_gutter(event)


class AbcTextEdit(QPlainTextEdit):
    """A plain-text editor for ABC with line numbers and an error mark."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self._gutter = _Gutter(self)
        self._error: tuple[int, int, int] | None = None  # line, column (1-based), length
        self.blockCountChanged.connect(self._on_self_block_count_changed)
        self.updateRequest.connect(self._on_self_update_request)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._on_self_block_count_changed(0)

    # -- error mark -------------------------------------------------------------
    def set_error(self, line: int | None, column: int = 1, length: int = 1) -> None:
        """Mark ``length`` characters from ``line``/``column`` (1-based); None clears the mark."""
        self._error = None if line is None else (line, column, length)
        self._refresh_selections()
        self._gutter.update()

    def error_cursor(self) -> QTextCursor | None:
        """A cursor selecting the marked characters (clipped to the line), or None."""
        if self._error is None:
            return None
        line, column, length = self._error
        block = self.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return None
        start = min(column - 1, max(0, block.length() - 1))
        end = min(start + max(1, length), max(start + 1, block.length() - 1))
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + start)
        cursor.setPosition(min(block.position() + end, self.document().characterCount() - 1),
                           QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def go_to_error(self) -> None:
        cursor = self.error_cursor()
        if cursor is not None:
            cursor.setPosition(cursor.selectionStart())
            self.setTextCursor(cursor)
            self.setFocus()

    @Slot()
    def _refresh_selections(self) -> None:
        current = QTextEdit.ExtraSelection()
        current.format.setBackground(CURRENT_LINE)
        current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        current.cursor = self.textCursor()
        current.cursor.clearSelection()
        selections = [current]
        cursor = self.error_cursor()
        if cursor is not None:
            mark = QTextEdit.ExtraSelection()
            mark.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            mark.format.setUnderlineColor(ERROR_COLOUR)
            mark.cursor = cursor
            selections.append(mark)
        self.setExtraSelections(selections)

    # -- gutter -----------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 10 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    @Slot(int)
    def _on_self_block_count_changed(self, _count: int) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    @Slot(QRect, int)
    def _on_self_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._on_self_block_count_changed(0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), GUTTER_BACKGROUND)
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        error_line = self._error[0] if self._error else None
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                painter.setPen(ERROR_COLOUR if number + 1 == error_line else GUTTER_TEXT)
                painter.drawText(0, top, self._gutter.width() - 5, height,
                                 Qt.AlignmentFlag.AlignRight, str(number + 1))
            block = block.next()
            top, number = bottom, number + 1
        painter.end()
