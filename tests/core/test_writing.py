"""Writing what every tool can read (issue 14, Writing): text in each format, unisons, notation.

Each test starts from a small score or file that failed before the fix:
non-Latin-1 names made every MIDI export fail; names holding NUL or control
characters made the ABC "a binary file" and the MusicXML not well-formed;
meters and tempos off the grid made MusicXML export fail ("Cannot convert
'2048th' duration"); unisons collapsed into one note.
"""

import xml.etree.ElementTree as ET

import mido
import pytest

from app.core.abc.read import read_abc, read_abc_text
from app.core.abc.write import write_abc
from app.core.formats import load_score, save_score
from app.core.midi import read_midi, write_midi
from app.core.musicxml import read_musicxml, write_musicxml
from app.core.notation_grid import BeatGrid, GridReport
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from app.core.text import abc_text, from_midi_text, midi_text, plain_line, xml_text

NOCTURNE = "Nocturne — é 夜想曲"


def notes_of(score):
    return [[(n.start, n.pitch, n.duration) for n in t.notes] for t in score.tracks]


def named_score(title, *names):
    tracks = tuple(Track(name, 0, False, (Note(0, 60 + i, 480), Note(480, 64 + i, 480))) for i, name in enumerate(names))
    return Score(tracks, title=title)


# --- text ------------------------------------------------------------------------------

def test_plain_line_drops_controls_and_joins_lines():
    assert plain_line("  Pi\x00ano\x07\x1b[0m \n\tleft\r\nhand\u2028 \x00") == "Piano[0m left hand"
    assert plain_line("bad \ud800 surrogate \ufffe\uffff") == "bad surrogate"
    assert plain_line(NOCTURNE) == NOCTURNE and plain_line(None) == ""


def test_format_texts():
    assert midi_text(NOCTURNE).encode("latin-1") == NOCTURNE.encode("utf-8")
    assert from_midi_text(midi_text(NOCTURNE)) == NOCTURNE
    assert from_midi_text("Caf\xe9\x00") == "Café"  # Latin-1 bytes that are not UTF-8
    assert abc_text("50% off\nX:2") == "50\\% off X:2"
    assert xml_text("A\x00 & B\x0b") == "A & B"


# --- MIDI text -------------------------------------------------------------------------

def test_midi_names_outside_latin1_write_and_read_back(tmp_path):
    score = named_score(NOCTURNE, "Piano — droite", "左手")
    write_midi(score, tmp_path / "n.mid")  # was: UnicodeEncodeError
    back = read_midi(tmp_path / "n.mid")
    assert back.title == NOCTURNE
    assert [t.name for t in back.tracks] == ["Piano — droite", "左手"]
    raw = mido.MidiFile(tmp_path / "n.mid").tracks[0][0]
    assert raw.type == "track_name" and raw.name.encode("latin-1") == NOCTURNE.encode("utf-8")  # UTF-8 bytes


def test_midi_latin1_names_of_older_files_still_read(tmp_path):
    mid = mido.MidiFile(type=1)
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="Caf\xe9 \xabm\xe9lodie\xbb\x00\x00"),
                            mido.Message("note_on", note=60, velocity=90), mido.Message("note_off", note=60, time=480)])
    mid.tracks.append(track)
    mid.save(tmp_path / "old.mid")  # mido writes Latin-1
    back = read_midi(tmp_path / "old.mid")
    assert back.title == "Café «mélodie»" and back.tracks[0].name == "Café «mélodie»"


def test_a_tempo_slower_than_midi_can_hold_is_written_as_its_slowest(tmp_path):
    score = Score((Track(notes=(Note(0, 60, 480),)),), tempos=(TempoChange(0, 1.0), TempoChange(480, 60.0)))
    write_midi(score, tmp_path / "slow.mid")  # was: ValueError (attribute must be in range 0..16777215)
    assert [round(t.bpm, 2) for t in read_midi(tmp_path / "slow.mid").tempos] == [3.58, 60.0]


def test_provenance_with_non_ascii_text_survives_midi(tmp_path):
    score = Score((Track(notes=(Note(0, 60, 480),)),), provenance={"model": "abc-lstm", "seed": NOCTURNE})
    write_midi(score, tmp_path / "p.mid")
    assert read_midi(tmp_path / "p.mid").provenance["seed"] == NOCTURNE


# --- names with NUL and control characters go into ABC and MusicXML ---------------------

def midi_with_dirty_names(path):
    """A type-1 file whose track names end in NUL and hold control characters, as many tools write."""
    mid = mido.MidiFile(type=1)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="Song\x00\x00")]))
    for i, name in enumerate(["Lead\x00", "Bass\x01\x02\nline"]):
        mid.tracks.append(mido.MidiTrack([
            mido.MetaMessage("track_name", name=name),
            mido.Message("note_on", channel=i, note=60 - 12 * i, velocity=90),
            mido.Message("note_off", channel=i, note=60 - 12 * i, time=480)]))
    mid.save(path)


def test_dirty_midi_names_become_clean_abc_and_musicxml(tmp_path):
    midi_with_dirty_names(tmp_path / "dirty.mid")
    score = read_midi(tmp_path / "dirty.mid")
    assert score.title == "Song" and [t.name for t in score.tracks] == ["Lead", "Bass line"]
    # a score still holding such names (read by an older version, or built in code) writes clean files
    dirty = Score(tuple(t.__class__(name=n, notes=t.notes) for t, n in zip(score.tracks, ["Lead\x00", "Bass\x01\nx"])),
                  title="Song\x00\x07")
    for ext in (".abc", ".musicxml", ".mxl"):
        save_score(dirty, tmp_path / f"out{ext}")
    abc = (tmp_path / "out.abc").read_bytes()
    assert b"\x00" not in abc and b"\x07" not in abc and b"T:Song\n" in abc
    back = read_abc(tmp_path / "out.abc")  # was: "it is a binary file"
    assert back.title == "Song" and [t.name for t in back.tracks] == ["Lead", "Bass x"]
    ET.parse(tmp_path / "out.musicxml")  # well-formed XML (was: invalid token)
    for ext in (".musicxml", ".mxl"):
        back = read_musicxml(tmp_path / f"out{ext}")
        assert back.title == "Song" and [t.name for t in back.tracks] == ["Lead", "Bass x"]
        assert notes_of(back) == notes_of(score)


def test_abc_title_with_percent_is_not_cut_by_a_comment():
    text = write_abc(named_score("50% off", "a"))
    assert "T:50\\% off\n" in text
    assert read_abc_text(text).title.startswith("50")


# --- unisons ---------------------------------------------------------------------------

UNISON = (Note(0, 60, 480, 100), Note(0, 60, 960, 50), Note(0, 64, 480, 80), Note(1440, 60, 240, 70))


def test_midi_unison_in_one_track_keeps_both_notes(tmp_path):
    score = Score((Track("two voices", 0, False, UNISON),))
    write_midi(score, tmp_path / "u.mid")
    assert read_midi(tmp_path / "u.mid").tracks[0].notes == UNISON


def test_midi_unison_on_two_channels_of_one_track_keeps_both(tmp_path):
    mid = mido.MidiFile(type=0)
    mid.tracks.append(mido.MidiTrack([
        mido.Message("note_on", channel=0, note=60, velocity=90), mido.Message("note_on", channel=1, note=60, velocity=80),
        mido.Message("note_off", channel=0, note=60, time=480), mido.Message("note_off", channel=1, note=60, time=480)]))
    mid.save(tmp_path / "c.mid")
    assert notes_of(read_midi(tmp_path / "c.mid")) == [[(0, 60, 480)], [(0, 60, 960)]]


def test_midi_doubled_note_on_without_its_own_note_off_is_still_one_note(tmp_path):
    mid = mido.MidiFile(type=0)
    mid.tracks.append(mido.MidiTrack([
        mido.Message("note_on", note=60, velocity=90), mido.Message("note_on", note=60, velocity=90),
        mido.Message("note_off", note=60, time=100), mido.Message("note_on", note=60, velocity=90, time=100),
        mido.Message("note_off", note=60, time=100)]))
    mid.save(tmp_path / "d.mid")
    assert notes_of(read_midi(tmp_path / "d.mid")) == [[(0, 60, 100), (200, 60, 100)]]


def test_abc_unison_chord_survives_a_write_and_read():
    score = read_abc_text("X:1\nM:4/4\nL:1/8\nK:C\n[cc]2 [c-c]2 c2 [CEG]2|\n")
    first = notes_of(score)
    assert first == [[(0, 72, 480), (0, 72, 480), (480, 72, 480), (480, 72, 960), (1440, 60, 480), (1440, 64, 480),
                      (1440, 67, 480)]]
    assert notes_of(read_abc_text(write_abc(score))) == first


@pytest.mark.parametrize("ext", [".musicxml", ".mid", ".abc"])
def test_unisons_survive_each_format(tmp_path, ext):
    score = Score((Track("u", 0, False, UNISON),))
    save_score(score, tmp_path / f"u{ext}")
    back = load_score(tmp_path / f"u{ext}")
    assert notes_of(back) == notes_of(score)


# --- MusicXML: what notation can express ------------------------------------------------

def test_meter_and_tempo_off_the_grid_no_longer_fail(tmp_path):
    score = Score((Track(notes=(Note(0, 60, 480), Note(480, 62, 480), Note(2000, 64, 300), Note(3840, 65, 480))),),
                  time_signatures=(TimeSignature(0, 4, 4), TimeSignature(1921, 3, 4)),
                  tempos=(TempoChange(0, 100.0), TempoChange(1003, 130.0)))
    write_musicxml(score, tmp_path / "m.musicxml")  # was: Cannot convert "2048th" duration
    back = read_musicxml(tmp_path / "m.musicxml")
    assert notes_of(back) == [[(0, 60, 480), (480, 62, 480), (2010, 64, 300), (3840, 65, 480)]]  # on 64ths of the beat
    assert [(t.tick, t.bpm) for t in back.tempos] == [(0, 100.0), (990, 130.0)]
    assert [(s.tick, s.numerator) for s in back.time_signatures] == [(0, 4), (3840, 3)]  # at the next bar line


def test_very_short_notes_are_lengthened_and_the_writer_says_so(tmp_path):
    score = Score((Track(notes=(Note(0, 60, 1), Note(3, 62, 2), Note(7, 64, 4), Note(480, 65, 479))),), ppq=480)
    said = write_musicxml(score, tmp_path / "s.musicxml")
    assert said == ["3 notes shorter than a 64th note (or a 32nd-note triplet) were lengthened to one",
                    "1 note was moved to the nearest 64th note or 32nd-note triplet, the finest rhythm written"]
    assert notes_of(read_musicxml(tmp_path / "s.musicxml")) == [[(0, 60, 30), (0, 62, 30), (0, 64, 30), (480, 65, 480)]]
    assert write_musicxml(Score((Track(notes=(Note(0, 60, 480),)),)), tmp_path / "q.musicxml") == []


def test_abc_is_written_on_the_same_notation_grid_and_says_so(tmp_path):
    from app.core.formats import save_score

    score = Score((Track(notes=(Note(0, 60, 1), Note(3, 62, 2), Note(7, 64, 4), Note(480, 65, 479),
                                Note(960, 67, 160), Note(1120, 69, 160), Note(1280, 71, 165))),), ppq=480)
    said_xml = save_score(score, tmp_path / "s.musicxml")
    said_abc = save_score(score, tmp_path / "s.abc")
    assert said_abc == said_xml == [
        "3 notes shorter than a 64th note (or a 32nd-note triplet) were lengthened to one",
        "2 notes were moved to the nearest 64th note or 32nd-note triplet, the finest rhythm written"]
    assert "(3GAB" in (tmp_path / "s.abc").read_text()
    assert notes_of(read_abc_text((tmp_path / "s.abc").read_text())) == \
        notes_of(read_musicxml(tmp_path / "s.musicxml")) == \
        [[(0, 60, 30), (0, 62, 30), (0, 64, 30), (480, 65, 480), (960, 67, 160), (1120, 69, 160), (1280, 71, 160)]]


def test_triplets_and_sixteenths_share_a_bar_exactly(tmp_path):
    triplets = [Note(i * 160, 67 + i, 160) for i in range(3)]
    sixteenths = [Note(480 + i * 120, 60 + i, 120) for i in range(4)]
    quintuplet_ish = [Note(960 + i * 96, 72, 96) for i in range(5)]  # not notation: snapped to the nearer grid
    score = Score((Track(notes=tuple(triplets + sixteenths + quintuplet_ish)),))
    write_musicxml(score, tmp_path / "t.musicxml")
    back = notes_of(read_musicxml(tmp_path / "t.musicxml"))[0]
    assert back[:7] == [(n.start, n.pitch, n.duration) for n in triplets + sixteenths]
    assert [s for s, _, _ in back[7:]] == [960, 1050, 1140, 1260, 1350]  # 64ths fit better than triplets
    text = (tmp_path / "t.musicxml").read_text()
    assert text.count('<tuplet bracket="yes"') >= 1 and "<beam number=\"2\">" in text


def test_beat_grid_picks_triplets_only_where_they_fit():
    grid = BeatGrid.for_notes([(0, 1920)], 480, [Note(0, 60, 160), Note(160, 60, 160), Note(480, 60, 120)])
    assert grid.ternary[:2] == [True, False]
    assert grid.snap(170) == 160 and grid.snap(500) == 510 and grid.step_at(0) == 40
    report = GridReport()
    assert grid.quantize([Note(481, 60, 5)], report) == [Note(480, 60, 30)] and report.lengthened == 1
    assert grid.note_values(0, 480 + 360 + 30) == [(480, False), (360, False), (30, False)]  # quarter, dotted 8th, 64th
    assert grid.note_values(160, 480) == [(320, True)]


def test_cli_convert_says_what_quantising_changed(tmp_path, capsys):
    from app.cli import main

    write_midi(Score((Track(notes=(Note(0, 60, 2), Note(480, 62, 470))),)), tmp_path / "in.mid")
    assert main(["convert", str(tmp_path / "in.mid"), "--out", str(tmp_path / "out.musicxml")]) == 0
    captured = capsys.readouterr()
    assert "note: 1 note shorter than a 64th note" in captured.err and "wrote" in captured.out


def test_a_percent_sign_in_a_title_survives_abc(tmp_path):
    from app.core.formats import load_score, save_score
    from app.core.score import Note, Score, Track

    score = Score(tracks=(Track("Fiddle", 40, False, (Note(0, 67, 480), Note(480, 69, 480))),), title="50% off")
    save_score(score, tmp_path / "t.abc")
    assert "T:50\\% off" in (tmp_path / "t.abc").read_text()
    assert load_score(tmp_path / "t.abc").title == "50% off"


def test_a_track_with_a_data_byte_first_is_refused_in_words(tmp_path):
    import struct

    import pytest

    from app.core.errors import CadenzaError
    from app.core.formats import load_score

    events = b"\x00\x40\x40" + b"\x00\xff\x2f\x00"  # a data byte with no running status, then end of track
    data = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(events)) + events
    (tmp_path / "bad.mid").write_bytes(data)
    with pytest.raises(CadenzaError) as info:
        load_score(tmp_path / "bad.mid")
    assert "no status byte" in str(info.value) and "last_status" not in str(info.value)
