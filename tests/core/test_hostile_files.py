"""Hostile and damaged files: zip bombs, memory and processor-time limits, damaged projects,
non-finite provenance, and reader failures told in words (issue 14, "Limits and hostile files")."""

import json
import re
import time
import zipfile
from pathlib import Path

import pytest

from app.core import limits
from app.core.errors import FileFormatError, LimitExceededError, ParseTimeoutError
from app.core.formats import load_project_file, load_score, reading_progress
from app.core.project import dumps_project, load_project
from app.core.score import Note, Score, Track

PYTHON_WORDS = re.compile(r"[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|NoneType|\bint\b|\bstr\b|unpack")
HEAD = ('<?xml version="1.0"?><score-partwise version="3.1"><part-list><score-part id="P1">'
        '<part-name>x</part-name></score-part></part-list><part id="P1"><measure number="1">')
TAIL = "</measure></part></score-partwise>"
NOTE = "<note><pitch><step>C</step><octave>4</octave></pitch><duration>4</duration><type>whole</type></note>"
MEASURE = ('<measure number="2"><note><pitch><step>D</step><octave>4</octave></pitch>'
           '<duration>4</duration><type>whole</type></note></measure>')


def _mxl(path: Path, xml_size: int) -> Path:
    """An .mxl whose score is ``xml_size`` bytes of valid-looking, very repetitive MusicXML."""
    body = (HEAD + NOTE + "</measure>").encode()
    filler = MEASURE.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("score.musicxml", "w", force_zip64=True) as member:
            member.write(body)
            written = len(body)
            chunk = filler * 4096
            while written < xml_size:
                member.write(chunk)
                written += len(chunk)
            member.write(b"</part></score-partwise>")
    return path


def test_a_zip_bomb_is_refused_before_inflating(tmp_path):
    bomb = _mxl(tmp_path / "bomb.mxl", 80 << 20)
    assert bomb.stat().st_size < 2 << 20  # a small file that would unpack to 80 MiB
    start = time.monotonic()
    with pytest.raises(LimitExceededError, match="would unpack to 80 MiB, more than the 64 MiB limit"):
        load_score(bomb)
    assert time.monotonic() - start < 10


def test_an_unusually_compressed_score_is_refused(tmp_path):
    dense = _mxl(tmp_path / "dense.mxl", 8 << 20)
    with zipfile.ZipFile(dense) as archive:
        info = archive.getinfo("score.musicxml")
    assert info.file_size / info.compress_size > limits.MAX_COMPRESSION_RATIO
    with pytest.raises(LimitExceededError, match="zip bomb"):
        load_score(dense)


def test_a_small_mxl_still_reads(tmp_path):
    small = tmp_path / "small.mxl"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("score.musicxml", HEAD + NOTE + TAIL)
    assert [n.pitch for n in load_score(small).all_notes()] == [60]


def _hog():
    return len(bytearray(3 << 30))  # 3 GB at once


def _spin():
    n = 0
    while True:
        n += 1


def _nap(seconds):
    time.sleep(seconds)
    return "rested"


def _deep(n=0):
    return _deep(n + 1)


def test_the_reader_may_not_take_more_than_about_1_gb(tmp_path):
    with pytest.raises(limits.ReaderMemoryError) as err:
        limits.call_with_time_limit(_hog, (), tmp_path / "huge.musicxml")
    assert str(err.value) == f"Cannot read {tmp_path / 'huge.musicxml'}: reading it needs more than 1 GB of memory."


def _wraps_memory_error(path):
    try:
        bytearray(3 << 30)
    except MemoryError:
        raise FileFormatError(path, "line 3: something odd") from None


def test_a_reader_that_wraps_running_out_of_memory_still_says_memory(tmp_path):
    with pytest.raises(limits.ReaderMemoryError, match="needs more than 1 GB of memory"):
        limits.call_with_time_limit(_wraps_memory_error, (tmp_path / "x.abc",), tmp_path / "x.abc")


def test_a_memory_error_inside_the_musicxml_reader_is_not_called_invalid_musicxml(tmp_path, monkeypatch):
    from music21 import converter

    def out_of_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(converter, "parseData", out_of_memory)  # the forked reader inherits it
    path = tmp_path / "a.musicxml"
    path.write_text(HEAD + NOTE + TAIL)
    with pytest.raises(limits.ReaderMemoryError, match="needs more than 1 GB of memory"):
        load_score(path)


def test_the_limit_is_processor_time_not_waiting_time(tmp_path):
    start = time.monotonic()
    with pytest.raises(ParseTimeoutError, match="more than 1 second of processor time"):
        limits.call_with_time_limit(_spin, (), tmp_path / "x.mid", seconds=1)
    assert time.monotonic() - start < 15
    # a reader that waits (as on a busy machine) longer than its processor limit still finishes
    assert limits.call_with_time_limit(_nap, (2.5,), tmp_path / "x.mid", seconds=1) == "rested"


def test_a_generous_wall_clock_backstop_remains(tmp_path):
    assert limits.WALL_CLOCK_FACTOR >= 3
    with pytest.raises(ParseTimeoutError, match="longer than 1 second"):
        limits.call_with_time_limit(_nap, (30,), tmp_path / "x.mid", seconds=1, wall_seconds=1)


def test_slow_reads_report_progress(tmp_path):
    seen = []
    assert limits.call_with_time_limit(_nap, (2.2,), tmp_path / "x.mid", progress=seen.append) == "rested"
    assert len(seen) >= 1 and all(isinstance(s, float) for s in seen)
    big = tmp_path / "big.mid"
    big.write_bytes(b"\0" * (3 << 20))
    messages = []
    reading_progress(big, messages.append)(4.2)
    assert messages == ["Reading big.mid (3 MB)… 4 s"]


def test_deep_nesting_is_said_in_words(tmp_path):
    with pytest.raises(FileFormatError) as err:
        limits.call_with_time_limit(_deep, (), tmp_path / "deep.musicxml")
    assert str(err.value).endswith("it is nested too deeply to read.")


def test_collections_of_thousands_of_abc_tunes_open(tmp_path):
    assert limits.MAX_FILE_BYTES[".abc"] >= 64 << 20
    tune = "X:{n}\nT:Reel {n}\nM:4/4\nL:1/8\nK:G\n|:GABc dedB|dedB dedB|c2ec B2dB|1 A4 A2BA:|2 A4 A4|]\n\n"
    text = "".join(tune.format(n=n) for n in range(1, 60_001))
    path = tmp_path / "session.abc"
    path.write_text(text)
    assert path.stat().st_size > 4.4e6  # the size that was refused
    score = load_score(path, tune=54_321)
    assert score.title == "Reel 54321" and score.note_count > 20


# -- damaged projects --------------------------------------------------------------------------

def _project(**changes) -> dict:
    score = json.loads(dumps_project(Score(tracks=(Track("a", 0, False, tuple(
        Note(start=i * 480, pitch=60 + i, duration=480) for i in range(5))),), key="C major", title="t")))
    for path, value in changes.items():
        where = score["score"]
        keys = path.split("/")
        for key in keys[:-1]:
            where = where[int(key)] if key.isdigit() else where[key]
        last = keys[-1]
        where[int(last) if last.isdigit() else last] = value
    return score


@pytest.mark.parametrize("change, sentence", [
    ({"key": ["C"]}, 'key must be a key name such as "G major", or null'),
    ({"ppq": "x"}, "ppq must be a whole number from 1 to 32767"),
    ({"tracks/0/notes/3/1": 300}, "tracks[0].notes[3].pitch must be a whole number from 0 to 127"),
    ({"tracks/0/notes/1/0": "soon"}, "tracks[0].notes[1].start must be a whole number 0 or more"),
    ({"tracks/0/notes/2/2": 0}, "tracks[0].notes[2].duration must be a whole number 1 or more"),
    ({"tracks/0/notes/4/3": True}, "tracks[0].notes[4].velocity must be a whole number from 1 to 127"),
    ({"tracks/0/notes/0": {"pitch": 60}}, "tracks[0].notes[0] must be a list of start, pitch, duration and velocity"),
    ({"tracks/0/program": 128}, "tracks[0].program must be a whole number from 0 to 127"),
    ({"tracks/0/is_drum": "no"}, "tracks[0].is_drum must be true or false"),
    ({"tracks/0/name": None}, "tracks[0].name must be text"),
    ({"tracks": {"a": 1}}, "tracks must be a list"),
    ({"tempos": [[0, "fast"]]}, "tempos[0][1] must be a number from 1 to 1000"),
    ({"time_signatures": [[0, 4, 3]]}, "time_signatures[0][2] must be 1, 2, 4, 8, 16, 32 or 64"),
    ({"title": 7}, "title must be text"),
    ({"provenance": [1]}, "provenance must be an object"),
])
def test_a_wrong_field_in_a_project_is_named(tmp_path, change, sentence):
    path = tmp_path / "song.cadenza"
    path.write_text(json.dumps(_project(**change)))
    with pytest.raises(FileFormatError) as err:
        load_project_file(path)
    assert str(err.value) == f"song.cadenza is damaged: {sentence}."
    with pytest.raises(FileFormatError) as err:  # the same sentence through every reader
        load_score(path)
    assert str(err.value) == f"song.cadenza is damaged: {sentence}."


def test_a_project_of_the_right_types_still_loads(tmp_path):
    path = tmp_path / "ok.cadenza"
    path.write_text(json.dumps(_project(**{"tracks/0/notes/0/1": 61.0})))  # an integral float is a whole number
    score, _ = load_project(path)
    assert [n.pitch for n in score.all_notes()] == [61, 61, 62, 63, 64]


def _strict_json(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_info_json_is_valid_json_whatever_the_provenance(tmp_path, capsys):
    from app.cli import main
    from app.core.midi import write_midi

    score = Score(tracks=(Track("a", 0, False, (Note(start=0, pitch=60, duration=480),)),),
                  provenance={"model": "abc-lstm", "options": {"temperature": float("nan")},
                              "note": float("inf"), "list": [float("-inf"), 1.5]})
    midi = tmp_path / "nan.mid"
    write_midi(score, midi)
    project = tmp_path / "nan.cadenza"
    doc = _project()
    doc["score"]["provenance"] = {"model": "x", "options": {"temperature": float("nan")}, "z": float("inf")}
    project.write_text(json.dumps(doc))  # Python writes NaN / Infinity, as a hand edit might
    for path in (midi, project):
        assert main(["info", "--json", str(path)]) == 0
        info = _strict_json(capsys.readouterr().out)
        assert info["provenance"]["options"]["temperature"] is None
    _strict_json(dumps_project(load_project(project)[0]).decode())  # and saving writes strict JSON


# -- reader failures in words ------------------------------------------------------------------

HOSTILE_XML = {
    "fifths_text": '<attributes><divisions>1</divisions><key><fifths>abc</fifths></key></attributes>' + NOTE,
    "non_traditional_key": ('<attributes><divisions>1</divisions><key><key-step>F</key-step><key-alter>1</key-alter>'
                            '</key></attributes>' + NOTE),
    "zero_divisions": '<attributes><divisions>0</divisions></attributes>' + NOTE,
    "bad_beats": '<attributes><divisions>1</divisions><time><beats>x</beats><beat-type>4</beat-type></time></attributes>' + NOTE,
    "bad_octave": ('<attributes><divisions>1</divisions></attributes><note><pitch><step>C</step><octave>z</octave>'
                   '</pitch><duration>4</duration></note>'),
    "bad_step": ('<attributes><divisions>1</divisions></attributes><note><pitch><step>H</step><octave>4</octave>'
                 '</pitch><duration>4</duration></note>'),
    "bad_tempo": '<attributes><divisions>1</divisions></attributes><direction><sound tempo="abc"/></direction>' + NOTE,
    "bad_clef": '<attributes><divisions>1</divisions><clef><sign>Q</sign><line>x</line></clef></attributes>' + NOTE,
    "deep_nesting": "<attributes><divisions>1</divisions></attributes>" + "<direction>" * 50_000 + "</direction>" * 50_000,
}


def _hostile_files(folder: Path) -> list[Path]:
    paths = []
    for name, body in HOSTILE_XML.items():
        path = folder / f"{name}.musicxml"
        path.write_text(HEAD + body + TAIL)
        paths.append(path)
    extra = {
        "truncated.musicxml": (HEAD + NOTE)[:-7],
        "bad_key.abc": "X:1\nT:t\nM:4/4\nK:Q#zz\nABcd|",
        "nonsense.abc": "X:1\nK:C\n" + "[" * 400 + "|||::" * 50,
        "truncated.mid": bytes.fromhex("4d546864000000060001000101e04d54726b0000ffff0090"),
        "bad_header.mid": b"MThd\0\0\0\6\0\1\0\0\0\0",
        "not_json.cadenza": '{"format": "cadenza-project", "version": 1, "score": ' + "[" * 100_000,
        "garbage.mxl": b"PK\x03\x04" + bytes(range(256)) * 4,
    }
    for name, content in extra.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        paths.append(path)
    return paths


def test_hostile_files_fail_in_words_not_python(tmp_path):
    refused = 0
    for path in _hostile_files(tmp_path):
        try:
            load_score(path)
        except FileFormatError as exc:
            message = str(exc)
            refused += 1
            assert message.count("\n") == 0 and message.endswith("."), message
            assert not PYTHON_WORDS.search(message.replace(str(path), "")), message
    assert refused >= 10


@pytest.mark.parametrize("problem, words", [
    ("it is not valid MusicXML (KeySignatureException: cannot get key)", "Cadenza does not understand a key signature"),
    ("could not be understood (RecursionError: maximum recursion depth)", "(it is nested too deeply)"),
    ("bad (TimeSignatureException)", "(Cadenza does not understand a time signature)"),
    ("weird (ValueError: not enough values to unpack)", "(something in it that Cadenza does not understand)"),
])
def test_class_names_in_reader_messages_become_words(problem, words):
    plain = limits.plain_problem(problem)
    assert words in plain and not PYTHON_WORDS.search(plain)
