"""Widgets of the Cadenza window: main window, piano roll, ABC editor, transport, panels."""
