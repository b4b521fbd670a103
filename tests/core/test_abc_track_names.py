"""Every track read from an ABC file has a name: the voice's name, else "Voice N" for V:N, else its V: id."""

import pytest

from app.core.abc.read import read_abc_text
from app.core.abc.write import write_abc

HEAD = "X:1\nT:Afton Water\nM:4/4\nL:1/8\nK:C\n"
LOW = "C,D,E,F, G,A,B,C|\n"
HIGH = "CDEF GABc|\n"


@pytest.mark.parametrize("body,names", [
    (HIGH, ["Voice 1"]),  # no V: line: the tune's one voice is voice 1
    ("V:1\n" + HIGH, ["Voice 1"]),
    ("V:1\n" + HIGH + "V:2\n" + LOW, ["Voice 1", "Voice 2"]),
    ("V:2\n" + HIGH, ["Voice 2"]),
    ('V:T1\n' + HIGH + 'V:B name="Bass"\n' + LOW, ["T1", "Bass"]),
    ('V:1 nm="Fiddle"\n' + HIGH, ["Fiddle"]),
])
def test_every_voice_read_has_a_name(body, names):
    assert [track.name for track in read_abc_text(HEAD + body, voice_names=True).tracks] == names


def test_the_names_survive_writing_and_reading_again():
    score = read_abc_text(HEAD + "V:1\n" + HIGH + "V:2\n" + LOW, voice_names=True)
    again = read_abc_text(write_abc(score), voice_names=True)
    assert [track.name for track in again.tracks] == ["Voice 1", "Voice 2"]


def test_a_file_and_a_seed_read_with_named_tracks(tmp_path):
    from app.core.formats import load_score

    (tmp_path / "tune.abc").write_text(HEAD + HIGH, encoding="utf-8")
    assert [t.name for t in load_score(tmp_path / "tune.abc").tracks] == ["Voice 1"]
    assert all(t.name for t in load_score("seed:afton-water").tracks)


def test_without_voice_names_only_the_text_names_a_track():  # the ABC editor keeps the document's names
    assert [t.name for t in read_abc_text(HEAD + HIGH).tracks] == [""]
