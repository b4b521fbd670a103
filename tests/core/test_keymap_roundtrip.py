"""Key, meter and tempo changes survive MIDI, MusicXML, ABC and project round trips."""

import pytest

from app.core.abc.read import read_abc_text
from app.core.abc.write import write_abc
from app.core.midi import read_midi, write_midi
from app.core.musicxml import read_musicxml, write_musicxml
from app.core.project import score_from_dict, score_to_dict
from app.core.score import KeyChange, Note, Score, TempoChange, TimeSignature, Track

NOTES = tuple(Note(start=i * 480, pitch=60 + (i * 5) % 12, duration=480) for i in range(32))
SCORE = Score(tracks=(Track("Piano", 0, False, NOTES),),
              tempos=(TempoChange(0, 100.0), TempoChange(3840, 80.0), TempoChange(7680, 150.0)),
              time_signatures=(TimeSignature(0, 4, 4), TimeSignature(3840, 3, 4), TimeSignature(6720, 2, 4)),
              keys=(KeyChange(0, "G major"), KeyChange(1920, "Bb major"), KeyChange(6720, "E minor")),
              title="Changes")


def _maps(score: Score):
    return (score.keys, [(t.tick, pytest.approx(t.bpm, abs=1e-3)) for t in score.tempos], score.time_signatures,
            [(n.start, n.pitch, n.duration) for n in score.tracks[0].notes])  # ABC has no velocities


def _abc(tmp_path):
    return read_abc_text(write_abc(SCORE))


def _musicxml(tmp_path):
    write_musicxml(SCORE, tmp_path / "changes.musicxml")
    return read_musicxml(tmp_path / "changes.musicxml")


def _midi(tmp_path):
    write_midi(SCORE, tmp_path / "changes.mid")
    return read_midi(tmp_path / "changes.mid")


def _project(tmp_path):
    return score_from_dict(score_to_dict(SCORE))


@pytest.mark.parametrize("round_trip", [_midi, _musicxml, _abc, _project])
def test_changes_survive(round_trip, tmp_path):
    back = round_trip(tmp_path)
    assert _maps(back) == _maps(SCORE)
    assert back.key == "G major" and back.key_at(7000) == "E minor"


def test_abc_writes_key_changes_inline_and_spells_in_them():
    text = write_abc(SCORE)
    assert "K:G\n" in text and "[K:Bb]" in text and "[K:Em]" in text
    assert "[M:3/4]" in text and "[Q:1/4=80]" in text
    bars = text.split("|")
    assert "_B" not in bars[2] and "^A" not in bars[2]  # A#/Bb in B-flat major needs no accidental


def test_abc_reads_inline_and_body_fields():
    score = read_abc_text("X:1\nM:4/4\nL:1/8\nQ:1/4=100\nK:G\nGABc d2B2|[K:D] defg a2f2|[M:3/4] [Q:1/4=80] abc d2c|\n"
                          "K:Bb\nM:2/4\nQ:1/4=140\nB2d2|F4|]\n")
    assert score.keys == (KeyChange(0, "G major"), KeyChange(1920, "D major"), KeyChange(5280, "Bb major"))
    assert [(s.tick, s.numerator) for s in score.time_signatures] == [(0, 4), (3840, 3), (5280, 2)]
    assert [(t.tick, t.bpm) for t in score.tempos] == [(0, 100.0), (3840, 80.0), (5280, 140.0)]


def test_old_project_without_a_key_map_opens_with_its_key():
    data = score_to_dict(SCORE)
    assert data["keys"] == [[0, "G major"], [1920, "Bb major"], [6720, "E minor"]] and data["key"] == "G major"
    del data["keys"]
    assert score_from_dict(data).keys == (KeyChange(0, "G major"),)
    data["keys"] = [[960, "nonsense"]]
    with pytest.raises(ValueError, match=r"keys\[0\]\[1\]"):
        score_from_dict(data)


def test_info_counts_the_key_changes_beside_tempo_and_meter_changes():
    from app.core.summary import format_info, score_info

    info = score_info(SCORE)
    assert (info["key"], info["key_changes"], info["tempo_changes"], info["time_signature_changes"]) == (
        SCORE.key, 2, 2, 2)
    assert f"Key:             {SCORE.key} (2 changes)" in format_info(info).splitlines()
