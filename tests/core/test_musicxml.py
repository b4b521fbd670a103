"""MusicXML in and out through music21: golden file, round trips, programs, drums, errors."""

from pathlib import Path

import pytest
from music21 import chord, harmony, meter, note, stream

from app.core.errors import FileFormatError, FileWriteError
from app.core.music21_bridge import score_to_stream, stream_to_score
from app.core.musicxml import read_musicxml, write_musicxml
from app.core.score import Note, Score, TempoChange, TimeSignature, Track

DATA = Path(__file__).parents[1] / "data" / "musicxml"


def notes_of(track):
    return [(n.start, n.pitch, n.duration) for n in track.notes]


def two_tracks():
    piano = Track("Piano", 1, False, (
        Note(0, 60, 480, 100), Note(0, 64, 480, 100), Note(0, 67, 960, 100),  # a chord, G held on
        Note(480, 65, 1440, 70),  # overlaps G and crosses the bar line
        Note(1920, 72, 240, 60), Note(2160, 72, 240, 60),  # a re-struck note, not a tie
        Note(2400, 61, 420, 50), Note(2880, 66, 160, 80), Note(3040, 65, 160, 80), Note(3200, 77, 160, 80),
    ))
    bass = Track("Bass", 33, False, (Note(0, 36, 3840, 96),))
    return Score((piano, bass), tempos=(TempoChange(0, 100.0), TempoChange(1920, 140.0)),
                 time_signatures=(TimeSignature(0, 4, 4), TimeSignature(1920, 3, 4)), key="D major", title="Two")


@pytest.mark.parametrize("ext", [".musicxml", ".xml", ".mxl"])
def test_two_tracks_with_chords_round_trip(tmp_path, ext):
    score = two_tracks()
    path = tmp_path / f"two{ext}"
    write_musicxml(score, path)
    back = read_musicxml(path)
    assert [(t.name, t.program, t.is_drum) for t in back.tracks] == [("Piano", 1, False), ("Bass", 33, False)]
    assert [notes_of(t) for t in back.tracks] == [notes_of(t) for t in score.tracks]
    assert (back.title, back.key) == ("Two", "D major")
    assert back.tempos == score.tempos and back.time_signatures == score.time_signatures
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"two{ext}"]  # no temporary file left behind


def test_velocities_are_stored_on_notes(tmp_path):
    score = Score((Track(notes=(Note(0, 60, 480, 30), Note(480, 62, 480, 110))),))
    write_musicxml(score, tmp_path / "v.musicxml")
    assert [n.velocity for n in read_musicxml(tmp_path / "v.musicxml").tracks[0].notes] == [30, 110]


def test_drum_track_stays_a_drum_track(tmp_path):
    score = Score((Track("Kit", 0, True, (Note(0, 36, 240), Note(480, 38, 240), Note(480, 42, 240))),))
    write_musicxml(score, tmp_path / "d.musicxml")
    back = read_musicxml(tmp_path / "d.musicxml")
    assert back.tracks[0].is_drum
    assert notes_of(back.tracks[0]) == notes_of(score.tracks[0])


def test_golden_with_pickup_grace_triplet_tie_chord_and_repeat():
    score = read_musicxml(DATA / "pickup_grace.musicxml")
    assert (score.title, score.key) == ("Pickup Golden", "G major")
    assert [(t.tick, t.bpm) for t in score.tempos] == [(0, 72.0)]
    assert [(s.tick, s.numerator, s.denominator) for s in score.time_signatures] == [(0, 3, 4)]
    (violin,) = score.tracks
    assert (violin.name, violin.program, violin.is_drum) == ("Violin", 40, False)
    once = [(1440, 81, 60), (1500, 79, 420),  # the grace note borrows ppq/8 from its principal note
            (1920, 71, 160), (2080, 72, 160), (2240, 74, 160),  # triplet eighths
            (2400, 76, 960),  # tied over the bar line
            (3360, 67, 960), (3360, 71, 960)]  # the chord; the chord symbol is not a note
    assert notes_of(violin) == ([(960, 74, 480)]  # the one-beat pickup sits at the end of a 3/4 bar
                                + once + [(s + 2880, p, d) for s, p, d in once]  # the repeat, expanded
                                + [(7200, 67, 1440)])


def test_stream_to_score_reads_a_bare_part():
    part = stream.Part()
    part.append(meter.TimeSignature("2/4"))
    part.append(harmony.ChordSymbol("C"))
    part.append(chord.Chord(["C4", "E4"], quarterLength=1.5))
    grace = note.Note("D5", quarterLength=0.5).getGrace()
    part.append(grace)
    part.append(note.Note("C5", quarterLength=0.5))
    score = stream_to_score(part, ppq=96)
    assert score.ppq == 96 and score.time_signatures[0].numerator == 2
    assert notes_of(score.tracks[0]) == [(0, 60, 144), (0, 64, 144), (144, 74, 12), (156, 72, 36)]


def test_score_to_stream_makes_measures_and_ties():
    s = score_to_stream(two_tracks())
    piano = s.parts[0]
    measures = list(piano.getElementsByClass(stream.Measure))
    assert len(measures) == 3  # 4/4, 3/4, 3/4 (padded to the bar line)
    first = measures[0].notes[0]
    assert isinstance(first, chord.Chord) and [p.midi for p in first.pitches] == [60, 64, 67]
    assert [n.tie.type if n.tie else None for n in first.notes] == [None, None, "start"]


def test_malformed_musicxml_is_one_sentence(tmp_path):
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<score-partwise><part id='P1'><measure><note><pitch>")
    with pytest.raises(FileFormatError) as err:
        read_musicxml(bad)
    message = str(err.value)
    assert message.startswith(f"Cannot read {bad}: it is not valid MusicXML") and message.endswith(".")
    assert "\n" not in message
    broken_zip = tmp_path / "bad.mxl"
    broken_zip.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileFormatError, match="not a valid compressed MusicXML"):
        read_musicxml(broken_zip)
    with pytest.raises(FileFormatError, match="no such file"):
        read_musicxml(tmp_path / "missing.xml")


def test_write_failure_is_one_sentence(tmp_path):
    target = tmp_path / "missing-folder" / "x.musicxml"
    with pytest.raises(FileWriteError) as err:
        write_musicxml(two_tracks(), target)
    assert str(err.value).startswith(f"Cannot write {target}:")


def test_any_ppq_is_written_on_the_notation_grid(tmp_path):
    # ppq 100 is not a multiple of 48: the writer rescales to 480, sixteenths stay exact
    score = Score((Track(notes=(Note(0, 60, 25), Note(25, 62, 75), Note(100, 64, 300))),), ppq=100)
    write_musicxml(score, tmp_path / "p.musicxml")
    assert notes_of(read_musicxml(tmp_path / "p.musicxml", ppq=100).tracks[0]) == notes_of(score.tracks[0])


def test_utf16_musicxml_is_read(tmp_path):
    """Some MusicXML exporters (and five Beethoven scores in the music21 corpus) write UTF-16."""
    from app.core.score import Note, Score, Track

    src = Score(tracks=(Track("Violin", 40, False, (Note(0, 67, 480, 80), Note(480, 69, 960, 80))),))
    write_musicxml(src, tmp_path / "a.musicxml")
    text = (tmp_path / "a.musicxml").read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    (tmp_path / "b.musicxml").write_bytes(text.encode("utf-16"))
    back = read_musicxml(tmp_path / "b.musicxml")
    assert [(n.start, n.pitch, n.duration) for n in back.tracks[0].notes] == [(0, 67, 480), (480, 69, 960)]
    assert back.tracks[0].program == 40


def test_an_empty_score_writes_one_bar_of_rest_and_reads_back(tmp_path):
    score = Score(title="Blank", key="E minor", time_signatures=(TimeSignature(0, 6, 8),),
                  tempos=(TempoChange(0, 100.0),))
    path = tmp_path / "blank.musicxml"
    assert write_musicxml(score, path) == []
    back = read_musicxml(path)
    assert (back.note_count, back.title, back.key, back.time_signatures) == (0, "Blank", "E minor",
                                                                           score.time_signatures)
    assert back.tempos[0].bpm == 100.0


def as_timewise(partwise: bytes) -> bytes:
    """The same music laid out timewise (what the standard's parttime.xsl does), for the reader's test."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(partwise)
    timewise = ET.Element("score-timewise", root.attrib)
    timewise.extend(child for child in root if child.tag != "part")
    parts = root.findall("part")
    for index, first in enumerate(parts[0].findall("measure")):
        measure = ET.SubElement(timewise, "measure", first.attrib)
        for part in parts:
            inner = ET.SubElement(measure, "part", id=part.get("id"))
            inner.extend(part.findall("measure")[index])
    return ET.tostring(timewise, encoding="utf-8", xml_declaration=True)


def test_a_score_timewise_file_reads_as_its_partwise_twin(tmp_path):
    from app.core.musicxml import musicxml_bytes

    score = two_tracks()
    partwise = musicxml_bytes(score)
    (tmp_path / "timewise.musicxml").write_bytes(as_timewise(partwise))
    (tmp_path / "partwise.musicxml").write_bytes(partwise)
    assert b"<score-timewise" in (tmp_path / "timewise.musicxml").read_bytes()
    back = read_musicxml(tmp_path / "timewise.musicxml")
    twin = read_musicxml(tmp_path / "partwise.musicxml")
    assert [notes_of(t) for t in back.tracks] == [notes_of(t) for t in twin.tracks] == \
        [notes_of(t) for t in score.tracks]
    assert [(t.name, t.program) for t in back.tracks] == [(t.name, t.program) for t in score.tracks]


def test_a_broken_timewise_file_is_one_sentence(tmp_path):
    path = tmp_path / "broken.musicxml"
    path.write_bytes(b'<?xml version="1.0"?>\n<score-timewise><part-list><score-part id="P1">\n<measure')
    with pytest.raises(FileFormatError, match=r"^Cannot read .*: it is not valid MusicXML \(the XML is broken at line 3\)\.$"):
        read_musicxml(path)
