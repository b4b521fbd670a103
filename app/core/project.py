"""The ``.cadenza`` project file: versioned JSON holding the score and its provenance.

Layout (version 1)::

    {"format": "cadenza-project", "version": 1,
     "score": {"title", "key", "ppq", "tempos": [[tick, bpm]],
               "time_signatures": [[tick, num, den]],
               "keys": [[tick, key name]],   # the key map; "key" is its opening key
                                             # (projects without "keys" have that one key)
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
from app.core.keys import parse_key
from app.core.limits import check_note_count, check_size
from app.core.provenance import Provenance
from app.core.summary import json_safe
from app.core.score import KeyChange, Note, Score, TempoChange, TimeSignature, Track

FORMAT = "cadenza-project"
VERSION = 1


def score_to_dict(score: Score) -> dict[str, Any]:
    """The JSON-able form of a score (non-finite numbers in the provenance become null)."""
    return {
        "title": score.title,
        "key": score.key,
        "ppq": score.ppq,
        "tempos": [[t.tick, t.bpm] for t in score.tempos],
        "time_signatures": [[s.tick, s.numerator, s.denominator] for s in score.time_signatures],
        "keys": [[k.tick, k.key] for k in score.keys],
        "provenance": json_safe(Provenance.of(score).to_dict()),
        "tracks": [
            {"name": t.name, "program": t.program, "is_drum": t.is_drum,
             "volume": t.volume, "mute": t.mute, "solo": t.solo,
             "notes": [[n.start, n.pitch, n.duration, n.velocity] for n in t.notes]}
            for t in score.tracks
        ],
    }


class ProjectFieldError(ValueError):
    """A field of a stored score has the wrong type or value: ``field`` names it (``tracks[0].notes[3].pitch``)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"{field} {problem}")


class DamagedProjectError(FileFormatError):
    """A project whose JSON reads but holds a wrong value: one sentence naming the file and the field."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(path, problem)
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        Exception.__init__(self, f"{name} is damaged: {self.problem}.")


def score_from_dict(data: Any) -> Score:
    """Inverse of :func:`score_to_dict`, checking every field first.

    Raises :class:`ProjectFieldError` (a ValueError) naming the first field with a
    wrong type or value, e.g. ``tracks[0].notes[3].pitch must be a whole number from 0 to 127``.
    """
    data = _mapping(data, "score")
    tracks = tuple(_track(t, f"tracks[{i}]") for i, t in enumerate(_list(_required(data, "tracks", "score"), "tracks")))
    provenance = data.get("provenance")
    if provenance is not None and not isinstance(provenance, dict):
        raise ProjectFieldError("provenance", "must be an object")
    tempos = _list(data.get("tempos", [[0, 120.0]]), "tempos")
    sigs = _list(data.get("time_signatures", [[0, 4, 4]]), "time_signatures")
    return Score(
        tracks=tracks,
        ppq=_whole(data.get("ppq", 480), "ppq", 1, 32767),
        tempos=tuple(_tempo(t, f"tempos[{i}]") for i, t in enumerate(tempos)),
        time_signatures=tuple(_signature(t, f"time_signatures[{i}]") for i, t in enumerate(sigs)),
        key=_key(data.get("key"), "key"),
        keys=tuple(_key_change(k, f"keys[{i}]") for i, k in enumerate(_list(data.get("keys", []), "keys"))),
        title=_text(data.get("title", ""), "title"),
        provenance=Provenance.from_dict(json_safe(provenance)).to_dict(),
    )


def _mapping(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise ProjectFieldError(field, "must be an object")
    return value


def _list(value: Any, field: str) -> list:
    if not isinstance(value, list):
        raise ProjectFieldError(field, "must be a list")
    return value


def _required(data: dict, key: str, where: str) -> Any:
    if key not in data:
        raise ProjectFieldError(where, f"has no {key}")
    return data[key]


def _whole(value: Any, field: str, low: int, high: int | None = None) -> int:
    """An int (an integral float is accepted, a bool is not) within ``low``..``high``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is not int or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else ("0 or more" if low == 0 else f"{low} or more")
        raise ProjectFieldError(field, f"must be a whole number {bounds}")
    return value


def _number(value: Any, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ProjectFieldError(field, f"must be a number from {low:g} to {high:g}")
    return float(value)


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ProjectFieldError(field, "must be true or false")
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ProjectFieldError(field, "must be text")
    return value


def _key(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parse_key(value)
            return value
        except ValueError:
            pass
    raise ProjectFieldError(field, 'must be a key name such as "G major", or null')


def _key_change(value: Any, field: str) -> KeyChange:
    tick, name = _row(value, field, 2, "a tick and a key name")
    key = _key(name, f"{field}[1]")
    if key is None:
        raise ProjectFieldError(f"{field}[1]", 'must be a key name such as "G major"')
    return KeyChange(_whole(tick, f"{field}[0]", 0), key)


def _row(value: Any, field: str, size: int, what: str) -> list:
    if not isinstance(value, list) or len(value) != size:
        raise ProjectFieldError(field, f"must be a list of {what}")
    return value


def _tempo(value: Any, field: str) -> TempoChange:
    tick, bpm = _row(value, field, 2, "a tick and a tempo in bpm")
    return TempoChange(_whole(tick, f"{field}[0]", 0), _number(bpm, f"{field}[1]", 1.0, 1000.0))


def _signature(value: Any, field: str) -> TimeSignature:
    tick, num, den = _row(value, field, 3, "a tick, a numerator and a denominator")
    den = _whole(den, f"{field}[2]", 1, 64)
    if den not in (1, 2, 4, 8, 16, 32, 64):
        raise ProjectFieldError(f"{field}[2]", "must be 1, 2, 4, 8, 16, 32 or 64")
    return TimeSignature(_whole(tick, f"{field}[0]", 0), _whole(num, f"{field}[1]", 1, 64), den)


def _track(value: Any, field: str) -> Track:
    t = _mapping(value, field)
    notes = _list(_required(t, "notes", field), f"{field}.notes")
    return Track(
        name=_text(t.get("name", ""), f"{field}.name"),
        program=_whole(t.get("program", 0), f"{field}.program", 0, 127),
        is_drum=_flag(t.get("is_drum", False), f"{field}.is_drum"),
        volume=_whole(t.get("volume", 100), f"{field}.volume", 0, 127),
        mute=_flag(t.get("mute", False), f"{field}.mute"),
        solo=_flag(t.get("solo", False), f"{field}.solo"),
        notes=tuple(_note(n, field, j) for j, n in enumerate(notes)),
    )


def _note(n: Any, track: str, j: int) -> Note:
    if type(n) is list and len(n) == 4:
        s, p, d, v = n
        if type(s) is int and type(p) is int and type(d) is int and type(v) is int \
                and s >= 0 and 0 <= p <= 127 and d > 0 and 1 <= v <= 127:  # the common case, fast
            return Note(s, p, d, v)
    field = f"{track}.notes[{j}]"
    s, p, d, v = _row(n, field, 4, "start, pitch, duration and velocity")
    return Note(_whole(s, f"{field}.start", 0), _whole(p, f"{field}.pitch", 0, 127),
                _whole(d, f"{field}.duration", 1), _whole(v, f"{field}.velocity", 1, 127))


def dumps_project(score: Score, state: dict[str, Any] | None = None) -> bytes:
    doc = {"format": FORMAT, "version": VERSION, "score": score_to_dict(score)}
    if state:
        doc["state"] = state
    return json.dumps(doc, indent=1, sort_keys=False, allow_nan=False).encode("utf-8")


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
        score = score_from_dict(doc.get("score"))
    except ProjectFieldError as exc:
        raise DamagedProjectError(path, f"{exc.field} {exc.problem}") from None
    except (KeyError, TypeError, ValueError) as exc:  # a check missed: still one sentence, no Python words
        raise DamagedProjectError(path, f"its score holds a value Cadenza cannot use ({exc})") from None
    state = doc.get("state") if isinstance(doc.get("state"), dict) else {}
    return score, state
