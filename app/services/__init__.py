"""Glue between the pure code and the widgets: QtCore services (player, files, autosave), no widgets."""
