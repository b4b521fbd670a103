"""Autosave and crash recovery.

While a document has unsaved changes, it is written every ``interval`` seconds
as a ``.cadenza`` project into the user's autosave folder, with a small
``.meta.json`` beside it (document name, original file, time, note count, and
when the user was first shown it) and a QLockFile that names this process. A
clean close removes all three. At the next start, every autosave whose lock is
stale (its process is gone: a crash, a kill) is offered back; Qt's QLockFile
decides staleness from the PID and the application name, so a running second
instance's work is never taken.

Nothing here deletes an autosave the user has not discarded, except one older
than the ``autosave_keep_days`` setting that the user has already been shown
(:func:`expire`). Autosaves are read with the same bounded reader as any
project the user opens (``app.core.formats.load_project_file``).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal, Slot

from app.core.atomic import atomic_write_bytes
from app.core.errors import CadenzaError, FileFormatError
from app.core.formats import load_project_file
from app.core.paths import autosave_dir
from app.core.project import dumps_project
from app.core.score import Score
from app.document import Document

META_SUFFIX = ".meta.json"
MAX_META_BYTES = 64 << 10
DAY_S = 86400


@dataclass(frozen=True)
class Recoverable:
    """Unsaved work a crashed session left behind."""

    path: Path  # the autosave file
    original: Path | None  # the file the work belonged to, if it had one
    saved_at: float  # seconds since the epoch
    title: str  # the document's name: its file name, else the score's title, else "Untitled"
    note_count: int = -1  # -1: unknown (the autosave could not be read)
    shown_at: float | None = None  # when the user was first offered it

    @property
    def meta_path(self) -> Path:
        return meta_path(self.path)

    def when(self, now: float | None = None) -> str:
        """'today at 11:12', 'yesterday at 09:05' or '3 May 2025 at 11:12'."""
        saved, today = date.fromtimestamp(self.saved_at), date.fromtimestamp(time.time() if now is None else now)
        clock = time.strftime("%H:%M", time.localtime(self.saved_at))
        if saved == today:
            return f"today at {clock}"
        if (today - saved).days == 1:
            return f"yesterday at {clock}"
        return f"{saved.day} {saved.strftime('%b %Y')} at {clock}"

    def notes_text(self) -> str:
        if self.note_count < 0:
            return "notes unknown"
        return f"{self.note_count} note" + ("" if self.note_count == 1 else "s")

    def describe(self, now: float | None = None) -> str:
        """The document, the time and the note count, e.g. 'Nocturne — autosaved today at 11:12, 3 notes'."""
        return f"{self.title} — autosaved {self.when(now)}, {self.notes_text()}"


def meta_path(autosave: Path) -> Path:
    return autosave.with_name(autosave.stem + META_SUFFIX)


class Autosave(QObject):
    """Writes the document's unsaved state on a timer; removes it on a clean close."""

    saved = Signal(str)  # the autosave path
    failed = Signal(str)  # every failure: one sentence with the reason in words
    stopped = Signal(str)  # the first failure after a success (or the first ever): tell the user once

    def __init__(self, doc: Document, interval_s: int = 60, folder: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.folder = Path(folder) if folder else autosave_dir()
        self.session = uuid.uuid4().hex[:12]
        self.path = self.folder / f"session-{self.session}.cadenza"
        self._lock: QLockFile | None = None
        self._failing = False
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    def _ensure_lock(self) -> None:
        if self._lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = QLockFile(str(self.path.with_suffix(".lock")))
            lock.setStaleLockTime(0)  # only a dead owner makes it stale, never age
            if not lock.tryLock(0):  # unlocked, the autosave would look like a dead session's to another Cadenza
                denied = lock.error() == QLockFile.LockError.PermissionError
                raise OSError(errno.EACCES if denied else 0, "the autosave's lock file could not be made")
            self._lock = lock

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.doc.modified:
            self.save_now()

    def save_now(self) -> bool:
        """Write the autosave now (on the main thread: a project is JSON, written in milliseconds)."""
        data = b""
        original = str(Path(self.doc.path).resolve()) if self.doc.path else None
        meta = {"original": original, "saved_at": time.time(), "title": self.doc.title,
                "notes": self.doc.score.note_count}
        try:
            data = dumps_project(self.doc.score, {"autosave": meta})  # the meta inside too, should its file go
            self._ensure_lock()
            atomic_write_bytes(self.path, data, keep_backup=False)
            meta["bytes"] = len(data)
            atomic_write_bytes(meta_path(self.path), json.dumps(meta).encode("utf-8"), keep_backup=False)
        except (OSError, CadenzaError) as exc:
            message = failure_message(exc, self.folder, len(data))
            self.failed.emit(message)
            if not self._failing:
                self._failing = True
                self.stopped.emit(message)
            return False
        self._failing = False
        self.saved.emit(str(self.path))
        return True

    def discard(self) -> None:
        """Remove this session's autosave (after a save, or on a clean close)."""
        for p in (self.path, self.path.with_name(self.path.name + ".bak"), meta_path(self.path)):
            p.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None


# -- why a write failed, in words ------------------------------------------------

def _errno_of(exc: BaseException) -> int | None:
    """The errno behind ``exc``: its own, its cause's, or the one its sentence names."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:
            return seen.errno
        seen = seen.__cause__ or seen.__context__
    problem = getattr(exc, "problem", None) or str(exc)
    for code in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR):
        if os.strerror(code).lower() in problem.lower():
            return code
    return None


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def write_failure_reason(exc: BaseException, folder: Path, needed: int = 0) -> str:
    """Why Cadenza could not write into ``folder``, as a sentence a musician can act on."""
    code = _errno_of(exc)
    existing = _nearest_existing(Path(folder))
    if code is None:  # no errno survived: look at the folder itself
        if not os.access(existing, os.W_OK):
            code = errno.EACCES
        else:
            try:
                if shutil.disk_usage(existing).free < needed + (1 << 20):
                    code = errno.ENOSPC
            except OSError:
                pass
    if code in (errno.ENOSPC, errno.EDQUOT):
        size = f" (it needs about {max(1, round(needed / (1 << 20)))} MB)" if needed else ""
        return f"The disk is full{size}"
    if code in (errno.EACCES, errno.EPERM):
        return f"Cadenza may not write to {folder}"
    if code == errno.EROFS:
        return f"{folder} is on a read-only disk"
    if code in (errno.ENOTDIR, errno.EEXIST):
        return f"{folder} is not a folder"
    detail = getattr(exc, "problem", None) or (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return f"Writing to {folder} failed ({detail.rstrip('.')})"


def failure_message(exc: BaseException, folder: Path, needed: int = 0) -> str:
    """The dialog's text when autosave cannot write: the reason first, then what it means."""
    return (f"{write_failure_reason(exc, folder, needed)}, so Cadenza cannot autosave your unsaved work. "
            "Until this is fixed a crash would lose it: save it yourself (File ▸ Save As) somewhere that has room.")


# -- what crashed sessions left behind -------------------------------------------------

def _read_meta(path: Path) -> dict | None:
    meta = meta_path(path)
    try:
        if meta.stat().st_size > MAX_META_BYTES:
            return None
        data = json.loads(meta.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _describe(path: Path) -> Recoverable:
    """A Recoverable from the autosave's meta file, or by reading the autosave (bounded) when that is stale."""
    meta = _read_meta(path) or {}
    size = path.stat().st_size
    shown = meta.get("shown_at")
    shown_at = float(shown) if isinstance(shown, (int, float)) else None
    original = meta.get("original") if isinstance(meta.get("original"), str) else None
    title = str(meta.get("title") or (Path(original).name if original else "") or "Untitled")
    saved_at = meta.get("saved_at")
    if meta.get("bytes") == size and isinstance(saved_at, (int, float)) and isinstance(meta.get("notes"), int):
        return Recoverable(path, Path(original) if original else None, float(saved_at), title,
                           int(meta["notes"]), shown_at)
    saved_at, notes = path.stat().st_mtime, -1
    try:  # no meta (an older Cadenza), or killed between the autosave and its meta: read the autosave (bounded)
        score, state = load_project_file(path)
        notes, inner = score.note_count, state.get("autosave")
        if isinstance(inner, dict):
            original = inner.get("original") if isinstance(inner.get("original"), str) else original
            title = str(inner.get("title") or title)
            saved_at = float(inner["saved_at"]) if isinstance(inner.get("saved_at"), (int, float)) else saved_at
    except CadenzaError:
        pass  # offered all the same (the user decides); opening it will say what is wrong
    return Recoverable(path, Path(original) if original else None, saved_at, title, notes, shown_at)


def find_recoverable(folder: Path | None = None) -> list[Recoverable]:
    """Every autosave whose session is gone, newest first."""
    folder = Path(folder) if folder else autosave_dir()
    found = []
    for path in sorted(folder.glob("session-*.cadenza")) if folder.is_dir() else []:
        lock = QLockFile(str(path.with_suffix(".lock")))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            continue  # a running Cadenza owns it
        lock.unlock()
        try:
            found.append(_describe(path))
        except OSError:
            continue  # gone meanwhile (another Cadenza recovered it)
    return sorted(found, key=lambda r: -r.saved_at)


def newer_autosaves(original: Path, folder: Path | None = None) -> list[Recoverable]:
    """Autosaves of ``original`` from dead sessions that are newer than the file itself, newest first."""
    target = Path(original).resolve()
    try:
        mtime = target.stat().st_mtime
    except OSError:
        mtime = 0.0
    return [item for item in find_recoverable(folder)
            if item.original is not None and item.original.resolve() == target and item.saved_at > mtime]


def mark_shown(items: list[Recoverable], now: float | None = None) -> list[Recoverable]:
    """Remember that the user has been offered ``items`` (the first time counts); returns them updated."""
    now = time.time() if now is None else now
    updated = []
    for item in items:
        if item.shown_at is None:
            item = replace(item, shown_at=now)
            meta = {"original": str(item.original) if item.original else None, "saved_at": item.saved_at,
                    "title": item.title, "notes": item.note_count, "shown_at": now}
            try:
                meta["bytes"] = item.path.stat().st_size
                atomic_write_bytes(item.meta_path, json.dumps(meta).encode("utf-8"), keep_backup=False)
            except (OSError, CadenzaError):
                pass  # not remembered: it will simply be kept longer
        updated.append(item)
    return updated


def expire(folder: Path | None, keep_days: int, now: float | None = None) -> list[Recoverable]:
    """Remove dead sessions' autosaves older than ``keep_days`` that the user has been shown; returns them."""
    now = time.time() if now is None else now
    old = [item for item in find_recoverable(folder)
           if item.shown_at is not None and item.saved_at < now - keep_days * DAY_S]
    for item in old:
        forget(item)
    return old


def recover(item: Recoverable) -> Score:
    """The recovered score, through the bounded reader (the caller loads it as modified, then calls :func:`forget`)."""
    if not item.path.exists():
        raise FileFormatError(item.path, "this autosave is gone (another Cadenza window may have recovered it)")
    return load_project_file(item.path)[0]


def forget(item: Recoverable) -> None:
    """Delete an autosave the user discarded (or whose work now lives in another autosave)."""
    for p in (item.path, item.path.with_name(item.path.name + ".bak"), item.meta_path, item.path.with_suffix(".lock")):
        p.unlink(missing_ok=True)
