"""Cadenza: a desktop sketchpad for composers who work with neural generators."""

__version__ = "0.1.0"
