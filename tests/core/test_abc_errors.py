"""Locating ABC problems (line, column, one sentence) and the editor's bounded read."""

from pathlib import Path

import pytest

from app.core.abc.read import read_abc
from app.core.abc.tunes import tune_spans
from app.core.abc.errors import AbcProblem, check_and_read_abc, find_abc_problem, problem_from_message

DATA = Path(__file__).parents[1] / "data" / "abc"
SEEDS = Path(__file__).parents[2] / "resources" / "seeds"
HEAD = "X:1\nT:T\nM:4/4\nL:1/8\nK:C\n"  # music starts on line 6


def problem(music, head=HEAD):
    text = head + music + "\n"
    return find_abc_problem(text.splitlines())


@pytest.mark.parametrize("music,where,message", [
    ('CD"Am EF|', (6, 3), 'this chord symbol or annotation has no closing "'),
    ("CD!trill EF|", (6, 3), "this decoration has no closing !"),
    ("CD [CEG GA|", (6, 4), "this chord [ has no closing ]"),
    ("CD] EF|", (6, 3), "this ] closes no chord"),
    ("CD [[CE]G] |", (6, 5), "a chord cannot start inside another chord"),
    ("CD {ga EF|", (6, 4), "these grace notes { have no closing }"),
    ("CD} EF|", (6, 3), "this } closes no grace notes"),
    ("CD [K:G EF|", (6, 4), "this inline field has no closing ]"),
    ("CD [Y:x] EF|", (6, 5), "'Y:' is not an ABC field"),
    ("CD [M:3/0] EF|", (6, 7), "the meter (M:) divides by zero"),
    ("CD ^ EF|", (6, 4), "an accidental must be followed by a note (A-G or a-g)"),
    ("CD E0F|", (6, 5), "a note length cannot be zero"),
    ("CD E/0F|", (6, 6), "a note length cannot be divided by zero"),
    ("CD [CE]/0|", (6, 9), "a note length cannot be divided by zero"),
])
def test_music_problems_are_located(music, where, message):
    found = problem(music)
    assert (found.line, found.column, found.message) == (*where, message)
    assert str(found) == f"Line {where[0]}, column {where[1]}: {message}"


@pytest.mark.parametrize("line,column,message", [
    ("J:foo", 1, "'J:' is not an ABC field"),
    ("M:4/x", 3, "the meter (M:) should read like 4/4, 6/8, C or C|"),
    ("L:1/0", 3, "the unit note length (L:) divides by zero"),
    ("Q:fast", 3, "the tempo (Q:) should read like 1/4=120"),
    ("K:Qmaj", 3, "the key (K:) should read like G, Em, Bb or D dorian"),
    ("K:Gxyz", 4, "'xyz' is not a mode (maj, m, dor, mix, lyd, phr, loc...)"),
    ("X:one", 3, "the tune number (X:) should be a whole number"),
])
def test_header_problems_are_located(line, column, message):
    found = find_abc_problem(["X:1", line, "K:C", "CDE|"])
    assert (found.line, found.column, found.message) == (2, column, message)


@pytest.mark.parametrize("line", [
    'Q:"Allegro" 1/4=120', "Q:120", "Q:3/8=60", "K:G clef=bass", "K:Ddor", "K:F# minor", "K:none",
    "K:Bb mix", "M:C|", "M:6/8", "M:2+3/8", "L:1/16", "w:some words % and % signs", "%%MIDI program 40",
])
def test_valid_fields_pass(line):
    assert find_abc_problem(["X:1", line, "K:C", "CDE|"]) is None


def test_valid_music_passes():
    assert problem('"Am"!trill!c2 ~d .e Hf [CEG]2 [C-E]2 |: (3abc {ag}f | [1 a4 :|[2 b4 |] [K:G] ^f_g=a | \\') is None
    assert problem("|:A:|B:|  % a comment with ] and \" in it") is None


def test_every_bundled_tune_passes_the_check():
    files = list(SEEDS.glob("*.abc")) + list(DATA.glob("*.abc"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for number, _, first, last in tune_spans(text):
            assert find_abc_problem(text.splitlines(), first, last) is None, (path.name, number)


def test_reader_messages_point_at_their_line():
    lines = ["X:1", "K:C", "  CDE|", ""]
    assert problem_from_message(lines, "line 3: something broke", 1) == AbcProblem(3, 3, "something broke", 4)
    assert problem_from_message(lines, "it holds no ABC tune", 1).line == 1  # no line named: the tune's first


def test_check_and_read_picks_the_tune_by_position_and_keeps_line_numbers():
    text = (DATA / "multi_tune.abc").read_text()
    reading = check_and_read_abc(text, 1)
    assert reading.problem is None and reading.tune_index == 1 and reading.score.title == "Pickup Jig"
    assert [(n.start, n.pitch) for n in reading.score.tracks[0].notes] == \
        [(n.start, n.pitch) for n in read_abc(DATA / "multi_tune.abc", tune=2).tracks[0].notes]
    assert reading.tunes == [(1, "Golden Reel"), (2, "Pickup Jig"), (3, "Two Voices")]
    assert check_and_read_abc(text, 2).says_programs and not reading.says_programs
    broken = text.replace("B|:E2F", "B|:E2]F")
    assert str(check_and_read_abc(broken, 1).problem) == "Line 18, column 6: this ] closes no chord"
    assert check_and_read_abc(broken, 0).problem is None  # a problem in another tune does not matter


def test_check_and_read_reports_reader_failures_and_limits():
    empty = check_and_read_abc("").problem
    assert empty == AbcProblem(1, 1, "there is no tune here yet: write a K: line and some notes")
    reader = check_and_read_abc("X:1\nK:C\nC,,,,,,|\n").problem
    assert (reader.line, reader.column) == (3, 1) and "below C0" in reader.message
    huge = check_and_read_abc("X:1\nK:C\nC99999999|\n").problem
    assert huge.line == 1 and "beyond the limit" in huge.message
