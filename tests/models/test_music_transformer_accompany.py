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
