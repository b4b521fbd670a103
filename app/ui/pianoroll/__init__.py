"""The piano roll: a QGraphicsView note editor with keyboard, ruler and velocity lane."""

from .widget import PianoRoll

__all__ = ["PianoRoll"]
