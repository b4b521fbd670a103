"""Opening, saving and exporting, as plain functions the GUI runs in workers.

Nothing here touches widgets: the file controller (``app/ui/file_controller.py``)
asks for paths and runs these through the TaskRunner, so a slow MusicXML
parse or a WAV render never blocks the window.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from app.core.atomic import clean_stale_temps
from app.core.errors import FileFormatError
from app.core.formats import AUDIO_EXTS, load_project_file, load_score, read_kind, save_score
from app.core.limits import check_size
from app.core.score import Score

OPEN_EXTS = (".mid", ".midi", ".abc", ".musicxml", ".xml", ".mxl", ".cadenza")
OPEN_FILTER = "Scores (*.mid *.midi *.abc *.musicxml *.xml *.mxl *.cadenza);;All files (*)"


@dataclass
class Opened:
    """A file read for the editor: the score, plus the ABC text and tunes or the project state."""

    path: Path
    score: Score
    abc_text: str | None = None
    tunes: list[tuple[int, str]] = field(default_factory=list)
    tune: int | None = None
    state: dict[str, Any] = field(default_factory=dict)


def open_file(path: str | Path, tune: int | None = None, progress: Callable[[str], None] | None = None) -> Opened:
    """Read ``path`` (bounded in size and time); CadenzaError in one sentence if it is broken.

    ``progress`` hears "Reading NAME (12 MB)… 3 s" about once a second while a big file is read
    (from the worker's thread).
    """
    path = Path(path)
    kind = read_kind(path)
    check_size(path)  # before anything reads it (the ABC tune list included)
    clean_stale_temps(path.parent)  # what saves killed in this folder left behind (ours only, never a live one)
    if kind == "project":  # the CLI's bounded reader: size, notes counted before they are built, time
        score, state = load_project_file(path, progress=progress)
        return Opened(path, score, state=state)
    if kind == "abc":
        from app.core.abc.tunes import list_tunes

        tunes = list_tunes(path)
        tune = tune if tune is not None else (tunes[0][0] if tunes else None)
        score = load_score(path, tune=tune, progress=progress)
        text = path.read_text(encoding="utf-8", errors="replace")
        return Opened(path, score, abc_text=text, tunes=tunes, tune=tune)
    return Opened(path, load_score(path, progress=progress))


def save_file(score: Score, path: str | Path, state: dict[str, Any] | None = None) -> Path:
    """Save in the format the extension names (atomically, with a .bak for projects)."""
    path = Path(path)
    if path.suffix.lower() == ".cadenza":
        from app.core.project import save_project

        save_project(score, path, state or {})
    else:
        save_score(score, path)
    return path


@dataclass(frozen=True)
class Exported:
    """A written export and what the user should know about it (notes moved to notation's grid...)."""

    path: Path
    notes: tuple[str, ...] = ()

    def message(self) -> str:
        return " ".join([f"Exported {self.path.name}.", *self.notes])


def export_file(score: Score, path: str | Path, soundfont: str | None = None, sample_rate: int = 44100) -> Exported:
    """Export to MIDI, ABC, MusicXML, or audio (WAV/FLAC rendered with FluidSynth)."""
    path = Path(path)
    if path.suffix.lower() in AUDIO_EXTS:
        from app.audio.export import render_to_file

        if score.note_count == 0:
            raise FileFormatError(path, "there are no notes to render")
        render_to_file(score, path, sample_rate=sample_rate, soundfont=soundfont or None)
        return Exported(path)
    return Exported(path, tuple(save_score(score, path) or ()))


# what ships with Cadenza (the seeds, the bundled checkpoints, the code): never a place to save the user's work
APP_FOLDERS = tuple(Path(__file__).resolve().parents[2] / name for name in ("resources", "app", "models"))


def inside_app(path: str | Path) -> bool:
    """True when ``path`` lies in one of Cadenza's own folders (a bundled seed, say)."""
    resolved = Path(path).expanduser().resolve()
    return any(resolved.is_relative_to(folder) for folder in APP_FOLDERS)


def save_start_folder(document: Path | None, last_saved: str | None) -> Path:
    """Where Save As and Export start: the document's own folder, else where the user last saved, else
    their Documents folder (or home); never one of Cadenza's own folders, where a seed lives."""
    for folder in (document.parent if document else None, Path(last_saved) if last_saved else None):
        if folder is not None and folder.is_dir() and not inside_app(folder):
            return folder
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


def drag_file(score: Score, name: str) -> Path:
    """A .mid file of ``score`` in a fresh temporary folder, for dragging into a DAW."""
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip() or "Cadenza"
    folder = Path(tempfile.mkdtemp(prefix="cadenza-drag-"))
    target = folder / f"{safe}.mid"
    save_score(score, target)
    return target
