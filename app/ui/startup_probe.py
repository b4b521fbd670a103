"""Start-up timing of the GUI, for ``make package-check`` (the bundle beside ``make run``).

With ``CADENZA_STARTUP_PROBE=FILE`` in the environment, :func:`install` waits until the main window is
shown and the event loop has painted it (and, with a file given, until that file is open), writes one JSON
object to FILE — ``{"ready_at": <time.time()>, "opened": <bool>}`` — and quits. The caller notes
``time.time()`` before starting the process, so the difference is the start-up a musician waits through:
interpreter or bundle start, imports, Qt, the window and its first paint. Without the variable nothing
happens.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QTimer

ENV = "CADENZA_STARTUP_PROBE"


def install(app, window, opening_file: bool) -> None:
    """Quit ``app`` once ``window`` is up (and its file open, when ``opening_file``), writing the time."""
    target = os.environ.get(ENV)
    if not target:
        return

    def done(opened: bool) -> None:
        Path(target).write_text(json.dumps({"ready_at": time.time(), "opened": bool(opened)}), encoding="utf-8")
        window.files.autosave.discard()
        window.doc.mark_saved()
        app.quit()

    if opening_file:
        window.files.opened.connect(lambda opened: QTimer.singleShot(0, lambda: done(bool(opened))))
    else:
        QTimer.singleShot(0, lambda: done(True))  # after the first show and paint events
