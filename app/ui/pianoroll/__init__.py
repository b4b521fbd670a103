"""The piano roll: a QGraphicsView note editor with keyboard, ruler and velocity lane."""

from app.ui.pianoroll.widget import PianoRoll

__all__ = ["PianoRoll"]
