"""Track colours: one palette for every view that colours tracks (track list, piano roll).

Colours are chosen to read on the dark theme and to stay apart from each
other and from the amber accent; they repeat after :data:`PALETTE` runs out.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

PALETTE = ("#4fa3e0", "#e0605a", "#6cc070", "#b57ee0", "#e0c04f", "#4fd0c4",
           "#e08ac0", "#9aa6ff", "#c7955a", "#8fd14f")


def track_colour(index: int) -> QColor:
    """The colour of track ``index`` (counted from 0)."""
    return QColor(PALETTE[index % len(PALETTE)])
