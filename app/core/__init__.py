"""Pure core of Cadenza: the score model and its file formats.

Nothing here imports PySide6, torch or pyqtgraph (a test enforces it).
"""
