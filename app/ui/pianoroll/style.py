"""Scene colours of the piano roll (dark theme) and the per-track note palette.

The main window sets an app-wide dark palette; the piano roll paints its own
scene to match: dark rows, black-key rows a little darker, bar lines lighter
than beat lines, beat lines lighter than the snap grid. Note colours take each
track's hue from ``app/ui/panels/track_colours.py`` (the track list's
swatches); velocity sets brightness and saturation;
tracks other than the active one are dimmed.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QBrush, QColor, QPen

from app.ui.panels.track_colours import track_colour

BACKGROUND = QColor("#24262c")  # white-key rows
BLACK_ROW = QColor("#1c1e23")  # black-key rows
ROW_LINE = QColor("#2b2e35")
OCTAVE_LINE = QColor("#3a3e48")
SUBGRID_LINE = QColor("#2e3139")
BEAT_LINE = QColor("#3b3f49")
BAR_LINE = QColor("#616875")
PLAYHEAD = QColor("#ff6a55")
LOOP_FILL = QColor(90, 150, 255, 26)  # over the notes
LOOP_RULER = QColor(90, 150, 255, 110)
LOOP_EDGE = QColor("#6ea2ff")
RULER_BG = QColor("#2d3037")
RULER_TEXT = QColor("#c9ced8")
RULER_TICK = QColor("#7a8190")
SELECTED_OUTLINE = QColor("#ffffff")
WHITE_KEY = QColor("#d9dce2")
WHITE_KEY_PRESSED = QColor("#8fb8ff")
BLACK_KEY = QColor("#16171b")
BLACK_KEY_PRESSED = QColor("#4a78c8")
KEY_TEXT = QColor("#3a3d44")
DRUM_ROW_UNNAMED = QColor("#b4b8c0")  # drum-map rows outside the GM percussion map
DRUM_ROW_LINE = QColor("#b0b4bc")
DRUM_TEXT_UNNAMED = QColor("#6a6e78")
LANE_BG = QColor("#1f2126")
LANE_LINE = QColor("#30333b")
LANE_TEXT = QColor("#c9ced8")


BLACK_PITCH_CLASSES = frozenset((1, 3, 6, 8, 10))


def is_black(pitch: int) -> bool:
    """Whether ``pitch`` is a black key."""
    return pitch % 12 in BLACK_PITCH_CLASSES


def track_color(track: int, velocity: int = 100, active: bool = True) -> QColor:
    """The fill of a note of ``track`` at ``velocity``: the track list's hue, brighter and more saturated when louder."""
    hue = max(0.0, track_colour(track).hueF())
    v = max(1, min(127, velocity)) / 127.0
    if active:
        return QColor.fromHsvF(hue, 0.30 + 0.55 * v, 0.50 + 0.50 * v)
    return QColor.fromHsvF(hue, 0.25 + 0.2 * v, 0.40 + 0.15 * v, 0.45)


@lru_cache(maxsize=4096)
def note_brush(track: int, velocity: int, active: bool, selected: bool) -> QBrush:
    """Cached brush for a note (items share brushes: cheap to build 10,000 notes)."""
    color = track_color(track, velocity, active)
    if selected:
        color = color.lighter(135)
    return QBrush(color)


@lru_cache(maxsize=64)
def note_pen(track: int, active: bool, selected: bool) -> QPen:
    """Cached cosmetic outline of a note: white when selected."""
    if selected:
        pen = QPen(SELECTED_OUTLINE, 2)
    else:
        color = track_color(track, 40, active).darker(170) if active else QColor(0, 0, 0, 70)
        pen = QPen(color, 1)
    pen.setCosmetic(True)
    return pen


def cosmetic(color: QColor, width: float = 1) -> QPen:
    """A pen whose width is in pixels whatever the view's zoom."""
    pen = QPen(color, width)
    pen.setCosmetic(True)
    return pen
