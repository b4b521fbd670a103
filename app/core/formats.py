"""Open and save scores by file extension, with limits on untrusted input.

``load_score`` accepts a path or ``seed:NAME`` (a bundled seed). Every music
file is parsed in a child process under processor-time and memory limits (see
``limits.py``); failures are the project's own errors with one sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from app.core.atomic import atomic_write_bytes
from app.core.errors import UnsupportedFormatError
from app.core.limits import PARSE_TIME_LIMIT_S, call_with_time_limit, check_score, check_size
from app.core.score import Score

READ_KINDS = {
    ".mid": "midi", ".midi": "midi", ".abc": "abc", ".musicxml": "musicxml",
    ".xml": "musicxml", ".mxl": "musicxml", ".cadenza": "project",
}
SCORE_WRITE_EXTS = (".mid", ".midi", ".abc", ".musicxml", ".xml", ".mxl", ".cadenza")
AUDIO_EXTS = (".wav", ".flac")


def resolve(spec: str | Path) -> Path:
    """A path, or the file of the bundled seed named by ``seed:NAME``."""
    if isinstance(spec, str) and spec.startswith("seed:"):
        from app.core.seeds import resolve as resolve_seed

        return resolve_seed(spec)
    return Path(spec)


#: What each reader imports in the bounded child (imported in the parent first: see call_with_time_limit).
READER_MODULES = {
    "midi": ("app.core.midi",),
    "abc": ("music21", "app.core.abc.read", "app.core.music21_bridge", "app.core.abc.music21_part"),
    "musicxml": ("music21", "app.core.musicxml"),
    "project": ("app.core.project",),
}


def read_file_kind(kind: str, path: str, tune: int | None) -> Score:
    """Dispatch to one reader (runs in the bounded child process)."""
    if kind == "midi":
        from app.core.midi import read_midi

        return read_midi(path)
    if kind == "abc":
        from app.core.abc.read import read_abc

        return read_abc(path, tune=tune)
    if kind == "musicxml":
        from app.core.musicxml import read_musicxml

        return read_musicxml(path)
    from app.core.project import load_project

    return load_project(path)[0]


def read_project_file(path: str) -> tuple[Score, dict]:
    """A project's score and editor state (runs in the bounded child process)."""
    from app.core.project import load_project

    return load_project(path)


def reading_progress(path: Path, report: Callable[[str], None] | None) -> Callable[[float], None] | None:
    """A ``call_with_time_limit`` progress hook that reports "Reading NAME (12 MB)… 3 s" through ``report``."""
    if report is None:
        return None
    try:
        size = f" ({max(1, path.stat().st_size >> 20)} MB)" if path.stat().st_size >= 1 << 20 else ""
    except OSError:
        size = ""
    return lambda elapsed: report(f"Reading {path.name}{size}… {elapsed:.0f} s")


def load_project_file(path: str | Path, time_limit: float = PARSE_TIME_LIMIT_S,
                      progress: Callable[[str], None] | None = None) -> tuple[Score, dict]:
    """Read a ``.cadenza`` project with every limit the CLI applies: ``(score, editor_state)``.

    The same bounded reader as :func:`load_score` (size checked before reading,
    notes counted before they are built, a child process under a time limit),
    keeping the editor state that ``load_score`` drops. The GUI opens projects
    and autosaves through this.
    """
    path = Path(path)
    check_size(path)
    score, state = call_with_time_limit(read_project_file, (str(path),), path, time_limit,
                                        progress=reading_progress(path, progress), modules=READER_MODULES["project"])
    check_score(score, path)
    return score, state


def read_kind(path: Path) -> str:
    """The reader for ``path``'s extension, or UnsupportedFormatError."""
    kind = READ_KINDS.get(path.suffix.lower())
    if kind is None:
        known = " ".join(sorted(set(READ_KINDS)))
        raise UnsupportedFormatError(f"Cadenza cannot open '{path.suffix or path.name}' files; it opens {known}.")
    return kind


def load_score(spec: str | Path, tune: int | None = None,
               time_limit: float = PARSE_TIME_LIMIT_S, progress: Callable[[str], None] | None = None) -> Score:
    """Read a score from a file or ``seed:NAME``; ``tune`` picks an ABC tune by X:.

    ``time_limit`` is processor seconds of the reading child (a busy machine does
    not make a valid file fail); ``progress`` receives a short message about once
    a second while a slow file is read (for a status bar).
    """
    path = resolve(spec)
    kind = read_kind(path)
    check_size(path)
    score = call_with_time_limit(read_file_kind, (kind, str(path), tune), path, time_limit,
                                 progress=reading_progress(path, progress), modules=READER_MODULES.get(kind, ()))
    check_score(score, path)
    return score


def save_score(score: Score, path: str | Path) -> list[str]:
    """Write ``score`` in the format its extension names (not audio: see app.audio).

    Returns what the user should know about the written file, one sentence
    each (MusicXML and ABC: notes moved or lengthened to what notation can show).
    """
    target = Path(path)
    ext = target.suffix.lower()
    if ext in (".mid", ".midi"):
        from app.core.midi import write_midi

        write_midi(score, target)
    elif ext == ".abc":
        from app.core.abc.write import write_abc
        from app.core.notation_grid import GridReport

        report = GridReport()
        atomic_write_bytes(target, write_abc(score, report).encode("utf-8"), keep_backup=False)
        return report.sentences()
    elif ext in (".musicxml", ".xml", ".mxl"):
        from app.core.musicxml import write_musicxml

        return write_musicxml(score, target)
    elif ext == ".cadenza":
        from app.core.project import save_project

        save_project(score, target)
    else:
        known = " ".join(SCORE_WRITE_EXTS + AUDIO_EXTS)
        raise UnsupportedFormatError(f"Cadenza cannot write '{ext or target.name}' files; it writes {known}.")
    return []
