"""ABC in and out: golden tunes, header fields, voices, accidentals, ties, round trips, errors."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from app.core.abc.read import read_abc, read_abc_text
from app.core.abc.tunes import list_tunes
from app.core.abc.write import write_abc
from app.core.errors import FileFormatError
from app.core.score import Note, Score, TempoChange, TimeSignature, Track

DATA = Path(__file__).parents[1] / "data" / "abc"
MULTI = DATA / "multi_tune.abc"


def notes_of(track):
    return [(n.start, n.pitch, n.duration) for n in track.notes]


def golden(x):
    return json.loads((DATA / f"multi_tune.x{x}.expected.json").read_text())


def as_golden(score, x):
    return {
        "x": x, "title": score.title, "key": score.key, "ppq": score.ppq,
        "tempos": [[t.tick, t.bpm] for t in score.tempos],
        "time_signatures": [[s.tick, s.numerator, s.denominator] for s in score.time_signatures],
        "tracks": [{"name": t.name, "program": t.program, "is_drum": t.is_drum,
                    "notes": [list(n) for n in notes_of(t)]} for t in score.tracks],
    }


# --- reading ---------------------------------------------------------------------------

@pytest.mark.parametrize("x", [1, 2, 3])
def test_golden_tunes_read_note_for_note(x):
    assert as_golden(read_abc(MULTI, tune=x), x) == golden(x)


def test_list_tunes_and_default_tune():
    assert list_tunes(MULTI) == [(1, "Golden Reel"), (2, "Pickup Jig"), (3, "Two Voices")]
    assert read_abc(MULTI).title == "Golden Reel"
    assert read_abc(MULTI, tune=2).title == "Pickup Jig"


def test_header_fields_are_respected():
    reel = read_abc(MULTI, tune=1)
    assert (reel.title, reel.key) == ("Golden Reel", "D major")
    assert [(t.tick, t.bpm) for t in reel.tempos] == [(0, 110.0)]
    assert [(s.numerator, s.denominator) for s in reel.time_signatures] == [(4, 4)]
    assert notes_of(reel.tracks[0])[:2] == [(0, 62, 240), (240, 66, 240)]  # L:1/8 at ppq 480; F is F# in D
    voices = read_abc(MULTI, tune=3)  # L:1/4, M:3/4, Q:1/4=90, K:G
    assert voices.key == "G major" and voices.tempos[0].bpm == 90.0
    assert notes_of(voices.tracks[0])[:3] == [(0, 74, 480), (480, 76, 240), (720, 78, 240)]
    assert read_abc_text("X:1\nM:2/4\nK:C\nCD|\n").tracks[0].notes[0].duration == 120  # default L:1/16


def test_chords_ties_tuplets_and_grace_notes():
    notes = notes_of(read_abc(MULTI, tune=1).tracks[0])
    assert [n for n in notes if n[0] == 960] == [(960, 62, 480), (960, 66, 480), (960, 69, 480)]  # [DFA]2
    assert (1440, 74, 960) in notes and (1920, 74, 480) not in notes  # d2-|d2 is one note
    assert [n for n in notes if 2400 <= n[0] < 2880] == [(2400, 76, 160), (2560, 78, 160), (2720, 79, 160)]  # (3efg
    # {a}f2: the grace note takes ppq/8 ticks from the start of the f, which is delayed by as much
    assert [n for n in notes if 2880 <= n[0] < 3360] == [(2880, 81, 60), (2940, 78, 420)]


def test_repeats_and_endings_are_expanded():
    notes = notes_of(read_abc(MULTI, tune=1).tracks[0])
    # bars 1 2 3(1st ending) 1 2 4(2nd ending): six bars of 4/4
    assert max(s + d for s, _, d in notes) == 6 * 1920
    assert notes[15:29] == [(s + 5760, p, d) for s, p, d in notes[:13]] + [(9600, 74, 1920)]


def test_anacrusis_is_shifted_onto_the_meter():
    jig = read_abc(MULTI, tune=2)  # B|:E2F ... in 6/8: a one-eighth pickup
    assert jig.tracks[0].notes[0] == Note(1200, 71, 240, 80)
    assert jig.tracks[0].notes[1].start == 1440  # first full bar starts on a bar line


def test_two_voices_become_two_tracks_with_programs():
    score = read_abc(MULTI, tune=3)
    assert [(t.name, t.program, t.is_drum) for t in score.tracks] == [("Flute", 73, False), ("Cello", 42, False)]
    assert notes_of(score.tracks[1]) == [(0, 55, 1440), (1440, 50, 960)]


def test_interleaved_voices_with_letter_names():
    text = "X:1\nM:4/4\nL:1/4\nK:C\nV:S\nC D E F|\nV:A\nC, D, E, F,|\nV:S\nG4|\nV:A\nG,4|\n"
    sop, alto = read_abc_text(text).tracks
    assert (sop.name, alto.name) == ("S", "A")
    assert notes_of(sop) == [(0, 60, 480), (480, 62, 480), (960, 64, 480), (1440, 65, 480), (1920, 67, 1920)]
    assert notes_of(alto) == [(0, 48, 480), (480, 50, 480), (960, 52, 480), (1440, 53, 480), (1920, 55, 1920)]


def test_accidentals_carry_through_the_bar_and_fields_change_inside_a_tune():
    text = ("X:1\nM:4/4\nL:1/8\nK:C\n^F F =F F G4 | [C-E]2 [CE]2- [CE]2 ^G2- | G2 z6 |[M:3/4] c6 |\n"
            "M:2/4\nc4 |[K:Bb] B2 [L:1/4] B | [Q:1/4=60] c2 |]\n")
    score = read_abc_text(text)
    assert notes_of(score.tracks[0]) == [
        (0, 66, 240), (240, 66, 240), (480, 65, 240), (720, 65, 240), (960, 67, 960),
        (1920, 60, 1440), (1920, 64, 480), (2400, 64, 960), (3360, 68, 960),  # chord ties; ^G tied keeps its sharp
        (5760, 72, 1440), (7200, 72, 960), (8160, 70, 480), (8640, 70, 480), (9120, 72, 960),
    ]
    assert [(s.tick, s.numerator, s.denominator) for s in score.time_signatures] == [(0, 4, 4), (5760, 3, 4), (7200, 2, 4)]
    assert [(t.tick, t.bpm) for t in score.tempos] == [(0, 120.0), (9120, 60.0)]


def test_midi_directives_and_abc2_decorations():
    text = "X:1\nM:4/4\nL:1/8\nK:C\n%%MIDI program 24\n%%MIDI channel 10\n+fermata+C x2 D z4 | Z | E8 |]\n"
    score = read_abc_text(text)
    track = score.tracks[0]
    assert (track.program, track.is_drum) == (24, True)
    assert notes_of(track) == [(0, 60, 240), (720, 62, 240), (3840, 64, 1920)]


# --- errors ----------------------------------------------------------------------------

def test_malformed_abc_names_the_line(tmp_path):
    bad = tmp_path / "bad.abc"
    bad.write_text("X:1\nT:Broken\nM:4/4\nL:1/8\nK:C\nCDEF [CEG\nGABc|\n")
    with pytest.raises(FileFormatError) as err:
        read_abc(bad)
    message = str(err.value)
    assert message.startswith(f"Cannot read {bad}: line 6: ") and message.endswith(".")
    assert "\n" not in message and "Traceback" not in message
    with pytest.raises(FileFormatError, match=r"line 3: the unit note length L:1/0 divides by zero\.$"):
        read_abc_text("X:1\nM:4/4\nL:1/0\nK:C\nCDEF|\n")


@pytest.mark.parametrize("text, tune, problem", [
    ("X:1\nM:4/4\nK:C\nCDEF|\n", 3, "there is no tune with X: 3"),
    ("   \n\n", None, "it holds no ABC tune"),
])
def test_other_abc_errors_are_one_sentence(text, tune, problem):
    with pytest.raises(FileFormatError) as err:
        read_abc_text(text, tune=tune, name="t.abc")
    assert str(err.value) == f"Cannot read t.abc: {problem}."


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(FileFormatError, match="No such file"):
        read_abc(tmp_path / "missing.abc")
    binary = tmp_path / "b.abc"
    binary.write_bytes(b"X:1\x00\x01\x02")
    with pytest.raises(FileFormatError, match="binary file"):
        read_abc(binary)


# --- writing ---------------------------------------------------------------------------

def eighths(pitches, start=0):
    return [Note(start + i * 240, p, 240, 90) for i, p in enumerate(pitches)]


def test_header_and_accidentals_relative_to_the_key():
    notes = (eighths([62, 64, 66, 67, 69, 71, 73, 74])  # D major scale: F# and C# from the key
             + eighths([72, 73, 65, 66, 68, 67], 1920) + [Note(3360, 62, 480, 90)]
             + [Note(4800, 70, 1920, 90)])  # a chromatic A# tied over the bar line
    score = Score((Track("Lead", 0, False, tuple(notes)),), key="D major", title="Accidentals")
    text = write_abc(score)
    assert text.splitlines() == [
        "X:1", "T:Accidentals", "M:4/4", "L:1/8", "Q:1/4=120", "K:D", "%%MIDI program 0",
        "DE FG AB cd | =c^c =F^F ^G=G D2 | z4 ^A4- | ^A4 z4 |]",
    ]
    assert notes_of(read_abc_text(text).tracks[0]) == notes_of(score.tracks[0])


def test_small_meters_use_sixteenths_and_tempo_is_written():
    score = Score((Track(notes=(Note(0, 60, 120), Note(120, 62, 360))),),
                  time_signatures=(TimeSignature(0, 2, 4),), tempos=(TempoChange(0, 96.5),))
    text = write_abc(score)
    assert "L:1/16" in text and "Q:1/4=96.5" in text and "K:C" in text
    assert text.splitlines()[-1] == "CD3 z4 |]"


def test_note_crossing_a_bar_line_is_written_tied():
    score = Score((Track(notes=(Note(1440, 62, 960, 90),)),), key="D major")
    text = write_abc(score)
    assert text.splitlines()[-1] == "z6 D2- | D2 z6 |]"
    assert notes_of(read_abc_text(text).tracks[0]) == [(1440, 62, 960)]


def test_chords_are_written_with_ties_and_read_back():
    chords = (Note(0, 60, 960), Note(0, 64, 960), Note(0, 67, 2400), Note(960, 72, 960), Note(1920, 76, 480),
              Note(3360, 60, 960), Note(3360, 64, 960))
    score = Score((Track(notes=chords),))
    text = write_abc(score)
    assert text.splitlines()[-1] == "[CEG-]4 [G-c]4 | [Ge]2 z4 [CE]2- | [CE]2 z6 |]"
    assert notes_of(read_abc_text(text).tracks[0]) == notes_of(score.tracks[0])


def test_meter_and_tempo_changes_are_written_inline():
    score = Score((Track(notes=(Note(0, 60, 1920), Note(1920, 62, 1440), Note(3360, 64, 1440))),),
                  time_signatures=(TimeSignature(0, 4, 4), TimeSignature(1920, 3, 4)),
                  tempos=(TempoChange(0, 100), TempoChange(3360, 80)))
    text = write_abc(score)
    assert text.splitlines()[-1] == "C8 | [M:3/4] D6 | [Q:1/4=80] E6 |]"
    back = read_abc_text(text)
    assert notes_of(back.tracks[0]) == notes_of(score.tracks[0])
    assert back.time_signatures == score.time_signatures
    assert [(t.tick, t.bpm) for t in back.tempos] == [(0, 100.0), (3360, 80.0)]


def test_several_tracks_become_voices_and_come_back():
    score = Score((
        Track("Piano", 1, False, (Note(0, 60, 480), Note(0, 64, 960), Note(960, 67, 2880))),
        Track("Bass", 33, False, (Note(0, 36, 3840),)),
        Track("Kit", 0, True, (Note(0, 36, 240), Note(480, 38, 240))),
    ), key="F major", title="Band")
    text = write_abc(score)
    assert 'V:1 name="Piano"\n%%MIDI program 1\n' in text
    assert 'V:3 name="Kit"\n%%MIDI program 0\n%%MIDI channel 10\n' in text
    back = read_abc_text(text)
    assert [(t.name, t.program, t.is_drum) for t in back.tracks] == [(t.name, t.program, t.is_drum) for t in score.tracks]
    assert [notes_of(t) for t in back.tracks] == [notes_of(t) for t in score.tracks]
    assert (back.title, back.key) == ("Band", "F major")


@pytest.mark.parametrize("body", ["", "z8 |]\n", "z4 z4 | z8 |]\n"])
def test_a_tune_without_notes_is_an_empty_score_not_an_error(body):
    score = read_abc_text("X:1\nT:Blank\nM:3/4\nQ:1/4=90\nK:D\n" + body)
    assert (score.note_count, score.title, score.key) == (0, "Blank", "D major")
    assert (score.time_signatures[0].numerator, score.tempos[0].bpm) == (3, 90)


def test_an_empty_score_round_trips_through_abc():
    score = Score(title="Blank", key="E minor", time_signatures=(TimeSignature(0, 6, 8),),
                  tempos=(TempoChange(0, 100.0),))
    text = write_abc(score)
    assert text.splitlines()[-1] == "z6 |]"
    back = read_abc_text(text)
    assert (back.note_count, back.title, back.key, back.time_signatures, back.tempos) == \
        (0, "Blank", "E minor", score.time_signatures, score.tempos)


def test_six_eight_round_trip():
    notes = (Note(0, 67, 720), Note(720, 69, 240), Note(960, 71, 240), Note(1200, 72, 240), Note(1440, 74, 2160))
    score = Score((Track(notes=notes),), time_signatures=(TimeSignature(0, 6, 8),), key="G major")
    text = write_abc(score)
    assert "M:6/8" in text and text.splitlines()[-1] == "G3 ABc | d6- | d3 z3 |]"
    assert notes_of(read_abc_text(text).tracks[0]) == notes_of(score.tracks[0])


def test_three_four_round_trip_with_a_triplet():
    notes = (Note(0, 62, 720), Note(720, 64, 240), Note(960, 66, 160), Note(1120, 67, 160), Note(1280, 69, 160),
             Note(1440, 71, 1440))
    score = Score((Track(notes=notes),), time_signatures=(TimeSignature(0, 3, 4),), key="D major")
    text = write_abc(score)
    assert text.splitlines()[-1] == "D3E (3FGA | B6 |]"
    assert notes_of(read_abc_text(text).tracks[0]) == notes_of(score.tracks[0])


KEYS = [None, "C major", "D major", "Bb major", "E minor", "F# minor", "Eb major", "D dorian", "Db major"]
METERS = [(4, 4), (3, 4), (6, 8), (2, 4), (5, 4), (12, 8)]


@st.composite
def monophonic_scores(draw):
    """Random monophonic scores on a 16th grid: notes with rests between, in a random key and meter."""
    sixteenth = 120
    tick, notes = draw(st.integers(0, 16)) * sixteenth, []
    for _ in range(draw(st.integers(1, 20))):
        length = draw(st.integers(1, 24)) * sixteenth
        notes.append(Note(tick, draw(st.integers(21, 108)), length, 90))
        tick += length + draw(st.sampled_from([0, 0, 0, 1, 2, 4, 16])) * sixteenth
    meter = draw(st.sampled_from(METERS))
    return Score((Track(notes=tuple(notes)),), time_signatures=(TimeSignature(0, *meter),), key=draw(st.sampled_from(KEYS)))


@settings(max_examples=60, deadline=None)
@given(monophonic_scores())
def test_monophonic_scores_survive_an_abc_round_trip(score):
    back = read_abc_text(write_abc(score))
    assert notes_of(back.tracks[0]) == notes_of(score.tracks[0])
    assert back.time_signatures == score.time_signatures
    assert back.key == (score.key or "C major")


def abc2midi_notes(text: str, tmp_path: Path) -> list[tuple[int, int, int]]:
    """(start, pitch, length) of what abc2midi plays for ``text``, at 480 ticks a quarter, from its first note."""
    import subprocess

    import mido

    source, out = tmp_path / "tune.abc", tmp_path / "tune.mid"
    source.write_text(text)
    result = subprocess.run(["abc2midi", str(source), "-o", str(out)], capture_output=True, text=True)
    assert "Error" not in result.stdout + result.stderr, result.stdout + result.stderr
    midi = mido.MidiFile(out)
    assert midi.ticks_per_beat == 480
    notes, now, sounding = [], 0, {}
    for message in mido.merge_tracks(midi.tracks):
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding[message.note] = now
        elif message.type in ("note_on", "note_off") and message.note in sounding:
            start = sounding.pop(message.note)
            notes.append((start, message.note, now - start))
    first = min(start for start, _, _ in notes)
    return sorted((start - first, pitch, length) for start, pitch, length in notes)


@st.composite
def tuplet_scores(draw):
    """Random monophonic scores whose lengths are in sixths of a quarter (triplet eighths and sixteenths)."""
    sixth = 80
    tick, notes = 0, []
    for _ in range(draw(st.integers(1, 16))):
        length = draw(st.sampled_from([1, 2, 2, 2, 4, 3, 6, 9]) if draw(st.booleans()) else st.integers(1, 14)) * sixth
        notes.append(Note(tick, draw(st.integers(48, 84)), length, 90))
        tick += length + draw(st.sampled_from([0, 0, 0, 1, 2, 3])) * sixth
    meter = draw(st.sampled_from([(4, 4), (3, 4), (6, 8)]))
    return Score((Track(notes=tuple(notes)),), time_signatures=(TimeSignature(0, *meter),), key="C major")


@settings(max_examples=25, deadline=None)
@given(tuplet_scores())
def test_triplets_are_written_as_tuplets_that_abc2midi_plays_note_for_note(tmp_path_factory, score):
    text = write_abc(score)
    lengths = re.findall(r"(?<=[A-Ga-gz,'\]])(\d*)/(\d+)", text)
    assert all(int(d) & (int(d) - 1) == 0 for _, d in lengths), text  # ABC lengths: power-of-two denominators
    expected = notes_of(score.tracks[0])
    first = expected[0][0]
    played = abc2midi_notes(text, tmp_path_factory.mktemp("abc2midi"))
    assert [(s, p) for s, p, _ in played] == [(s - first, p) for s, p, _ in expected], text
    assert all(abs(a[2] - b[2]) <= 2 for a, b in zip(played, expected)), text  # abc2midi may trim a tick
    assert notes_of(read_abc_text(text).tracks[0]) == expected
