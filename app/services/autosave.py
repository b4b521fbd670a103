"""Autosave and crash recovery.

While a document has unsaved changes, it is written every ``interval`` seconds
as a ``.cadenza`` project into the user's autosave folder, next to a
QLockFile that names this process. A clean close removes both. At the next
start, an autosave whose lock is stale (its process is gone: a crash, a kill)
is offered back; Qt's QLockFile decides staleness from the PID and the
application name, so a running second instance's work is never taken.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal, Slot

from app.core.errors import CadenzaError
from app.core.paths import autosave_dir
from app.core.project import load_project, save_project
from app.core.score import Score
from app.document import Document


@dataclass(frozen=True)
class Recoverable:
    """Unsaved work a crashed session left behind."""

    path: Path  # the autosave file
    original: Path | None  # the file the work belonged to, if it had one
    saved_at: float  # seconds since the epoch
    title: str

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        return f"{self.title} (autosaved {when})"


class Autosave(QObject):
    """Writes the document's unsaved state on a timer; removes it on a clean close."""

    saved = Signal(str)  # the autosave path
    failed = Signal(str)

    def __init__(self, doc: Document, interval_s: int = 60, folder: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.folder = Path(folder) if folder else autosave_dir()
        self.session = uuid.uuid4().hex[:12]
        self.path = self.folder / f"session-{self.session}.cadenza"
        self._lock: QLockFile | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    def _ensure_lock(self) -> None:
        if self._lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = QLockFile(str(self.path.with_suffix(".lock")))
            self._lock.setStaleLockTime(0)  # only a dead owner makes it stale, never age
            self._lock.tryLock(0)

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.doc.modified:
            self.save_now()

    def save_now(self) -> bool:
        """Write the autosave now (on the main thread: a project is JSON, written in milliseconds)."""
        try:
            self._ensure_lock()
            state = {"autosave": {"original": str(self.doc.path) if self.doc.path else None,
                                  "saved_at": time.time(), "title": self.doc.title}}
            save_project(self.doc.score, self.path, state)
        except (OSError, CadenzaError) as exc:
            self.failed.emit(f"Autosave failed: {exc}")
            return False
        self.saved.emit(str(self.path))
        return True

    def discard(self) -> None:
        """Remove this session's autosave (after a save, or on a clean close)."""
        for p in (self.path, self.path.with_name(self.path.name + ".bak")):
            p.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None


def find_recoverable(folder: Path | None = None) -> list[Recoverable]:
    """Autosaves whose session is gone, newest first."""
    folder = Path(folder) if folder else autosave_dir()
    found = []
    for path in sorted(folder.glob("session-*.cadenza")) if folder.is_dir() else []:
        lock = QLockFile(str(path.with_suffix(".lock")))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            continue  # a running Cadenza owns it
        lock.unlock()
        try:
            _, state = load_project(path)
        except CadenzaError:
            continue
        info = state.get("autosave") or {}
        original = info.get("original")
        found.append(Recoverable(path, Path(original) if original else None,
                                 float(info.get("saved_at") or path.stat().st_mtime), str(info.get("title") or path.stem)))
    return sorted(found, key=lambda r: -r.saved_at)


def recover(item: Recoverable) -> Score:
    """The recovered score (the caller loads it as modified, then calls :func:`forget`)."""
    return load_project(item.path)[0]


def forget(item: Recoverable) -> None:
    """Delete a recovered (or declined) autosave."""
    for p in (item.path, item.path.with_name(item.path.name + ".bak"), item.path.with_suffix(".lock")):
        p.unlink(missing_ok=True)
