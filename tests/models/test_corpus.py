"""Corpora: folder datasets, bad files skipped and counted, the cache, the fixed split."""

import shutil
from pathlib import Path

import pytest

from app.core.errors import DatasetError
from app.core.midi import write_midi
from app.core.score import Note, Score, Track
from models.common.corpus import abc_tunes, dataset_files, load_scores, split_of

DATA = Path(__file__).parents[1] / "data"
TUNE_NUMBERS = (1, 2, 3)  # the X: numbers of tests/data/abc/multi_tune.abc
TUNES = len(TUNE_NUMBERS)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "songs"
    (root / "sub").mkdir(parents=True)
    for i in range(3):
        notes = tuple(Note(j * 240, 60 + i + j % 5, 240) for j in range(16))
        write_midi(Score(tracks=(Track("p", 0, False, notes),)), root / f"song{i}.mid")
    shutil.copy(DATA / "abc" / "multi_tune.abc", root / "sub" / "tunes.abc")
    (root / "sub" / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    (root / "notes.txt").write_text("not music")
    return root


def test_folder_dataset_parses_skips_and_caches(folder):
    first = load_scores(str(folder), workers=2)
    assert first.parsed == 5 and first.cached == 0
    assert len(first.items) == 3 + TUNES and first.skipped == 1  # every tune of an ABC file is an item
    assert "broken.mid" in first.errors[0]
    assert sorted(i.key for i in first.items) == ["song0.mid", "song1.mid", "song2.mid",
                                                  *(f"sub/tunes.abc#{n}" for n in TUNE_NUMBERS)]
    assert first.items[0].score.note_count == 16
    second = load_scores(str(folder), workers=2)
    assert second.cached == 5 and second.parsed == 0
    assert [i.score for i in second.items] == [i.score for i in first.items]


def test_cache_is_keyed_by_content(folder):
    load_scores(str(folder))
    write_midi(Score(tracks=(Track("p", 0, False, (Note(0, 40, 480),)),)), folder / "song0.mid")
    again = load_scores(str(folder))
    assert again.parsed == 1 and again.cached == 4
    assert next(i for i in again.items if i.key == "song0.mid").score.note_count == 1


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="has no MIDI, ABC or MusicXML"):
        dataset_files(str(tmp_path))
    with pytest.raises(DatasetError, match="does not exist"):
        dataset_files(str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match="corpus:folk-abc"):
        dataset_files("corpus:jazz")


def test_split_is_fixed_and_roughly_ten_percent_held_out():
    keys = [f"file{i}.mid" for i in range(4000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    assert 0.08 < splits.count("test") / 4000 < 0.12 and 0.035 < splits.count("valid") / 4000 < 0.065


def test_named_corpora_exist_offline():
    _, folk = dataset_files("corpus:folk-abc")
    _, chorales = dataset_files("corpus:chorales")
    _, classical = dataset_files("corpus:classical")
    assert len(folk) > 1000 and len(chorales) > 350 and len(classical) > 40
    tunes = abc_tunes("corpus:folk-abc")
    assert len(tunes) > 10000 and all(t.text.startswith("X:") for t in tunes[:100])
    assert {t.split for t in tunes} == {"train", "valid", "test"}


def test_timeouts_are_reported_but_not_cached(folder, monkeypatch):
    """A file that ran out of time (the limit is processor time, which a busy machine can still stretch
    through its wall-clock backstop) is reported, and read again next time, never cached as a failure."""
    import models.common.corpus as corpus
    from app.core.errors import ParseTimeoutError

    real = corpus.call_with_time_limit

    def out_of_time(fn, args, path, seconds, *rest, **kw):
        raise ParseTimeoutError(path, "reading it took more than 1 s of processor time")

    monkeypatch.setattr(corpus, "call_with_time_limit", out_of_time)
    try:
        first = load_scores(str(folder))  # every file times out
        assert any("of processor time" in e for e in first.errors)
    except DatasetError:
        pass
    monkeypatch.setattr(corpus, "call_with_time_limit", real)
    again = load_scores(str(folder))
    assert len(again.items) == 3 + TUNES and again.parsed >= 4  # no good file was cached as a failure


def test_each_tune_of_an_abc_collection_is_an_item_and_a_bad_tune_skips_only_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "tunes"
    root.mkdir()
    (root / "set.abc").write_text("X:1\nT:One\nM:4/4\nL:1/8\nK:G\nGABc dedB|\n\n"
                                  "X:2\nT:Two\nM:FREI4/4\nL:1/8\nK:D\nDEFG ABcd|\n\n"
                                  "X:7\nT:Seven\nM:6/8\nL:1/8\nK:A\nABc cBA|\n")
    report = load_scores(str(root), workers=1)
    assert [(i.key, i.score.note_count) for i in report.items] == [("set.abc#1", 8), ("set.abc#7", 6)]
    assert report.skipped == 1 and "tune 2" in report.errors[0] and "FREI4/4" in report.errors[0]
    assert {i.key: i.split for i in report.items} == {t.key: t.split for t in abc_tunes(str(root)) if t.key != "set.abc#2"}
