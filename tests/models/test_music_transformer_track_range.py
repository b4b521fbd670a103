"""music-transformer's pitch range per track (``--track-range TRACK=LOW-HIGH``): each track keeps to its own
range within the global one, an empty intersection is refused in one sentence before generating, the flag
reads numbers and note names, and a model without the option refuses it.

A tiny untrained network (seeded) stands in for the bundled one: the range is a decode-time mask, so an
untrained model, whose pitches are near-uniform, tests it hardest. The generator is put together around it
directly: loading a checkpoint first pays torch's one-off lazy import of its compiler (about 3 s), beyond
this file's budget. The command line refuses a bad range before it loads the bundled checkpoint.
"""

from __future__ import annotations


import pytest
from mt_helpers import tiny_generator

from app.cli import build_parser, main
from app.cli import generate as generate_cli
from app.core.errors import GenerationError
from app.core.provenance import Provenance
from app.core.score import Note, Score, TimeSignature, Track
from models.common.generator import GenerationRequest, run_generation
from models.common.options import OptionError, resolve_options
from models.music_transformer import SPEC

VOICES = {"Soprano": 72, "Alto": 65, "Tenor": 57, "Bass": 48}  # a four-voice seed: each voice's first note
SEED = Score(tracks=tuple(Track(name, program=52, notes=tuple(Note(480 * i, pitch + step, 480, 80)
                                                              for i, step in enumerate((0, 2, 4, 5, 7, 5, 4, 2))))
                          for name, pitch in VOICES.items()),
             time_signatures=(TimeSignature(0, 4, 4),))  # built here: reading a seed file loads music21 (1 s)


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    return tiny_generator(tmp_path_factory.mktemp("mt_range"))


def options(**given):
    return resolve_options(SPEC.name, SPEC.options, given)


def test_each_track_keeps_to_its_own_range_within_the_global_one(generator):
    seed = SEED
    # track 1 (by number) C5-C6 within a global 45..75: 72..75; the bass (by name) 40-55: 45..55
    chosen = options(track_range={"1": "C5-C6", "Bass": "40-55"}, lowest_pitch=45, highest_pitch=75)
    allowed = {"Soprano": range(72, 76), "Alto": range(45, 76), "Tenor": range(45, 76), "Bass": range(45, 56)}
    written = {name: [] for name in allowed}
    for random_seed in (1, 2):
        scores = run_generation(generator.generate(GenerationRequest(
            seed=seed, options=chosen, bars=1, tokens=100, variations=25, random_seed=random_seed)))
        assert len(scores) == 25
        for score in scores:
            for track in score.tracks:
                written[track.name] += [n.pitch for n in track.notes]
    outside = {name: [p for p in pitches if p not in allowed[name]] for name, pitches in written.items()}
    assert outside == {name: [] for name in allowed}
    assert len(written["Soprano"]) >= 20 and len(written["Bass"]) >= 20  # not empty tracks passing vacuously
    assert len(set(written["Bass"])) >= 5  # the bass's range is used, not one note
    recorded = Provenance.of(scores[0]).options["track_range"]
    assert {k: tuple(v) for k, v in recorded.items()} == {"1": (72, 84), "bass": (40, 55)}


def test_a_range_outside_the_global_range_is_refused_before_generating(generator):
    request = GenerationRequest(seed=SEED, bars=1, variations=2,
                                options=options(track_range={"2": "40-50"}, lowest_pitch=60))
    run = generator.generate(request)
    with pytest.raises(OptionError) as refused:
        next(run)  # the first step: nothing sampled yet
    assert refused.value.cli_sentence() == ("--track-range of track '2' has no note within the lowest "
                                            "and highest note.")
    with pytest.raises(GenerationError, match="There is no track .cello. to write .the tracks: 1 Soprano, 2 Alto"):
        run_generation(generator.generate(GenerationRequest(
            seed=SEED, bars=1, options=options(track_range={"cello": "C3-C4"}))))


def test_the_flag_reads_numbers_and_note_names(tmp_path, capsys):
    args = build_parser((generate_cli,)).parse_args(
        ["generate", "--model", "music-transformer", "--out", "x.mid", "--track-range", "1=C4-C5", "2=40-55",
         "--track-range", "Bass=Bb2-F#3"])
    given = generate_cli.given_options(args)
    assert given == {"track_range": {"1": "C4-C5", "2": "40-55", "bass": "Bb2-F#3"}}
    assert dict(options(**given).track_range) == {"1": (60, 72), "2": (40, 55), "bass": (46, 54)}

    for bad, words in (("1=C5-C4", "--track-range of track '1' must be LOW-HIGH"),
                       ("1:C4-C5", "--track-range takes TRACK=LOW-HIGH, e.g. 1=C4-C5, not '1:C4-C5'.")):
        capsys.readouterr()
        assert main(["generate", "--model", "music-transformer", "--track-range", bad,
                     "--out", str(tmp_path / "bad.mid")]) == 1
        assert words in capsys.readouterr().err


def test_a_model_without_the_option_refuses_it(tmp_path, capsys):
    assert main(["generate", "--model", "markov", "--track-range", "1=C4-C5", "--out", str(tmp_path / "m.mid")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The markov model has no --track-range option (it takes: ")
    assert not (tmp_path / "m.mid").exists()
