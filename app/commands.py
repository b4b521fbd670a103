"""One QUndoCommand per kind of edit: thin wrappers over ``app.core.edits``.

Each command keeps the score before and after (scores are immutable and
share their unchanged tracks, so this is cheap) plus what views need to
update incrementally. ``redo`` and ``undo`` call the Document's ``apply_*``
methods, which emit the signals views listen to.
"""

from __future__ import annotations

from typing import Iterable

from PySide6.QtGui import QUndoCommand

from app.core import edits, markers
from app.core.score import Note, Score, Track
from app.document import Document


class NotesCommand(QUndoCommand):
    """Replace notes ``old`` by ``new`` in one track: add, delete, move, resize, velocity, paste..."""

    def __init__(self, doc: Document, track: int, old: Iterable[Note], new: Iterable[Note], text: str) -> None:
        super().__init__(text)
        self.doc, self.track = doc, track
        self.old, self.new = list(old), list(new)
        self.before = doc.score
        self.after = edits.replace_notes(doc.score, track, self.old, self.new)

    def redo(self) -> None:
        self.doc.apply_notes(self.after, self.track, self.old, self.new)

    def undo(self) -> None:
        self.doc.apply_notes(self.before, self.track, self.new, self.old)


class _ScoreSwap(QUndoCommand):
    """Swap between two whole scores; ``apply`` names the Document method (and so the signals)."""

    apply = "apply_score"

    def __init__(self, doc: Document, after: Score, text: str) -> None:
        super().__init__(text)
        self.doc, self.before, self.after = doc, doc.score, after

    def redo(self) -> None:
        getattr(self.doc, self.apply)(self.after)

    def undo(self) -> None:
        getattr(self.doc, self.apply)(self.before)


class ReplaceScoreCommand(_ScoreSwap):
    """The whole score replaced: an ABC edit, an inserted variation, a quantize of everything."""

    apply = "apply_score"


class TracksCommand(_ScoreSwap):
    """A change to the track list or a track's properties (notes untouched)."""

    apply = "apply_tracks"


class MetaCommand(_ScoreSwap):
    """Tempo, meter, key or title."""

    apply = "apply_meta"


# -- constructors for the common edits ------------------------------------------

def set_track_command(doc: Document, index: int, text: str, **changes) -> TracksCommand:
    return TracksCommand(doc, edits.set_track(doc.score, index, **changes), text)


def add_track_command(doc: Document, track: Track, index: int | None = None) -> TracksCommand:
    index = len(doc.score.tracks) if index is None else index
    return TracksCommand(doc, edits.insert_track(doc.score, index, track), f"Add track {track.name}")


def remove_track_command(doc: Document, index: int) -> TracksCommand:
    name = doc.score.tracks[index].name
    return TracksCommand(doc, edits.remove_track(doc.score, index), f"Remove track {name}")


def move_track_command(doc: Document, source: int, dest: int) -> TracksCommand:
    return TracksCommand(doc, edits.move_track(doc.score, source, dest), "Move track")


# -- tempo, meter and key markers (the ruler's lane and the transport's fields) -------------

MARKER_KINDS = ("tempo", "meter", "key")


class MarkerEdit(MetaCommand):
    """A tempo, meter or key change added, edited, moved or removed: "Add tempo change", "Move meter change"."""

    def __init__(self, doc: Document, after: Score, verb: str, kind: str) -> None:
        super().__init__(doc, after, f"{verb} {kind} change")
        self.kind = kind


def set_marker_command(doc: Document, kind: str, tick: int, value, verb: str = "Edit") -> MarkerEdit:
    """The ``kind`` change at ``tick`` set to ``value`` (bpm, ``(numerator, denominator)`` or a key name);
    raises ``markers.MarkerError`` (one sentence) for a value the score cannot take."""
    if kind == "meter":
        after = markers.set_meter(doc.score, tick, *value)
    else:
        after = getattr(markers, f"set_{kind}")(doc.score, tick, value)
    return MarkerEdit(doc, after, verb, kind)


def move_marker_command(doc: Document, kind: str, old_tick: int, new_tick: int) -> MarkerEdit:
    return MarkerEdit(doc, getattr(markers, f"move_{kind}")(doc.score, old_tick, new_tick), "Move", kind)


def remove_marker_command(doc: Document, kind: str, tick: int) -> MarkerEdit:
    return MarkerEdit(doc, getattr(markers, f"remove_{kind}")(doc.score, tick), "Remove", kind)
