"""The .cadenza project file: round trip, atomic save with .bak, versions, damage."""

import json

import pytest

from app.core.errors import FileFormatError
from app.core.project import load_project, save_project
from app.core.score import Note, Score, TempoChange, TimeSignature, Track


def sample_score():
    return Score(
        tracks=(Track("Lead", 73, False, (Note(0, 72, 240, 90), Note(240, 74, 480, 70))),
                Track("Kit", 0, True, (Note(0, 36, 60, 120),))),
        ppq=480, tempos=(TempoChange(0, 96.0), TempoChange(1920, 104.5)),
        time_signatures=(TimeSignature(0, 6, 8),), key="A dorian", title="Sketch",
        provenance={"model": "note-lstm", "checkpoint_sha256": "ab" * 32, "random_seed": 3},
    )


def test_round_trip_keeps_everything(tmp_path):
    score = sample_score()
    save_project(score, tmp_path / "s.cadenza", state={"zoom": 2})
    back, state = load_project(tmp_path / "s.cadenza")
    assert back == score and back.provenance == score.provenance
    assert state == {"zoom": 2}


def test_save_is_atomic_and_keeps_backup(tmp_path):
    path = tmp_path / "s.cadenza"
    first = sample_score()
    save_project(first, path)
    second = first.with_tracks(first.tracks[:1])
    save_project(second, path)
    assert load_project(path)[0] == second
    assert load_project(tmp_path / "s.cadenza.bak")[0] == first
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("content, phrase", [
    (b"{not json", "damaged"),
    (json.dumps({"format": "other"}).encode(), "not a Cadenza project"),
    (json.dumps({"format": "cadenza-project", "version": 99, "score": {}}).encode(), "newer Cadenza"),
    (json.dumps({"format": "cadenza-project", "version": 1, "score": {"tracks": [{"notes": [[0, 200, 10, 10]]}]}}).encode(), "damaged"),
    (b"[" * 100000, "damaged"),
])
def test_damaged_projects_give_one_sentence(tmp_path, content, phrase):
    path = tmp_path / "bad.cadenza"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as err:
        load_project(path)
    assert phrase in str(err.value) and "\n" not in str(err.value)
