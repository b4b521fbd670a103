"""A small piano-roll picture of a score: the seed preview and every variation card.

Light on purpose (one QPainter pass into a cached pixmap, no scene): bar
lines, notes in their track colours fitted to the pitch range, and an
optional playhead line while the score is auditioned.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.core.score import Score
from app.core.variations import bar_spans
from app.ui.panels.track_colours import track_colour

BACKGROUND = QColor("#1a1c20")
BAR_LINE = QColor("#3b3f49")
BORDER = QColor("#30333b")
PLAYHEAD = QColor("#ff6a55")
EMPTY_TEXT = QColor("#868c96")
MIN_PITCH_SPAN = 12


class MiniRoll(QWidget):
    """Draws ``score`` (or a hint when there is none) across its whole width."""

    def __init__(self, parent: QWidget | None = None, height: int = 56) -> None:
        super().__init__(parent)
        self._score: Score | None = None
        self._bars: int | None = None
        self._hint = "No seed"
        self._position: int | None = None
        self._pixmap: QPixmap | None = None
        self.setMinimumHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(height)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(240, self.minimumHeight())

    def set_score(self, score: Score | None, bars: int | None = None, hint: str = "No seed") -> None:
        """Show ``score`` over ``bars`` bars (default: its own length), or ``hint`` when None."""
        self._score, self._bars, self._hint = score, bars, hint
        self._pixmap = None
        self.update()

    def score(self) -> Score | None:
        return self._score

    def set_position(self, tick: int | None) -> None:
        """Draw the playhead at ``tick`` (None hides it)."""
        if tick != self._position:
            self._position = tick
            self.update()

    def _span(self) -> int:
        spans = bar_spans(self._score, self._bars) if self._score is not None else []
        return max(spans[-1][1] if spans else 0, self._score.end if self._score is not None else 0, 1)

    def _render(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(BACKGROUND)
        painter = QPainter(pixmap)
        w, h = float(self.width()), float(self.height())
        score = self._score
        if score is None or score.note_count == 0:
            painter.setPen(EMPTY_TEXT)
            painter.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, self._hint)
        else:
            span = self._span()
            painter.setPen(BAR_LINE)
            for start, _end in bar_spans(score, self._bars):
                x = start * w / span
                painter.drawLine(QPointF(x, 0), QPointF(x, h))
            pitches = [n.pitch for n in score.all_notes()]
            low, high = min(pitches), max(pitches)
            if high - low < MIN_PITCH_SPAN:
                low -= (MIN_PITCH_SPAN - (high - low)) // 2
                high = low + MIN_PITCH_SPAN
            row = (h - 4) / (high - low + 1)
            painter.setPen(Qt.PenStyle.NoPen)
            for index, track in enumerate(score.tracks):
                painter.setBrush(track_colour(index))
                for note in track.notes:
                    x, width = note.start * w / span, max(1.5, note.duration * w / span - 0.5)
                    y = 2 + (high - note.pitch) * row
                    painter.drawRect(QRectF(x, y, width, max(1.5, row)))
        painter.setPen(BORDER)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0.5, 0.5, w - 1, h - 1))
        painter.end()
        return pixmap

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        if self._pixmap is None or self._pixmap.deviceIndependentSize().toSize() != self.size():
            self._pixmap = self._render()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        if self._position is not None and self._score is not None:
            x = self._position * self.width() / self._span()
            painter.setPen(PLAYHEAD)
            painter.drawLine(int(x), 0, int(x), self.height())
        painter.end()
