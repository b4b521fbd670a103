"""Atomic file saves: temp file, fsync, ``os.replace``, previous version kept as ``.bak``.

A save writes a hidden temp file next to its target (``.NAME.xxxxxxxx.tmp``,
locked while it is written), syncs it and renames it over the target, so a
crash leaves the old file or the new one, never half of either. The backup
is made the same way: the old file is hard-linked (or, where a filesystem
has no hard links, copied and synced) under a temp name and renamed to
``NAME.bak``, so the backup too is always one complete earlier version.

Around that:

- a write-protected file is refused (:class:`ReadOnlyFileError`), never
  silently replaced; a replaced file keeps its permissions, a new one gets
  the umask's (not the temp file's private 0600);
- a full disk is said in words (:class:`DiskFullError`, with the size);
- temp files that killed saves left behind (ours by name, older than the
  running save, locked by no live process) are removed by the next save to
  that folder, or by :func:`clean_stale_temps`.

:func:`replacing` is the general form (the caller writes the temp file, e.g.
libsndfile by name); :func:`staging_folder` and :func:`replace_all` write
several files as one unit.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from app.core.errors import DiskFullError, FileWriteError, ReadOnlyFileError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; stale temps are then judged by age alone
    fcntl = None

TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.(tmp|part)$")  # what mkstemp makes with our prefix/suffix
OUR_EXTS = frozenset((".cadenza", ".bak", ".mid", ".midi", ".abc", ".musicxml", ".xml", ".mxl", ".wav", ".flac",
                      ".png", ".json", ".safetensors"))  # the files Cadenza writes: only their temp files are cleaned
UNLOCKED_STALE_S = 24 * 3600  # without locks, a temp file this old is surely abandoned
FULL_MARGIN = 1 << 20  # less free space than this after a failed write: the disk is full
_umask_lock = threading.Lock()


# -- the one-file save -------------------------------------------------------------
def atomic_write_bytes(path: str | Path, data: bytes, keep_backup: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new file, never half.

    With ``keep_backup`` the file being replaced is kept as ``<path>.bak``.
    A read-only ``path`` raises :class:`ReadOnlyFileError`; a full disk
    :class:`DiskFullError`; other failures :class:`FileWriteError`.
    """
    with replacing(path, keep_backup=keep_backup, needed_bytes=len(data)) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


@contextmanager
def replacing(path: str | Path, keep_backup: bool = False, needed_bytes: int | None = None,
              suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temp path next to ``path`` for the caller to write; then sync it and rename it over ``path``.

    If the body raises, the temp file is removed and ``path`` is untouched
    (an ``OSError`` becomes a one-sentence :class:`FileWriteError`).
    ``needed_bytes`` is the size quoted when the disk is full.
    """
    target = Path(path)
    folder = folder_of(target)
    started = time.time()
    mode = mode_for(target)
    clean_stale_temps(folder, before=started)
    try:
        fd, tmp = _new_temp(folder, target.name, suffix)
    except OSError as exc:
        raise write_error(target, exc, needed_bytes) from None
    replaced = False
    try:
        yield Path(tmp)
        _take_over_mode(fd, mode, target)
        os.fsync(fd)
        if fcntl is None:  # Windows renames no file that is open; there is no lock to hold either
            os.close(fd)
            fd = -1
        if keep_backup and os.path.isfile(target):
            backup(target)
        os.replace(tmp, target)
        replaced = True
        fsync_dir(folder)
    except OSError as exc:
        raise write_error(target, exc, needed_bytes) from None
    finally:
        if fd >= 0:
            os.close(fd)
        if not replaced:
            _unlink(tmp)


def backup(target: Path) -> Path:
    """Make ``target.bak`` a complete copy of ``target``, atomically; returns the backup's path.

    A hard link under a temp name (a copy, synced, where links are not
    possible) is renamed over the old backup: a kill at any moment leaves
    the previous backup or the new one, whole.
    """
    bak = target.with_name(target.name + ".bak")
    folder = folder_of(target)
    with _shared_lock(target):  # a cleaner in another process leaves our link alone
        tmp = _link_or_copy(target, folder, bak.name)
        try:
            if _same_file(tmp, bak):  # the backup is this very file (a save killed before its rename):
                _unlink(tmp)  # a rename between two links of one file would leave both
            else:
                os.replace(tmp, bak)
        except OSError:
            _unlink(tmp)
            raise
    fsync_dir(folder)
    return bak


def _link_or_copy(source: Path, folder: Path, name: str) -> str:
    """A new hidden temp name in ``folder`` holding ``source``'s bytes: a hard link, else a synced copy."""
    for _ in range(100):
        tmp = str(folder / f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            os.link(source, tmp)
            return tmp
        except FileExistsError:
            continue
        except OSError:  # no hard links on this filesystem (FAT, some network shares)
            return _copy_synced(source, folder, name)
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _copy_synced(source: Path, folder: Path, name: str) -> str:
    fd, tmp = _new_temp(folder, name, ".tmp")
    try:
        with open(source, "rb") as src, open(fd, "wb", closefd=False) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.fchmod(fd, stat.S_IMODE(os.stat(source).st_mode))
        os.fsync(fd)
    except BaseException:
        _unlink(tmp)
        raise
    finally:
        os.close(fd)
    return tmp


# -- several files as one unit ------------------------------------------------------
@contextmanager
def staging_folder(folder: str | Path, name: str) -> Iterator[Path]:
    """A hidden, locked temp folder in ``folder`` (``.NAME.xxxxxxxx.tmp``), removed afterwards.

    ``name`` is a file name of the unit with its extension (so that the
    cleaning of stale temp files knows the folder for one of ours).

    Write every file of a unit into it, then :func:`replace_all` them into
    place: a failure (or a kill) on the way leaves none of them at their
    destinations. A kill leaves the hidden folder, which the next save to
    ``folder`` removes.
    """
    folder = Path(folder)
    clean_stale_temps(folder)
    try:
        stage = tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise write_error(folder / name, exc) from None
    fd = os.open(stage, os.O_RDONLY) if fcntl is not None else None  # (Windows opens no folders)
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield Path(stage)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if fd is not None:
            os.close(fd)


def replace_all(pairs: Sequence[tuple[Path, Path]]) -> None:
    """Move each written ``(source, target)`` into place, all or none as far as the checks can tell.

    Every target is checked first (read-only, modes), so the renames that
    follow, within one folder, do not fail half way.
    """
    modes = [mode_for(target) for _, target in pairs]  # refuses before anything moves
    try:
        for (source, target), mode in zip(pairs, modes):
            os.chmod(source, mode)
            fd = os.open(source, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for source, target in pairs:
            os.replace(source, target)
    except OSError as exc:
        raise write_error(pairs[0][1], exc) from None
    for folder in {folder_of(target) for _, target in pairs}:
        fsync_dir(folder)


# -- permissions --------------------------------------------------------------------
def is_read_only(path: str | Path) -> bool:
    """True when ``path`` exists and is write-protected (no write bit at all, or not writable by us)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not stat.S_ISDIR(st.st_mode) and (st.st_mode & 0o222 == 0 or not os.access(path, os.W_OK))


def mode_for(target: Path) -> int:
    """The permissions a new version of ``target`` gets: the existing file's, else the umask's.

    Raises :class:`ReadOnlyFileError` when ``target`` is write-protected.
    """
    if is_read_only(target):
        raise ReadOnlyFileError(target)
    try:
        return stat.S_IMODE(os.stat(target).st_mode) & 0o777
    except OSError:
        return new_file_mode()


def new_file_mode() -> int:
    """The mode ``open(..., "w")`` would give a new file: 0o666 less the umask."""
    return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere: set and restore (other threads creating files meanwhile are rare)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _take_over_mode(fd: int, mode: int, target: Path) -> None:
    """Give the temp file ``mode`` and, where allowed, the replaced file's owner and group."""
    if not hasattr(os, "fchmod"):  # Windows (before Python 3.13): only a read-only flag to keep
        return
    os.fchmod(fd, mode)
    try:
        st = os.stat(target)
    except OSError:
        return
    if hasattr(os, "fchown"):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except OSError:  # not allowed (another owner): the mode still holds
            pass


# -- errors -------------------------------------------------------------------------
def write_error(target: Path, exc: OSError, needed_bytes: int | None = None) -> FileWriteError:
    """The one-sentence error for ``exc`` raised while writing ``target``."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return DiskFullError(target, needed_bytes)
    return FileWriteError(target, exc.strerror or str(exc))


def disk_is_full(folder: str | Path) -> bool:
    """True when ``folder``'s disk has (almost) no space left: how to read a library's vague write error."""
    try:
        return shutil.disk_usage(folder).free < FULL_MARGIN
    except OSError:
        return False


# -- stale temp files ---------------------------------------------------------------
def clean_stale_temps(folder: str | Path, before: float | None = None) -> list[Path]:
    """Remove the temp files and folders that killed saves left in ``folder``; returns what was removed.

    Only ours (hidden, ``.NAME.xxxxxxxx.tmp`` or ``.part`` where NAME is a
    kind of file Cadenza writes: :func:`is_our_temp`), only older than
    ``before`` (default: now), and only when no live process holds their
    lock. Never raises: cleaning up must not stop a save.
    """
    before = time.time() if before is None else before
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not is_our_temp(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode) or st.st_mtime >= before:
            continue
        if _remove_if_abandoned(Path(entry.path), stat.S_ISDIR(st.st_mode), st.st_mtime, before):
            removed.append(Path(entry.path))
    return removed


def is_our_temp(name: str) -> bool:
    """True for the name of a temp file (or folder) a save of ours makes: ``.NAME.xxxxxxxx.tmp``, NAME one of ours."""
    match = TEMP_PATTERN.match(name)
    return match is not None and Path(match["name"]).suffix.lower() in OUR_EXTS


def _remove_if_abandoned(path: Path, is_dir: bool, mtime: float, before: float) -> bool:
    if fcntl is None:
        if before - mtime < UNLOCKED_STALE_S:
            return False
        return _remove(path, is_dir)
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if is_dir else 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a live process is writing it
        os.close(fd)
        return False
    try:
        return _remove(path, is_dir)
    finally:
        os.close(fd)


def _remove(path: Path, is_dir: bool) -> bool:
    try:
        if is_dir:
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError:
        return False
    return True


# -- helpers ------------------------------------------------------------------------
def folder_of(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _new_temp(folder: Path, name: str, suffix: str) -> tuple[int, str]:
    """A new hidden temp file ``.NAME.xxxxxxxx<suffix>`` in ``folder``, open and locked: (fd, path)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=suffix, dir=folder)
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a filesystem without locks: the age check still protects it
            pass
    return fd, tmp


@contextmanager
def _shared_lock(path: Path) -> Iterator[None]:
    """Hold a shared lock on ``path``'s file while a temp name links to it (best effort)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
            except OSError:
                pass
        yield
    finally:
        os.close(fd)


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samestat(os.stat(a), os.stat(b))
    except OSError:
        return False


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
