"""Regenerating a selection deep in a long score: the model reads a window of bars around the selection
(the prompt's bars counted from the window's first bar), and the written notes land in the selected bars
of the score, every other note untouched. Before this was fixed, a window that did not start at bar 1 put
the notes of the window's bars into the wrong bars and dropped the selection's last ones.
And a continuation ends at its last bar.
A tiny untrained network stands in for the bundled one (the window arithmetic is what is tested)."""

from __future__ import annotations


import pytest
from mt_helpers import tiny_generator

from app.core.score import Note, Score, TimeSignature, Track
from models.common.generator import GenerationRequest, Infill, run_generation
from models.common.options import resolve_options
from models.music_transformer import SPEC

BAR = 4 * 480
BARS = 40  # 8 eighths a bar: about 1,400 tokens, far beyond the 256-token window below
SEED = Score(tracks=(Track("Melody", 0, False, tuple(Note(240 * i, 60 + (i * 3) % 12, 240, 80)
                                                      for i in range(8 * BARS))),),
             time_signatures=(TimeSignature(0, 4, 4),))
FIRST, LAST = 30, 32


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    return tiny_generator(tmp_path_factory.mktemp("mt_window"))


def test_a_selection_deep_in_a_long_score_is_written_in_its_own_bars(generator):
    request = GenerationRequest(seed=SEED, bars=LAST - FIRST, variations=2, random_seed=5, device="cpu",
                                infill=Infill(FIRST, LAST, (0,)),
                                options=resolve_options(SPEC.name, SPEC.options, {"density": 3}))
    for out in run_generation(generator.generate(request)):
        inside = lambda n: FIRST * BAR <= n.start < LAST * BAR  # noqa: E731
        assert [n for n in out.tracks[0].notes if not inside(n)] == [n for n in SEED.tracks[0].notes if not inside(n)]
        written = [n for n in out.tracks[0].notes if inside(n)]
        assert sorted({n.start // BAR for n in written}) == [FIRST, FIRST + 1]  # both selected bars, no other


def test_a_continuation_ends_at_its_last_bar(generator):
    """Notes the model holds past the bars asked for are cut there (a 16-bar continuation came back 20 bars
    long when its last notes were long ones)."""
    seed = Score(tracks=(Track("Melody", 0, False, SEED.tracks[0].notes[:16]),), time_signatures=SEED.time_signatures)
    out = run_generation(generator.generate(GenerationRequest(seed=seed, bars=2, variations=4, random_seed=3,
                                                              device="cpu")))
    ends = [n.end for p in out for t in p.tracks for n in t.notes]
    assert ends and max(ends) <= 2 * BAR
