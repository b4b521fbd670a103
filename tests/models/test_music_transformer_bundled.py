"""The bundled music-transformer: what only a trained model can show.

Note density is an attribute token the model learnt to follow (the decoder
only forces the token), and the right-hand context helps only a model that
learnt to use it; the card's figures come from ``measure.py`` on the
held-out split, re-checked here on a few chorales.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.formats import load_score
from models.common.generator import GenerationRequest, Infill, run_generation
from models.common.options import GenerationOptions
from models.music_transformer import measure
from models.registry import find_checkpoint, load_generator

CHORALE = "seed:bach-ach-gott-vom-himmel-sieh-darein"


@pytest.fixture(scope="module")
def generator():
    torch.set_num_threads(1)
    return load_generator("music-transformer", device="cpu")


def test_density_moves_the_note_count_the_right_way(generator):
    seed = load_score(CHORALE)
    counts = {}
    for density in (1, 8):
        pieces = run_generation(generator.generate(GenerationRequest(
            seed=seed, bars=2, variations=6, random_seed=3, options=GenerationOptions(density=density))))
        counts[density] = np.mean([p.note_count for p in pieces])
    assert counts[1] < counts[8], counts


def test_the_card_reports_infill_with_the_right_context_better_than_without():
    card = generator_card()
    figures = card["metrics"]["held_out"]["infill_nats_per_token"]
    assert figures and all(f["with_right_context"] < f["left_context_only"] for f in figures.values()), figures


def generator_card():
    from models.common.card import read_card

    return read_card(find_checkpoint("music-transformer"))


def test_regenerating_a_selection_keeps_the_rest_and_writes_in_the_selection(generator):
    seed = load_score(CHORALE)
    pieces = run_generation(generator.generate(GenerationRequest(
        seed=seed, variations=2, random_seed=1, infill=Infill(1, 3, (0,)))))
    bar = 4 * seed.ppq
    for piece in pieces:
        assert [t.notes for t in piece.tracks[1:]] == [t.notes for t in seed.tracks[1:]]
        new = [n for n in piece.tracks[0].notes if n not in seed.tracks[0].notes]
        assert new and all(n.start < 4 * bar for n in new)


def test_measure_sees_the_right_context_help_on_held_out_chorales():
    model, _ = measure.load_model(find_checkpoint("music-transformer"))
    pieces = measure.test_pieces("corpus:chorales", limit=12)
    figures = measure.infill_context(model, pieces, np.random.default_rng(0))
    assert figures["tokens"] > 100
    assert figures["with_right_context"] < figures["left_context_only"], figures


def test_a_continuation_longer_than_the_window_has_every_bar(generator):
    from app.core.timing import bar_count

    seed = load_score("seed:joplin-maple-leaf-rag-opening")
    pieces = run_generation(generator.generate(GenerationRequest(seed=seed, bars=16, variations=2, random_seed=1)))
    assert all(16 <= bar_count(p) <= 17 for p in pieces)
    last_bars = 12 * 2 * seed.ppq  # 2/4: the last four bars
    assert all(any(n.start >= last_bars for t in p.tracks for n in t.notes) for p in pieces)


def test_under_a_folk_tune_it_writes_a_band_that_plays_in_every_role(generator):
    from dataclasses import replace

    from app.core.score import Track
    from models.common.band_roll import LEAD, track_role

    tune = load_score("seed:fishers-hornpipe")  # in 2/4
    sig = tune.time_signatures[0]
    bar = tune.ppq * 4 * sig.numerator // sig.denominator
    lead = Track("Lead", 73, False, tuple(n for n in tune.tracks[0].notes if n.start < 4 * bar))
    out = run_generation(generator.generate(GenerationRequest(seed=replace(tune, tracks=(lead,)), bars=4,
                                                              random_seed=2, accompany=True)))[0]
    assert out.tracks[0].notes == lead.notes
    roles = {track_role(t): {n.start // bar for n in t.notes} for t in out.tracks[1:]}
    assert LEAD not in roles and set(roles) == {"drums", "bass", "guitar", "piano", "strings"}
    assert sum(len(bars) for bars in roles.values()) >= 14, roles  # of 20 role-bars: a band, not a sketch
