"""Reading Lakh Pianoroll Dataset (LPD-5) ``.npz`` files as scores.

LPD-5 files are pypianoroll multitracks saved as ``.npz`` archives: per track
``i`` the CSC components of its ``(time, 128)`` pianoroll
(``pianoroll_i_csc_data``, ``_indices``, ``_indptr``, ``_shape``), plus
``tempo`` (BPM per step), ``downbeat`` (True at bar starts) and ``info.json``
(``beat_resolution`` or ``resolution`` = steps per beat, ``name``, and per track
``"i": {"program", "is_drum", "name"}``). LPD-5 merges every instrument into
Drums, Piano, Guitar, Bass and Strings. Drum tracks hold onsets only.

The score keeps the track names and programs, so vae-nn's ``lpd5`` roles
(matched by name, then by GM program family) pick the tracks up.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from app.core.errors import DatasetError
from app.core.score import Note, Score, TempoChange, TimeSignature, Track

from models.vae_nn.pianoroll import runs

PPQ = 480


def _sparse(archive, prefix: str) -> np.ndarray:
    from scipy.sparse import csc_matrix

    shape = tuple(int(v) for v in archive[prefix + "_csc_shape"])
    matrix = csc_matrix((archive[prefix + "_csc_data"], archive[prefix + "_csc_indices"],
                         archive[prefix + "_csc_indptr"]), shape=shape)
    return matrix.toarray() > 0


def _info(archive) -> dict:
    raw = archive["info.json"]  # a plain zip member: numpy hands back its bytes
    if isinstance(raw, np.ndarray):  # written by np.savez instead
        raw = raw.tobytes() if raw.dtype == np.uint8 else raw.item()
    return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))


def _notes(roll: np.ndarray, ticks_per_step: float, drums: bool) -> list[Note]:
    if drums:
        steps, pitches = np.nonzero(roll)
        return [Note(round(s * ticks_per_step), int(p), max(1, round(ticks_per_step * 2)), 100)
                for s, p in zip(steps, pitches)]
    pitches, starts, ends = runs(roll)
    return [Note(round(s * ticks_per_step), int(p), max(1, round((e - s) * ticks_per_step)), 90)
            for p, s, e in zip(pitches, starts, ends)]


def _meter(downbeat: np.ndarray | None, resolution: int) -> TimeSignature:
    if downbeat is None:
        return TimeSignature(0, 4, 4)
    bars = np.flatnonzero(np.asarray(downbeat).reshape(-1))
    if len(bars) < 2:
        return TimeSignature(0, 4, 4)
    beats = round(int(bars[1] - bars[0]) / resolution)
    return TimeSignature(0, beats, 4) if 1 <= beats <= 12 else TimeSignature(0, 4, 4)


def read_lpd5(path: str | Path) -> Score:
    """One LPD-5 ``.npz`` file as a score; DatasetError with one sentence when it is not one."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            info = _info(archive)
            resolution = int(info.get("beat_resolution", info.get("resolution", 24)))
            tempo = archive["tempo"].reshape(-1) if "tempo" in archive.files else np.array([120.0])
            downbeat = archive["downbeat"] if "downbeat" in archive.files else None
            tracks = []
            index = 0
            while str(index) in info:
                meta = info[str(index)]
                roll = _sparse(archive, f"pianoroll_{index}")
                drums = bool(meta.get("is_drum", False))
                notes = _notes(roll, PPQ / resolution, drums)
                tracks.append(Track(str(meta.get("name", f"Track {index + 1}")), int(meta.get("program", 0)),
                                    drums, tuple(sorted(notes))))
                index += 1
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path.name} is not an LPD-5 pianoroll file ({exc.__class__.__name__}).") from None
    if not tracks:
        raise DatasetError(f"{path.name} holds no pianoroll tracks.")
    bpm = float(tempo[0]) if len(tempo) and 10 <= float(tempo[0]) <= 400 else 120.0
    return Score(tracks=tuple(tracks), ppq=PPQ, tempos=(TempoChange(0, bpm),),
                 time_signatures=(_meter(downbeat, resolution),), title=str(info.get("name", path.stem)))


def write_lpd5(path: str | Path, rolls: list[np.ndarray], names: list[str], programs: list[int],
               drums: list[bool], resolution: int = 24, bpm: float = 120.0, bar_beats: int = 4) -> None:
    """Save boolean ``(time, 128)`` rolls in LPD-5's layout (used to make test files and exports)."""
    from scipy.sparse import csc_matrix

    arrays: dict[str, np.ndarray] = {}
    info: dict = {"beat_resolution": resolution, "name": Path(path).stem}
    for i, roll in enumerate(rolls):
        m = csc_matrix(roll.astype(bool))
        arrays.update({f"pianoroll_{i}_csc_data": m.data, f"pianoroll_{i}_csc_indices": m.indices,
                       f"pianoroll_{i}_csc_indptr": m.indptr, f"pianoroll_{i}_csc_shape": np.array(m.shape)})
        info[str(i)] = {"program": programs[i], "is_drum": drums[i], "name": names[i]}
    steps = max(r.shape[0] for r in rolls)
    downbeat = np.zeros(steps, dtype=bool)
    downbeat[:: resolution * bar_beats] = True
    arrays.update(tempo=np.full(steps, bpm), downbeat=downbeat)
    np.savez_compressed(path, **arrays)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("info.json", json.dumps(info))  # a raw member, as pypianoroll writes it
