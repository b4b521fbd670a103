"""music-transformer under Add a Band (the band request, ``GenerationRequest.accompany``): the five band
tracks written under the lead over its bars, a bar at a time, with the lead's notes untouched; a
checkpoint that never learnt the band corpus refuses in one sentence; the same random seed gives the same
band. A tiny untrained network stands in for the bundled one (the mechanics, not the music, are tested
here; the bundled checkpoint's bands are measured by ``cadenza eval --data corpus:band``)."""

from __future__ import annotations


import pytest
from mt_helpers import tiny_generator

from app.core.errors import GenerationError
from app.core.score import Note, Score, TimeSignature, Track
from models.common.band_roll import LEAD, track_role
from models.common.generator import GenerationRequest, run_generation
from models.common.options import resolve_options
from models.music_transformer import SPEC

BARS = 5
LEAD_TRACK = Track("Lead", 73, False, tuple(Note(480 * i, 67 + (i * 5) % 7, 480, 90) for i in range(4 * BARS)))
SEED = Score(tracks=(LEAD_TRACK,), time_signatures=(TimeSignature(0, 4, 4),))


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    return tiny_generator(tmp_path_factory.mktemp("mt_band"), accompanies=True)


def band(gen, random_seed=3, bars=BARS, **given):
    request = GenerationRequest(seed=SEED, bars=bars, variations=1, random_seed=random_seed, device="cpu",
                                accompany=True, options=resolve_options(SPEC.name, SPEC.options, given))
    return run_generation(gen.generate(request))[0]


def test_the_band_is_written_under_the_lead_over_its_bars(generator):
    out = band(generator, density=2)  # an untrained network may write no note in a bar of its own accord
    assert out.tracks[0].notes == LEAD_TRACK.notes  # the lead as it was
    assert [track_role(t) for t in out.tracks] == [LEAD, "drums", "bass", "guitar", "piano", "strings"]
    assert out.tracks[1].is_drum and not any(t.is_drum for t in out.tracks[2:])
    end = 4 * BARS * 480
    written = [n for t in out.tracks[1:] for n in t.notes]
    assert written and all(0 <= n.start < end for n in written)
    assert {n.start // (4 * 480) for n in written} == set(range(BARS))  # every bar, the odd last one too
    assert out.provenance["accompany"] is True


def test_the_same_random_seed_gives_the_same_band_and_another_a_different_one(generator):
    first, again, other = band(generator, 3, 2), band(generator, 3, 2), band(generator, 4, 2)
    assert first.tracks == again.tracks
    assert first.tracks != other.tracks


def test_a_checkpoint_without_the_band_corpus_refuses_in_one_sentence(generator, monkeypatch):
    monkeypatch.setitem(generator.card, "accompanies", False)
    with pytest.raises(GenerationError, match=r"^This music-transformer checkpoint never learnt the band corpus"):
        band(generator)


def test_each_bar_is_written_at_the_notes_per_bar_the_variation_drew_from_the_card(generator, monkeypatch):
    import models.music_transformer.generate as G
    from models.music_transformer import vocab as V

    written, sample = [], G.MusicTransformerGenerator._sample

    def spy(self, *args):
        rows = yield from sample(self, *args)
        written.extend(rows)
        return rows

    monkeypatch.setattr(G.MusicTransformerGenerator, "_sample", spy)
    monkeypatch.setitem(generator.card, "accompaniment", {"notes_per_quarter": [8.5]})
    band(generator, bars=3)
    dens = [V.TOKENS[t] for row in written for t in row if V.TOKENS[t].startswith("Dens_")]
    assert dens == ["Dens_9"] * 3  # 34 notes in a 4/4 bar: the 33-48 bucket, in every bar
    written.clear()
    band(generator, bars=2, density=1)  # a note density asked for wins: one note a track, five tracks
    assert [V.TOKENS[t] for row in written for t in row if V.TOKENS[t].startswith("Dens_")] == ["Dens_3"] * 2


def test_the_notes_per_bar_table_and_the_draw():
    from models.music_transformer import codec as C
    from models.music_transformer.accompany import bar_notes, drawn_density, quarter_notes_table

    def piece(counts, meter="4/4"):  # slot 0 the lead (two notes a bar), slot 1 the band (``counts`` a bar)
        bars = [[C.Event(b, 0, 0, 60, 1, 80)] * 2 + [C.Event(b, 0, 1, 36, 1, 80)] * n for b, n in enumerate(counts)]
        return C.Piece([73, 33], [meter] * len(counts), bars, 120.0, ["Lead", "Bass"])

    pieces = [piece([4, 4, 8]), piece([0, 0]), piece([20, 10, 30, 40]), piece([6, 6], "3/4")]
    assert quarter_notes_table(pieces, [[0]] * 4) == [1.0, 2.0, 6.25]  # per quarter; a silent band is left out
    assert bar_notes(6.25, "4/4") == 25 and bar_notes(6.25, "2/4") == 12 and bar_notes(0.01, "4/4") == 1
    card = {"accompaniment": {"notes_per_quarter": [1.0, 6.25, 10.0]}}
    draws = [drawn_density(card, 11, v) for v in range(6)]
    assert set(draws) <= {1.0, 6.25, 10.0} and draws == [drawn_density(card, 11, v) for v in range(6)]
    assert drawn_density({}, 11, 0) is None
