"""Reading ABC as real files write it (ABC 2.1; abc2midi is the reference player).

Repeats, endings and parts, clefs, the Highland pipes' keys, body lines that are no
notes, macros, annotations, ``%%begin`` blocks, real-world meters and tempi,
playback transposition; every failure in a musician's words. The real-world
set in ``tests/data/abc/realworld`` is checked against abc2midi's figures
stored beside it (and, where abc2midi is installed, against abc2midi itself).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from app.core.abc import repeats
from app.core.abc.errors import find_abc_problem
from app.core.abc.header import read_meter, read_tempo, reading_key, reading_shift
from app.core.abc.notes import abc_notes
from app.core.abc.read import read_abc, read_abc_text
from app.core.abc.tunes import tune_spans
from app.core.errors import FileFormatError

REALWORLD = Path(__file__).parents[1] / "data" / "abc" / "realworld"
REFERENCE = json.loads((REALWORLD / "abc2midi_reference.json").read_text())
TUNES = sorted(p.name for p in REALWORLD.glob("*.abc"))
HEAD = "X:1\nM:4/4\nL:1/4\nK:C\n"


def figures(score) -> tuple[int, float, str]:
    """(notes, quarter notes from the first start to the last end, pitches by start then pitch)."""
    notes = sorted((n.start, n.pitch, n.duration) for t in score.tracks for n in t.notes)
    span = max(s + d for s, _, d in notes) - min(s for s, _, _ in notes)
    return len(notes), round(span / score.ppq, 2), " ".join(str(p) for _, p, _ in notes)


def pitches(text: str) -> list[int]:
    score = read_abc_text(text)
    return [p for _, p in sorted((n.start, n.pitch) for t in score.tracks for n in t.notes)]


def played(music: str) -> str:
    """The bars of one voice's music, played out: ``"A B"`` for ``"|: A :| B"``... (notes only)."""
    return " ".join("".join(repeats.expand(music.split("\n"))).replace("|", " ").split())


# --- the real-world set against abc2midi ----------------------------------------------------

def test_the_realworld_set_is_big_enough_and_has_its_reference():
    assert len(TUNES) >= 20 and sorted(REFERENCE["tunes"]) == TUNES


@pytest.mark.parametrize("name", TUNES)
def test_realworld_tune_plays_as_abc2midi_plays_it(name):
    stored = REFERENCE["tunes"][name]
    assert figures(read_abc(REALWORLD / name)) == (stored["notes"], stored["quarters"], stored["pitches"])


def test_the_stored_figures_are_what_abc2midi_plays():
    if shutil.which("abc2midi") is None:
        pytest.fail("abc2midi is not installed (Debian's abcmidi; tools/system_deps.sh installs it)")
    spec = importlib.util.spec_from_file_location("make_reference", REALWORLD / "make_reference.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    for name in TUNES:
        source = maker.source_of(REALWORLD / name)
        stored = REFERENCE["tunes"][name]
        assert stored["played"] == str(source.relative_to(REALWORLD))
        live = maker.abc2midi_figures(source)
        assert live == {k: stored[k] for k in ("notes", "quarters", "pitches")}, name
        assert figures(read_abc(REALWORLD / name)) == (live["notes"], live["quarters"], live["pitches"]), name


def test_the_editor_check_accepts_the_realworld_set():
    for name in TUNES:
        text = (REALWORLD / name).read_text()
        for number, _, first, last in tune_spans(text):
            assert find_abc_problem(text.splitlines(), first, last) is None, name


REPEAT_TUNES = [n for n in TUNES if n[:2] in ("01", "02", "03", "04", "05", "06", "07", "08", "23")]


@pytest.mark.parametrize("name", REPEAT_TUNES)
def test_the_copying_checks_reader_plays_repeats_as_the_reader_does(name):
    score = read_abc(REALWORLD / name)
    assert [p for p, _ in abc_notes((REALWORLD / name).read_text())] == \
        [p for _, p in sorted((n.start, n.pitch) for t in score.tracks for n in t.notes)]


# --- repeats and endings --------------------------------------------------------------------

@pytest.mark.parametrize("music, heard", [
    ("A B :| c d || e f :| g", "A B A B c d e f e f g"),  # from the start, then from the ||
    ("A | B :| c :| d", "A B A B c c d"),  # a second :| repeats from the first
    ("A |: B :| c | d :| e", "A B B c d c d e"),
    ("A || B :|", "A B B"),  # without |: from the double bar before it (abc2midi: from the start)
    ("A |] B :| C :|", "A B B C C"),
    ("|: A |1 B :|2 C |]", "A B A C"),
    ("|: A [1 B :| [2 C |]", "A B A C"),
    ("|: A |[1 B | B :|[2 C | C |] D", "A B B A C C D"),  # endings run to the next :| or ||
    ("|: A |1,3 B :|2 C :|4 D |]", "A B A C A B A D"),
    ("|: A |1-3 B :|4 C |]", "A B A B A B A C"),
    ("|: A |1 B :|2 C :|", "A B A C"),  # a :| after the last ending: still twice (abc2midi: three)
    ("|: A |1 B |2 C |]", "A B A C"),  # the next ending closes the repeat without :|
    ("|: A :|[2 B |]", "A A B"),
    ("|: A :: B :: C :|", "A A B B C C"),
    ("|: A :|: B :||: C :|", "A A B B C C"),
    ("|: A |: B :|", "A A B B"),  # a second |: ends the first repeat, as abc2midi reads it
    ("|: A || B :|", "A B A B"),  # a double bar inside a repeat changes nothing
    ("A B c", "A B c"),
])
def test_repeats_and_endings_are_played_as_abc2midi_plays_them(music, heard):
    assert played(music) == heard


def test_bar_lines_inside_quotes_and_decorations_are_no_bar_lines():
    assert repeats.expand(['"G"A "|"B !|!c :|']) == ['"G"A "|"B !|!c |"G"A "|"B !|!c |', '']


def test_a_repeat_restates_the_fields_in_force_where_it_starts():
    lines = repeats.expand(["|: A B", "K:D", "M:3/4", "c d :| e |]"], {"K": "K:C", "M": "M:4/4"})
    assert lines == ["| A B", "K:D", "M:3/4", "c d |", "K:C", "M:4/4", " A B", "K:D", "M:3/4", "c d | e |", ""]
    assert pitches(HEAD + "|: F G [K:D] F G :|\n") == [65, 67, 66, 67, 65, 67, 66, 67]


def test_nottingham_style_tunes_no_longer_play_half_as_long_again():
    text = HEAD + "C D E F | G A B c :|\nc B A G | F E D C :|\n"
    score = read_abc_text(text)
    assert figures(score)[:2] == (32, 32.0)  # 4 bars twice, not 6 bars + 4 bars twice


@pytest.mark.parametrize("order, heard", [
    ("ABA", [60, 62, 60, 62, 67, 60, 62, 60, 62]), ("A2B", [60, 62, 60, 62, 60, 62, 60, 62, 67]),
    ("(AB)2", [60, 62, 60, 62, 67] * 2), ("B.A", [67, 60, 62, 60, 62]), ("A", [60, 62, 60, 62]),
    (None, [60, 62, 60, 62, 67]),  # no order: the parts as written
])
def test_parts_are_played_in_the_headers_order(order, heard):
    header = f"X:1\nM:2/4\nL:1/4\n{'P:' + order + chr(10) if order else ''}K:C\n"
    assert pitches(header + "P:A\n|:C D:|\nP:B\nG2||\n") == heard


def test_a_part_starts_with_the_key_in_force_where_it_is_written():
    text = "X:1\nM:2/4\nL:1/4\nP:BAB\nK:C\nP:A\nF2|\nP:B\n[K:G]F2|\n"
    assert pitches(text) == [66, 65, 66]
    assert pitches("X:1\nL:1/4\nP:((A9)9)9\nK:C\nP:A\nC|\n") == [60] * 256  # a hostile order is cut
    long_part = "X:1\nL:1/4\nP:(A9)9\nK:C\nP:A\n" + "C D E F|" * 1200 + "\nP:B\nC|\n"
    with pytest.raises(FileFormatError, match=r"its part order P:\(A9\)9 plays far more music than it writes"):
        read_abc_text(long_part)


# --- keys and clefs -------------------------------------------------------------------------

def test_a_clef_alone_does_not_change_the_key():
    music = "F | [K:bass] F, | [K:clef=alto] F |\nK:treble\nF |\nK: clef=bass middle=d\nF, |\n"
    assert pitches("X:1\nL:1/4\nK:G\n" + music) == [66, 54, 66, 66, 54]
    assert pitches("X:1\nL:1/4\nK:Em clef=bass\nF, |\n") == [54]
    score = read_abc_text("X:1\nL:1/4\nK:bass\nF |\n")  # a clef alone in the header: no key signature
    assert [n.pitch for n in score.tracks[0].notes] == [65]


def test_accidentals_added_to_the_key_signature_are_played():
    assert pitches("X:1\nL:1/4\nK:D ^g\nF G =G G|G g [Gc] G|\n") == [66, 68, 67, 67, 68, 80, 68, 73, 68]
    assert pitches("X:1\nL:1/4\nK:D exp ^f\nF G c C|\n") == [66, 67, 72, 60]  # exp: only these accidentals
    assert pitches("X:1\nL:1/4\nK:Dphr ^f\nF E B|\nK:G\nF G|\n") == [66, 63, 70, 66, 67]


@pytest.mark.parametrize("key", ["HP", "Hp", "Hp clef=treble"])
def test_the_highland_pipes_play_c_sharp_and_f_sharp(key):
    score = read_abc_text(f"X:1\nL:1/4\nK:{key}\nC F G c f g|\n")
    assert [n.pitch for n in score.tracks[0].notes] == [61, 66, 67, 73, 78, 79]
    assert score.key == "A mixolydian"


def test_clefs_marked_8_octave_and_transpose_move_what_is_played():
    body = "f|\nK:G clef=treble-8\nf|\nK:G octave=-1\nf|\nK:bass+8\nf|\nK:G transpose=2\nf|\nK:G clef=treble\nf|\n"
    assert pitches("X:1\nL:1/4\nK:G\n" + body) == [78, 66, 66, 90, 92, 80]  # as abc2midi plays them
    two = read_abc_text("X:1\nL:1/4\nV:T clef=treble-8\nV:S\nK:C\nV:T\nc|\nV:S\nc|\n")
    assert [[n.pitch for n in t.notes] for t in two.tracks] == [[60], [72]]


# --- lines that are not notes, macros, annotations, blocks ----------------------------------

@pytest.mark.parametrize("line", [
    "r: a remark: add a drone", "w: la la la la", "W: sing all day", "d: !p! * * !f!", 's: "^slower" * *',
    "N: sung softly", "P:B", "I:linebreak $", "T:Second part", "m: ~G3 = G{A}G{F}G", "R:reel", "U: T = !trill!",
    "%%begintext\nA tune from G. Ab C.\n%%endtext", "%%MIDI gchord fzcz",
])
def test_body_lines_that_hold_no_notes_play_none(line):
    assert pitches(HEAD + "C D E F |\n" + line + "\nG A B c |\n") == [60, 62, 64, 65, 67, 69, 71, 72]


def test_a_continuation_line_belongs_to_the_field_before_it():
    score = read_abc_text("X:1\nT:The Long\n+:Title\nM:4/4\nL:1/4\nK:C\nC D|\nw: la la\n+: dee dee\nE F|\n")
    assert score.title == "The Long Title"
    assert [n.pitch for n in score.tracks[0].notes] == [60, 62, 64, 65]


def test_macros_are_expanded():
    static = pitches("X:1\nL:1/8\nm: ~G3 = G{A}G{F}G\nK:G\n~G3 B|\n")
    assert static == [67, 69, 67, 66, 67, 71]
    turn = "X:1\nL:1/8\nm: ~n2 = (3o/n/m/ n\nK:C\n~c2 ~E,2 ~^f'2 g|\n"
    assert pitches(turn) == [74, 72, 71, 72, 53, 52, 50, 52, 91, 90, 88, 90, 79]
    with pytest.raises(FileFormatError, match=r"line 3: the macro m:~G3 cannot be read; write it like m: ~G3 = "):
        read_abc_text("X:1\nL:1/8\nm:~G3\nK:G\nG|\n")


def test_annotations_and_unusual_chord_symbols_are_not_notes():
    text = HEAD + '"@-10,5Slowly"C "^rit."D "_soft"E "<(""Dsus4/A"F|"N.C."G ">)"A "(Em)"B "@0,-20"c|\n'
    assert pitches(text) == [60, 62, 64, 65, 67, 69, 71, 72]


def test_begin_end_blocks_hold_no_music_and_no_tune_end():
    text = ("X:1\nT:Drawn\nL:1/4\nK:C\nC D|\n%%beginsvg\n<g id=\"x\">abc \"def</g>\n\n<text>G A B</text>\n"
            "%%endsvg\nE F|\n\nX:2\nK:C\nG|\n")
    assert [n.pitch for n in read_abc_text(text).tracks[0].notes] == [60, 62, 64, 65]
    assert [(number, first, last) for number, _, first, last in tune_spans(text)] == [(1, 1, 11), (2, 13, 15)]
    assert find_abc_problem(text.splitlines(), 1, 11) is None  # the drawing's " is not an open chord symbol


# --- meters and tempi -----------------------------------------------------------------------

@pytest.mark.parametrize("meter, read, first_length", [
    ("2", (2, 1), 240), ("(2+3)/8", (5, 8), 120), ("2+2+3/8", (7, 8), 240), ("2/4 3/4", (2, 4), 120),
    ("none", None, 240), ("C|", (2, 2), 240), ("3/4 % waltz", (3, 4), 240),
])
def test_real_world_meters_are_read(meter, read, first_length):
    assert read_meter(meter.split("%")[0]) == read
    score = read_abc_text(f"X:1\nM:{meter}\nK:C\nC D|\n")  # no L: the default length follows the meter
    assert score.tracks[0].notes[0].duration == first_length
    if read:
        assert [(s.numerator, s.denominator) for s in score.time_signatures] == [read]


@pytest.mark.parametrize("tempo, bpm", [
    ("1/4=120", 120.0), ("1/4=ca. 80", 80.0), ('"Allegro" 1/4=132', 132.0), ("3/8=60", 90.0),
    ("1/8 1/4=60", 90.0), ("120", 120.0), ("C=120", 60.0), ('"Andante"', None), ("1/4=72.5", 72.5),
])
def test_real_world_tempi_are_read(tempo, bpm):
    assert read_tempo(tempo) == bpm
    score = read_abc_text(f"X:1\nM:4/4\nL:1/8\nQ:{tempo}\nK:C\nCDEF|\n")
    assert score.tempos[0].bpm == (bpm if bpm is not None else 120.0)


def test_header_readers_known_answers():
    assert [reading_key(v) for v in ("bass", "clef=treble", "G", "Em clef=bass", "D Major", "HP", "none", "")] == \
        [None, None, "G", "Em", "D", "Amix", "none", None]
    assert reading_shift("G clef=treble-8".split(), 0, 0) == (-1, 0)
    assert reading_shift("transpose=-2".split(), 1, 0) == (1, -2)
    assert reading_shift("clef=treble".split(), -1, 3) == (0, 3)
    with pytest.raises(ValueError):
        read_tempo("1/4=")


# --- failures in words ----------------------------------------------------------------------

PYTHON_WORDS = re.compile(r"unpack|could not convert|invalid literal|NoneType|object|Traceback|Error\b|"
                          r"index out of range|has no attribute|expected \d", re.IGNORECASE)


@pytest.mark.parametrize("text, line, words", [
    ("X:1\nM:fast\nK:C\nCD|\n", 2, "the meter M:fast cannot be read; write it like 4/4, 6/8, C or C|"),
    ("X:1\nL:eighth\nK:C\nCD|\n", 2, "the unit note length L:eighth cannot be read; write it like 1/8"),
    ("X:1\nK:C\nCD|\n[M:3/x] CD|\n", 4, "the meter M:3/x cannot be read"),
    ("X:1\nM:6594\nK:C\nCD|\n", 2, "the meter M:6594 cannot be read"),  # no bar is that long
    ("X:1\nK:C\nCD|\nC,,,,,,|\n", 4, "notes below C0 (MIDI pitch 12) cannot be read"),
    ("X:1\nK:C\nCDEF [CEG\nGABc|\n", 3, 'Cadenza cannot read "CDEF [CEG" as ABC music'),
])
def test_what_cannot_be_read_is_named_with_its_line_in_words(text, line, words):
    with pytest.raises(FileFormatError) as err:
        read_abc_text(text, name="tune.abc")
    message = str(err.value)
    assert message.startswith(f"Cannot read tune.abc: line {line}: {words}")
    assert not PYTHON_WORDS.search(message.split(":", 1)[1])


@pytest.mark.parametrize("body", [
    '"@x,y" C|', "[M:2] C D|", "[M:2/4 3/4] C D|", "[Q:1/4=ca. 80] C D|", "[K:bass] C|", "[K:HP] C|",
    "[Q:fast] C|", "[M:(2+3)/8] C|", "C|\n%%beginsvg\n<a b='c'/>\n%%endsvg\nD|", "[L:1/8] C|",
])
def test_valid_input_that_was_refused_is_read(body):
    assert pitches(HEAD + body + "\n")


# --- the file header ---------------------------------------------------------------------------

FILE_HEADER = """%abc-2.1
%%MIDI program 73
M:2/4
L:1/16
R:hornpipe

X:1
T:Inherits
K:D
d2e2 f2g2|a8|]

X:2
T:Overrides
M:3/4
L:1/8
%%MIDI program 40
K:Em
E2G2B2|e6|]
"""


def test_the_file_header_applies_to_every_tune_that_does_not_set_its_own():
    first = read_abc_text(FILE_HEADER, tune=1)
    assert (first.time_signatures[0].numerator, first.time_signatures[0].denominator) == (2, 4)
    assert [(n.start, n.duration) for n in first.tracks[0].notes][:2] == [(0, 240), (240, 240)]  # L:1/16
    assert first.tracks[0].program == 73
    second = read_abc_text(FILE_HEADER, tune=2)
    assert (second.time_signatures[0].numerator, second.tracks[0].program) == (3, 40)
    assert [n.duration for n in second.tracks[0].notes] == [480, 480, 480, 1440]  # its own L:1/8


def test_the_editor_reads_a_tune_with_the_file_header_too():
    from app.core.abc.errors import check_and_read_abc

    reading = check_and_read_abc(FILE_HEADER, tune_index=0)
    assert reading.problem is None
    assert reading.score.tracks[0].notes[0].duration == 240 and reading.score.tracks[0].program == 73
