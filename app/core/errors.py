"""The user-facing error types.

Every failure a user can cause (a broken file, a missing SoundFont, a bad
option) is raised as a :class:`CadenzaError` whose message is one clear
sentence. The CLI prints it as ``error: <message>``; the GUI shows it in a
dialog. Anything else reaching the top level is a bug.
"""

from __future__ import annotations


class CadenzaError(Exception):
    """Base class: ``str(err)`` is one sentence fit to show a musician."""


class FileFormatError(CadenzaError):
    """A file could not be read or written: it names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem.rstrip(".")
        super().__init__(f"Cannot read {self.path}: {self.problem}.")

    def __reduce__(self):  # errors cross process boundaries (bounded readers)
        return (type(self), (self.path, self.problem))


class FileWriteError(CadenzaError):
    """A file could not be written."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem.rstrip(".")
        super().__init__(f"Cannot write {self.path}: {self.problem}.")

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


class ReadOnlyFileError(FileWriteError):
    """The file to be replaced is write-protected: it is left as it is."""

    def __init__(self, path: object, problem: str = "it is read-only") -> None:
        self.path, self.problem = str(path), problem
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        CadenzaError.__init__(self, f"{name} is read-only; save it under another name.")


class DiskFullError(FileWriteError):
    """The disk (or the user's quota) ran out of space while a file was written.

    ``last`` names the last of several files written as one unit (the first is ``path``).
    """

    def __init__(self, path: object, needed_bytes: int | None = None, last: str | None = None) -> None:
        self.path, self.needed_bytes, self.last = str(path), needed_bytes, last
        self.problem = "the disk is full"
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        if last:
            what, verb, it = f"{name} to {last}", "were", "they need"
        else:
            what, verb, it = name, "was", "it needs"
        need = f" ({it} about {megabytes(needed_bytes)} MB)" if needed_bytes else ""
        CadenzaError.__init__(self, f"The disk is full: {what} {verb} not written{need}.")

    def __reduce__(self):
        return (type(self), (self.path, self.needed_bytes, self.last))


def megabytes(size: int) -> str:
    """``size`` bytes in MB as a musician reads it: 0.1 at least, one decimal below 10, whole above."""
    mb = max(size / 1e6, 0.1)
    return f"{mb:.1f}" if mb < 10 else f"{mb:.0f}"


class LimitExceededError(FileFormatError):
    """An untrusted file exceeded a size, note, tick or time limit."""


class ParseTimeoutError(LimitExceededError):
    """Reading a file ran past the time limit (may depend on machine load)."""


class UnsupportedFormatError(CadenzaError):
    """The file extension is not one Cadenza reads or writes."""


class SoundFontError(CadenzaError):
    """No usable SoundFont was found, or the one given cannot be loaded."""


class AudioError(CadenzaError):
    """The synthesizer or an audio file failed."""


class SeedNotFoundError(CadenzaError):
    """``seed:NAME`` names no bundled seed."""


class CheckpointError(CadenzaError):
    """A model checkpoint is missing, truncated, tampered with or incompatible."""


class DeviceError(CadenzaError):
    """The requested compute device is unavailable, or ran out of memory."""


class GenerationError(CadenzaError):
    """A generation request cannot be served (e.g. an option the model lacks)."""


class DatasetError(CadenzaError):
    """A training dataset is missing or has no readable files."""
