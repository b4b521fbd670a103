"""Side panels of the main window: the track list."""
