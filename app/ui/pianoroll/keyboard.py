"""The piano keyboard left of the notes: one row per pitch, aligned with the note view.

Pressing a key emits ``key_pressed(pitch)`` (the main window sounds it, on the
drum kit for a drum track); releasing emits ``key_released(pitch)``; dragging
across keys plays a glissando (release of the old key, press of the new one).

When the active track is a drum track the column is a drum map instead: one
plain row per pitch named after its General MIDI percussion sound ("Bass Drum 1",
"Closed Hi Hat"...), shortened or elided when the column is narrow, left
unlabelled when the rows are too short to read; a tooltip gives the full name.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.core.drums import drum_name, drum_pitches, short_drum_name

from app.ui.pianoroll import style

NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def pitch_name(pitch: int) -> str:
    """Scientific pitch name, middle C (60) = C4."""
    return f"{NAMES[pitch % 12]}{pitch // 12 - 1}"


MIN_LABEL_ROW_PX = 8  # shorter rows carry no text (the tooltip still names them)
DRUM_KEYS_MAX_PX = 150  # the drum map's column grows to fit its names, up to this


class Keyboard(QWidget):
    """Keys drawn over the view's rows; wheel scrolls or zooms the rows like the view."""

    key_pressed = Signal(int)
    key_released = Signal(int)

    def __init__(self, view, parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.pressed: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self._drums = False
        self.setFixedWidth(self._piano_width())
        view.rows_changed.connect(self._on_view_rows_changed)
        doc = view.doc
        doc.active_track_changed.connect(self._on_doc_active_track_changed)
        doc.tracks_changed.connect(self._sync_drums)
        doc.score_reset.connect(self._sync_drums)
        self._sync_drums()

    @Slot()
    def _on_view_rows_changed(self) -> None:
        self.update()

    @Slot(int)
    def _on_doc_active_track_changed(self, _index: int) -> None:
        self._sync_drums()

    # -- drum map -----------------------------------------------------------------------
    def _piano_width(self) -> int:
        return self.fontMetrics().horizontalAdvance("C#-1") + 34

    def _drum_width(self) -> int:
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(drum_name(p)) for p in drum_pitches())
        return min(DRUM_KEYS_MAX_PX, widest + 12)

    def is_drum(self) -> bool:
        """Whether the keys show the drum map (the active track is a drum track)."""
        return self._drums

    @Slot()
    def _sync_drums(self) -> None:
        tracks, index = self.view.doc.score.tracks, self.view.doc.active_track
        drums = bool(tracks) and 0 <= index < len(tracks) and tracks[index].is_drum
        if drums != self._drums:
            self._drums = drums
            self.setFixedWidth(self._drum_width() if drums else self._piano_width())
        self.update()

    def key_name(self, pitch: int) -> str:
        """The full name of ``pitch``'s key: its GM drum on a drum track, else its pitch name ("C4")."""
        if self._drums:
            name = drum_name(pitch)
            if name is not None:
                return name
        return pitch_name(pitch)

    def _label_font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(max(6, min(int(self.view.row_px) - 2, self.fontInfo().pixelSize())))
        return font

    def key_label(self, pitch: int) -> str:
        """The text painted on ``pitch``'s key at the current zoom ("" for none).

        Piano keys name each C; drum keys name their drum, shortened ("Ac Snare") or
        elided when the full name is wider than the column, and show other pitches'
        names plainly.
        """
        if self.view.row_px < MIN_LABEL_ROW_PX:
            return ""
        if not self._drums:
            return pitch_name(pitch) if pitch % 12 == 0 else ""
        metrics, room = QFontMetrics(self._label_font()), self.width() - 8
        name = drum_name(pitch)
        if name is None:
            return pitch_name(pitch)
        if metrics.horizontalAdvance(name) > room:
            name = metrics.elidedText(short_drum_name(pitch), Qt.TextElideMode.ElideRight, room)
        return name

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pitch = self.pitch_at(event.pos().y())
            name = self.key_name(pitch)
            QToolTip.showText(event.globalPos(), name if name == pitch_name(pitch) else f"{name} ({pitch})", self)
            return True
        return super().event(event)

    def _row_rect(self, pitch: int) -> QRectF:
        h = self.view.row_px
        return QRectF(0, self.view.pitch_to_y(pitch) - h / 2, self.width(), h)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.WHITE_KEY)
        top, bottom = self.view.y_to_pitch(event.rect().bottom()), self.view.y_to_pitch(event.rect().top())
        painter.setFont(self._label_font())
        painter.setPen(style.KEY_TEXT)
        if self._drums:
            self._paint_drums(painter, range(top, bottom + 1))
            return
        black_w = self.width() * 0.6
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
            label = self.key_label(pitch)
            if label:
                align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                painter.drawText(rect.adjusted(0, 0, -4, 0), align, label)

    def _paint_drums(self, painter: QPainter, pitches: range) -> None:
        """Plain rows: the GM drums light, other pitches a shade darker with a dim pitch name."""
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        for pitch in pitches:
            rect = self._row_rect(pitch)
            named = drum_name(pitch) is not None
            if pitch == self.pressed:
                painter.fillRect(rect, style.WHITE_KEY_PRESSED)
            elif not named:
                painter.fillRect(rect, style.DRUM_ROW_UNNAMED)
            painter.setPen(style.DRUM_ROW_LINE)
            painter.drawLine(rect.bottomLeft(), rect.bottomRight())
            label = self.key_label(pitch)
            if label:
                painter.setPen(style.KEY_TEXT if named else style.DRUM_TEXT_UNNAMED)
                painter.drawText(rect.adjusted(4, 0, -4, 0), align, label)

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
