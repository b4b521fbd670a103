"""abc-lstm takes any score as its seed (issue 14, "Seeds from real files").

A MIDI, MusicXML or multi-track seed gives its melody (the melody track, else the
highest voice) quantized to what the grammar writes; an ABC tune outside the
grammar (chords, endings, a short bar before ``:|``, ``/12`` lengths) is
normalised through its notes; an ABC tune inside it is continued verbatim.
"""

import sys
from pathlib import Path

import pytest

from app.core.abc.header import parse_meter, parse_unit
from app.core.errors import GenerationError
from app.core.score import Note, Score, TimeSignature, Track
from models.abc_lstm.constraint import fit_seed_body
from models.abc_lstm.seed import melody_tune, seed_tune, skyline

REALWORLD = Path(__file__).parents[1] / "data" / "realworld"


def _fits(fields, body):
    meter = parse_meter(fields["M"])
    fit_seed_body(body, meter, parse_unit(fields["L"]))  # raises ValueError when the grammar refuses it
    return body


def _score(*tracks, meter=(4, 4), key=None, ppq=480):
    return Score(tracks=tuple(Track(name, program, drum, tuple(Note(start=s, pitch=p, duration=d) for s, p, d in notes))
                              for name, program, drum, notes in tracks),
                 ppq=ppq, time_signatures=(TimeSignature(0, *meter),), key=key)


def test_chords_give_their_top_note_and_long_notes_are_tied_over_bar_lines():
    chords = [(0, 60, 960), (0, 64, 960), (0, 67, 960), (960, 62, 2880), (960, 65, 2880), (960, 71, 2880)]
    fields, body = melody_tune(_score(("Piano", 0, False, chords), key="C major"))
    assert fields == {"T": "Seed", "M": "4/4", "L": "1/8", "K": "C"}
    assert body == "G4 B4-| B8|"
    _fits(fields, body)


def test_the_melody_track_is_chosen_by_name_else_the_highest_voice():
    melody = [(i * 480, p, 480) for i, p in enumerate([60, 62, 64, 65])]
    high_pad = [(0, 84, 1920), (0, 88, 1920)]
    named = _score(("Strings", 48, False, high_pad), ("Lead vocal", 0, False, melody), ("Drums", 0, True, [(0, 36, 100)]))
    assert melody_tune(named)[1] == "C2 D2 E2 F2|"
    unnamed = _score(("", 0, False, melody), ("", 0, False, [(0, 48, 1920), (960, 55, 960)]))
    assert melody_tune(unnamed)[1] == "C2 D2 E2 F2|"  # notes under a held higher note are not the melody


def test_skyline_keeps_legato_melody_over_late_accompaniment():
    notes = sorted([Note(start=0, pitch=76, duration=500), Note(start=480, pitch=74, duration=480),
                    Note(start=520, pitch=48, duration=300), Note(start=960, pitch=72, duration=480)],
                   key=lambda n: (n.start, -n.pitch))
    assert [n.pitch for n in skyline(notes, tolerance=60)] == [76, 74, 72]


def test_triplets_pickups_meters_and_accidentals():
    triplets = [(i * 160, p, 160) for i, p in enumerate([60, 62, 64, 65, 67, 69])] + [(960, 71, 960)]
    assert melody_tune(_score(("Flute", 73, False, triplets)))[1] == "(3CDE (3FGA B4|"
    waltz = [(960, 67, 480), (1440, 72, 1440)]  # 3/4 starting on beat three: a pickup
    fields, body = melody_tune(_score(("Violin", 40, False, waltz), meter=(3, 4), key="G major"))
    assert (fields["M"], fields["K"], body) == ("3/4", "G", "G2| c6|")
    _fits(fields, body)
    chromatic = [(0, 66, 240), (240, 65, 240), (480, 66, 240), (720, 77, 240), (960, 61, 960), (1920, 65, 480)]
    fields, body = melody_tune(_score(("Oboe", 68, False, chromatic), key="C major"))
    assert body == "^F=F ^F=f ^C4| F2"  # an accidental wherever the key or the bar could mislead
    assert melody_tune(_score(("Piccolo", 72, False, [(0, 110, 480)]), key="C major"))[1] == "d''2"  # D8 folded to D7
    jig = [(i * 240, p, 240) for i, p in enumerate([62, 64, 66, 67, 69, 71])]
    fields, body = melody_tune(_score(("Whistle", 78, False, jig), meter=(6, 8), key="D major"))
    assert (fields["M"], fields["L"], body) == ("6/8", "1/8", "DEF GAB|")


def test_nothing_to_continue_is_one_sentence():
    drums = _score(("Kit", 0, True, [(0, 36, 120), (240, 38, 120)]))
    with pytest.raises(GenerationError) as err:
        seed_tune(None, drums)
    assert str(err.value) == ("The seed holds only drums, so abc-lstm has no melody to continue; "
                              "choose a seed with a tune in it.")
    with pytest.raises(GenerationError, match="holds no notes"):
        seed_tune(None, _score())


def test_a_seed_of_many_bars_keeps_its_opening():
    long = [(i * 480, 60 + i % 12, 480) for i in range(400)]
    fields, body = melody_tune(_score(("Piano", 0, False, long)))
    assert body.count("|") == 16
    _fits(fields, body)


@pytest.mark.parametrize("text, verbatim", [
    ("X:1\nT:Plain\nM:6/8\nL:1/8\nK:G\nD|GAB c2A|BAG E2D|", True),
    ("X:1\nT:Chords\nM:4/4\nL:1/8\nK:G\n[GB]2 AB cd ef|[df]2 ed cB AG|", False),
    ("X:1\nT:Endings\nM:6/8\nL:1/8\nK:D\n|:A|dfa afd|cee e2A|1 dfa afd:|2 cdc d2|]", False),
    ("X:1\nT:Short\nM:3/4\nL:1/8\nK:G\n|:D2|G2 G2 B2|G4:|\n|:B2|d2 d2 e2|d4:|", False),
    ("X:1\nT:Odd\nM:4/4\nL:1/4\nK:C\nB c/12d11/12 e2|c4|", False),
    ("X:1\nT:Voices\nM:4/4\nL:1/4\nK:C\nV:1\nc B A G|c4|\nV:2\nE G F E|E4|", False),
])
def test_abc_seeds_are_verbatim_when_the_grammar_reads_them_else_normalised(text, verbatim):
    from app.core.abc.read import read_abc_text

    fields, body = seed_tune(text, read_abc_text(text))
    assert (body in text) == verbatim
    _fits({"M": fields.get("M", "4/4"), "L": fields.get("L", "1/8")}, body)


# -- continuations of real seeds ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled_abc_lstm():
    from models.registry import load_generator

    return load_generator("abc-lstm", device="cpu")


def _seeds():
    sys.path.insert(0, str(REALWORLD))
    try:
        from make_realworld import SEEDS
    finally:
        sys.path.remove(str(REALWORLD))
    return SEEDS


def test_real_seeds_are_continued_from_their_melody(bundled_abc_lstm):
    """20 seeds (MIDI piano with chords, type 0 and 1, POP909 and Maestro styles, ABC with chords, endings,
    short bars, /12 lengths, two voices, MusicXML grand staff): at least 18 continue their melody."""
    from app.core.formats import load_score
    from app.core.generation_settings import abc_seed_text
    from models.abc_lstm.grammar import check_tune
    from models.common.generator import GenerationRequest, run_generation

    seeds = _seeds()
    assert len(seeds) == 20
    continued, failures = 0, []
    for name, melody in seeds.items():
        path = REALWORLD / name
        request = GenerationRequest(seed=load_score(path), seed_text=abc_seed_text(str(path)), bars=4, random_seed=2)
        try:
            [score] = run_generation(bundled_abc_lstm.generate(request))
        except GenerationError as exc:
            failures.append((name, str(exc)))
            continue
        notes = sorted(score.all_notes(), key=lambda n: (n.start, -n.pitch))
        assert check_tune(score.provenance["abc"])[0], name
        if [n.pitch for n in notes[:len(melody)]] == melody and len(notes) > len(melody):
            continued += 1
        else:
            failures.append((name, score.provenance["abc"]))
    assert continued >= 18, failures


def test_an_abc_seed_keeps_its_file_header_defaults(tmp_path):
    from app.core.generation_settings import abc_seed_text

    path = tmp_path / "book.abc"
    path.write_text("%abc-2.1\n%%pagewidth 21cm\nM:2/4\nL:1/16\n\nX:7\nT:First\nK:D\nd2e2 f2g2|a4 f4|]\n\n"
                    "X:8\nT:Second\nM:3/4\nK:G\nG4 A4 B4|]\n")
    text = abc_seed_text(path)
    assert text.startswith("X:7\nM:2/4\nL:1/16\nT:First\nK:D\nd2e2") and "X:8" not in text
    fields, body = seed_tune(text, None)
    assert (fields["M"], fields["L"], body) == ("2/4", "1/16", "d2e2 f2g2|a4 f4|]")
