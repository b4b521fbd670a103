"""The Generation panel, the Variations gallery and the Phrases view (see ``docks.py``)."""

from app.ui.generation.docks import GenerationDocks

__all__ = ["GenerationDocks"]
