"""The ``.cadenza`` project file: versioned JSON holding the score and its provenance.

Layout (version 1)::

    {"format": "cadenza-project", "version": 1,
     "score": {"title", "key", "ppq", "tempos": [[tick, bpm]],
               "time_signatures": [[tick, num, den]],
               "provenance": {...},   # app.core.provenance.Provenance.to_dict()
               "tracks": [{"name", "program", "is_drum",
                           "notes": [[start, pitch, duration, velocity], ...]}]},
     "state": {...}}   # free-form editor state (view, selection), optional

Saves are atomic and keep the previous version as ``.bak``. Older versions are
migrated on load; newer ones are refused with a sentence saying so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.core.atomic import atomic_write_bytes
from app.core.errors import FileFormatError
from app.core.limits import check_note_count, check_size
from app.core.provenance import Provenance
from app.core.score import Note, Score, TempoChange, TimeSignature, Track

FORMAT = "cadenza-project"
VERSION = 1


def score_to_dict(score: Score) -> dict[str, Any]:
    """The JSON-able form of a score."""
    return {
        "title": score.title,
        "key": score.key,
        "ppq": score.ppq,
        "tempos": [[t.tick, t.bpm] for t in score.tempos],
        "time_signatures": [[s.tick, s.numerator, s.denominator] for s in score.time_signatures],
        "provenance": Provenance.of(score).to_dict(),
        "tracks": [
            {"name": t.name, "program": t.program, "is_drum": t.is_drum,
             "volume": t.volume, "mute": t.mute, "solo": t.solo,
             "notes": [[n.start, n.pitch, n.duration, n.velocity] for n in t.notes]}
            for t in score.tracks
        ],
    }


def score_from_dict(data: dict[str, Any]) -> Score:
    """Inverse of :func:`score_to_dict`; raises ValueError/TypeError/KeyError on bad data."""
    tracks = tuple(
        Track(
            name=str(t.get("name", "")),
            program=int(t.get("program", 0)),
            is_drum=bool(t.get("is_drum", False)),
            volume=int(t.get("volume", 100)),
            mute=bool(t.get("mute", False)),
            solo=bool(t.get("solo", False)),
            notes=tuple(Note(int(s), int(p), int(d), int(v)) for s, p, d, v in t["notes"]),
        )
        for t in data["tracks"]
    )
    provenance = Provenance.from_dict(data.get("provenance")).to_dict()  # TypeError when not an object
    return Score(
        tracks=tracks,
        ppq=int(data.get("ppq", 480)),
        tempos=tuple(TempoChange(int(t), float(b)) for t, b in data.get("tempos", [[0, 120.0]])),
        time_signatures=tuple(TimeSignature(int(t), int(n), int(d)) for t, n, d in data.get("time_signatures", [[0, 4, 4]])),
        key=data.get("key") or None,
        title=str(data.get("title", "")),
        provenance=provenance,
    )


def dumps_project(score: Score, state: dict[str, Any] | None = None) -> bytes:
    doc = {"format": FORMAT, "version": VERSION, "score": score_to_dict(score)}
    if state:
        doc["state"] = state
    return json.dumps(doc, indent=1, sort_keys=False).encode("utf-8")


def save_project(score: Score, path: str | Path, state: dict[str, Any] | None = None) -> None:
    """Save atomically, keeping the previous file as ``<path>.bak``."""
    atomic_write_bytes(path, dumps_project(score, state))


def note_count_of(data: Any) -> int:
    """How many notes a project's ``score`` object holds, counted before any Note is built."""
    tracks = data.get("tracks") if isinstance(data, dict) else None
    if not isinstance(tracks, list):
        return 0
    return sum(len(t["notes"]) for t in tracks if isinstance(t, dict) and isinstance(t.get("notes"), list))


def load_project(path: str | Path) -> tuple[Score, dict[str, Any]]:
    """Read a project: ``(score, editor_state)``; failures raise FileFormatError.

    Bounded: the file's size is checked before it is read and its note count
    before any note is built (``app.core.limits``), so a huge project is
    refused with the same sentence wherever it is opened. For untrusted files
    use :func:`app.core.formats.load_project_file`, which also runs this under
    a time limit in a child process.
    """
    path = Path(path)
    check_size(path)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise FileFormatError(path, exc.strerror or str(exc)) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FileFormatError(path, "it is not a Cadenza project (the JSON is damaged)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FileFormatError(path, "it is not a Cadenza project file")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise FileFormatError(path, "its format version is missing or invalid")
    if version > VERSION:
        raise FileFormatError(path, f"it was saved by a newer Cadenza (format {version}; this one reads up to {VERSION})")
    check_note_count(note_count_of(doc.get("score")), path)
    try:
        score = score_from_dict(doc["score"])
    except (KeyError, TypeError, ValueError) as exc:
        raise FileFormatError(path, f"its score is damaged ({exc})") from None
    state = doc.get("state") if isinstance(doc.get("state"), dict) else {}
    return score, state
