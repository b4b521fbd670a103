"""The key map in Score, and the pure marker edits of app.core.markers."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.edits import extract
from app.core.markers import (MarkerError, move_key, move_meter, move_tempo, remove_key, remove_meter,
                              remove_tempo, set_key, set_meter, set_tempo)
from app.core.score import KeyChange, Note, Score, Track

KEYS = ["C major", "G major", "D minor", "Bb major", "F# minor"]


def test_key_map_is_normalised_and_key_is_the_opening_key():
    score = Score(keys=(KeyChange(960, "a minor"), KeyChange(480, "G major"), KeyChange(480, "F major"),
                        KeyChange(1920, "A minor")))
    assert score.keys == (KeyChange(0, "F major"), KeyChange(960, "A minor"))
    assert score.key == "F major"
    assert [score.key_at(t) for t in (0, 959, 960, 10**6)] == ["F major", "F major", "A minor", "A minor"]
    assert Score(key="g major").keys == (KeyChange(0, "G major"),)
    assert Score().keys == () and Score().key_at(0) is None


def test_replace_key_or_keys():
    score = Score(keys=(KeyChange(0, "C major"), KeyChange(960, "G major")))
    assert replace(score, key="D major").keys == (KeyChange(0, "D major"), KeyChange(960, "G major"))
    assert replace(score, key="G major").keys == (KeyChange(0, "G major"),)  # same as the next: merged
    assert replace(score, key=None).keys == ()
    other = replace(score, keys=(KeyChange(0, "E minor"),))
    assert (other.key, other.keys) == ("E minor", (KeyChange(0, "E minor"),))
    assert replace(replace(Score(key="C major"), key="A minor"), title="x").keys == (KeyChange(0, "A minor"),)
    assert replace(score, keys=()).key is None
    legacy = Score(key="H lydian")  # text that names no key is kept, with no map
    assert (legacy.key, legacy.keys, replace(legacy, title="x").key) == ("H lydian", (), "H lydian")
    assert replace(legacy, keys=(KeyChange(0, "D major"),)).key == "D major"
    assert replace(score, title="x").keys == score.keys and hash(replace(score, title="")) == hash(score)


def test_marker_edits_table():
    score = Score(key="C major")
    score = set_tempo(set_tempo(score, 960, 90), 0, 100)
    assert [(t.tick, t.bpm) for t in score.tempos] == [(0, 100.0), (960, 90.0)]
    assert [(t.tick, t.bpm) for t in move_tempo(score, 960, 0).tempos] == [(0, 90.0)]
    assert [t.tick for t in remove_tempo(score, 960).tempos] == [0]
    score = set_meter(score, 2000, 3, 4)  # snaps to bar 2 of 4/4
    score = set_meter(score, 1920 * 3 + 700, 6, 8)  # 3/4 bars from 1920: 6240 is nearest
    assert [(s.tick, s.numerator, s.denominator) for s in score.time_signatures] == [(0, 4, 4), (1920, 3, 4),
                                                                                      (6240, 6, 8)]
    assert [s.tick for s in move_meter(score, 1920, 3900).time_signatures] == [0, 3840, 6240]
    assert [s.tick for s in remove_meter(score, 1920).time_signatures] == [0, 6240]
    score = set_key(set_key(score, 960, "G major"), 1920, "E minor")
    assert score.keys == (KeyChange(0, "C major"), KeyChange(960, "G major"), KeyChange(1920, "E minor"))
    moved = move_key(score, 1920, 0)
    assert (moved.key, moved.keys) == ("E minor", (KeyChange(0, "E minor"), KeyChange(960, "G major")))
    assert remove_key(score, 960).keys == (KeyChange(0, "C major"), KeyChange(1920, "E minor"))
    assert set_key(Score(), 960, "D major").keys == (KeyChange(0, "D major"),)
    for bad in (lambda: remove_tempo(score, 0), lambda: remove_meter(score, 0), lambda: remove_key(score, 0),
                lambda: move_key(score, 0, 960), lambda: remove_key(score, 5), lambda: set_key(score, 5, "H minor"),
                lambda: set_meter(score, 5, 3, 5), lambda: set_tempo(score, 5, 0), lambda: set_tempo(score, -1, 90)):
        with pytest.raises(MarkerError):
            bad()


EDIT = st.tuples(st.sampled_from(["set", "remove", "move"]), st.sampled_from(["tempo", "meter", "key"]),
                 st.integers(0, 8).map(lambda b: b * 480), st.integers(0, 8).map(lambda b: b * 480),
                 st.integers(0, 4))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(EDIT, max_size=12))
def test_edits_keep_maps_sorted_with_a_change_at_zero(edits):
    score = Score(key="C major")
    for op, kind, tick, other, value in edits:
        try:
            if op == "set":
                score = {"tempo": lambda: set_tempo(score, tick, 60 + value * 10),
                         "meter": lambda: set_meter(score, tick, value + 2, 4),
                         "key": lambda: set_key(score, tick, KEYS[value])}[kind]()
            else:
                fn = {("remove", "tempo"): remove_tempo, ("remove", "meter"): remove_meter,
                      ("remove", "key"): remove_key, ("move", "tempo"): move_tempo,
                      ("move", "meter"): move_meter, ("move", "key"): move_key}[op, kind]
                score = fn(score, tick) if op == "remove" else fn(score, tick, other)
        except MarkerError:
            continue
        for changes in (score.tempos, score.time_signatures, score.keys):
            ticks = [c.tick for c in changes]
            assert ticks[0] == 0 and ticks == sorted(set(ticks))
        assert all(a.key != b.key for a, b in zip(score.keys, score.keys[1:]))
        assert score.key == score.keys[0].key


def test_an_exported_selection_keeps_the_key_in_force():
    notes = tuple(Note(start=i * 480, pitch=60, duration=480) for i in range(16))
    score = Score(tracks=(Track("a", 0, False, notes),),
                  keys=(KeyChange(0, "C major"), KeyChange(1920, "G major"), KeyChange(3840, "D major")))
    part = extract(score, notes={0: notes[5:]})  # from beat 6: the bar at 1920 is its start
    assert part.keys == (KeyChange(0, "G major"), KeyChange(1920, "D major")) and part.key == "G major"
