"""Building the generation widgets' rows and columns in one call each."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLayout, QVBoxLayout, QWidget

STRETCH = None  # an item that stretches


def _fill(layout: QBoxLayout, items, margins: tuple[int, int, int, int], spacing: int) -> QBoxLayout:
    layout.setContentsMargins(*margins)
    layout.setSpacing(spacing)
    for item in items:
        item, stretch = item if isinstance(item, tuple) else (item, 0)
        if item is STRETCH:
            layout.addStretch(1)
        elif isinstance(item, QLayout):
            layout.addLayout(item, stretch)
        else:
            layout.addWidget(item, stretch)
    return layout


def row(*items, margins: tuple[int, int, int, int] = (0, 0, 0, 0), spacing: int = 4,
        parent: QWidget | None = None) -> QHBoxLayout:
    """A row of widgets, layouts, ``STRETCH`` or ``(item, stretch factor)``."""
    return _fill(QHBoxLayout(parent) if parent is not None else QHBoxLayout(), items, margins, spacing)


def column(*items, margins: tuple[int, int, int, int] = (0, 0, 0, 0), spacing: int = 4,
           parent: QWidget | None = None) -> QVBoxLayout:
    """A column of the same kinds of items."""
    return _fill(QVBoxLayout(parent) if parent is not None else QVBoxLayout(), items, margins, spacing)
