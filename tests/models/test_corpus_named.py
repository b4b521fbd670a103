"""The named datasets corpus:palestrina (music21's Humdrum masses) and corpus:piano-midi (piano-midi.de, read in
place from ../shared/data, credited in every card)."""

import re

import pytest

from app.core.errors import CadenzaError, DatasetError
from models.common.corpus import (PIANO_MIDI_CREDIT, PIANO_MIDI_ENV, dataset_credit, dataset_credits,
                                  dataset_files, load_scores, piano_midi_dir, split_of)

HAS_PIANO_MIDI = (piano_midi_dir() / "midis").is_dir()


@pytest.fixture
def collection(tmp_path_factory, monkeypatch):
    """The shared piano-midi.de collection; where a machine lacks it (CI), a stand-in of the same layout
    (Composer/file.mid, expressive velocities) that CADENZA_PIANO_MIDI_DIR points at."""
    if HAS_PIANO_MIDI:
        return piano_midi_dir() / "midis"
    import mido

    root = tmp_path_factory.mktemp("piano-midi") / "midis"
    (root / "Albeniz").mkdir(parents=True)
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    for i in range(40):
        track += [mido.Message("note_on", note=60 + i % 12, velocity=30 + 2 * i, time=0 if i == 0 else 120),
                  mido.Message("note_off", note=60 + i % 12, velocity=0, time=120)]
    midi.tracks.append(track)
    midi.save(root / "Albeniz" / "alb_esp1.mid")
    monkeypatch.setenv(PIANO_MIDI_ENV, str(root.parent))
    return root


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))


def test_palestrina_lists_every_mass_movement():
    root, files = dataset_files("corpus:palestrina")
    assert len(files) == 1318 and all(p.suffix == ".krn" for p in files)
    assert files == sorted(files) and all(p.is_relative_to(root) for p in files)


def test_palestrina_parses_one_track_per_named_voice(cache):
    report = load_scores("corpus:palestrina", workers=1, limit=1)
    assert report.parsed == 1 and report.skipped == 0
    item = report.items[0]
    assert item.key == "palestrina/Agnus.krn" and item.split == split_of(item.key)
    assert [t.name for t in item.score.tracks] == ["Cantus", "Altus", "Tenor 1", "Tenor 2", "Bassus"]
    assert all(len(t.notes) > 50 and not t.is_drum for t in item.score.tracks)


def test_piano_midi_lists_the_shared_collection(collection):
    root, files = dataset_files("corpus:piano-midi")
    assert root == collection and len(files) == (337 if HAS_PIANO_MIDI else 1)
    assert all(p.suffix.lower() == ".mid" for p in files)
    assert str(files[0].relative_to(root)).count("/") == 1  # Composer/file.mid: the split's key


def test_piano_midi_parses_with_dynamics(collection, cache):
    report = load_scores("corpus:piano-midi", workers=1, limit=1)
    assert report.parsed == 1 and report.skipped == 0
    item = report.items[0]
    assert item.key == "Albeniz/alb_esp1.mid" and item.split == split_of(item.key)
    velocities = {n.velocity for t in item.score.tracks for n in t.notes}
    assert len(velocities) >= 20  # expressive, not one flat velocity


def test_env_var_points_at_another_folder(tmp_path, monkeypatch):
    (tmp_path / "Bach").mkdir()
    (tmp_path / "Bach" / "a.mid").write_bytes(b"MThd")  # only the listing is tested
    (tmp_path / "Bach" / "notes.txt").write_text("not music")
    monkeypatch.setenv(PIANO_MIDI_ENV, str(tmp_path))
    root, files = dataset_files("corpus:piano-midi")
    assert root == tmp_path and [p.relative_to(root).as_posix() for p in files] == ["Bach/a.mid"]
    assert dataset_credit(str(tmp_path / "Bach")) == PIANO_MIDI_CREDIT  # a folder inside the collection


def test_missing_collection_is_one_sentence(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(PIANO_MIDI_ENV, str(missing))
    with pytest.raises(DatasetError) as err:
        dataset_files("corpus:piano-midi")
    text = str(err.value)
    assert str(missing) in text and PIANO_MIDI_ENV in text
    assert "\n" not in text and text.endswith(".") and not re.search(r"\.\s+[A-Z]", text)  # one sentence
    assert isinstance(err.value, CadenzaError)  # the CLI and the Training dialog show it as this one line


def test_unknown_name_lists_the_named_datasets():
    with pytest.raises(DatasetError, match="corpus:palestrina and corpus:piano-midi"):
        dataset_files("corpus:nope")


def test_credit_is_for_piano_midi_only(tmp_path):
    assert dataset_credit("corpus:piano-midi") == PIANO_MIDI_CREDIT
    assert PIANO_MIDI_CREDIT["attribution"] == "Bernd Krüger, piano-midi.de"
    assert PIANO_MIDI_CREDIT["licence"] == "CC BY-SA 3.0 DE"
    for spec in ("corpus:palestrina", "corpus:chorales", "corpus:classical", "corpus:folk-abc", str(tmp_path)):
        assert dataset_credit(spec) is None
    assert dataset_credits(["corpus:chorales", "corpus:piano-midi", "corpus:piano-midi"]) == [PIANO_MIDI_CREDIT]
    credit = dataset_credit("corpus:piano-midi")
    credit["licence"] = "changed"
    assert PIANO_MIDI_CREDIT["licence"] == "CC BY-SA 3.0 DE"  # each caller gets its own copy
