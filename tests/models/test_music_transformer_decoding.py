"""music-transformer's key lean (the pitch_profile option): a mild logit bias toward a key, never a mask.

A tiny untrained network (seeded, nearly uniform over pitches) shows the
lean itself: it moves the in-key share up, yet notes outside the key still
come; a drum track is never leant.
"""

from __future__ import annotations

import pytest
import torch

from app.core.keys import scale_pitch_classes
from app.core.provenance import Provenance
from app.core.score import Note, Score, Track
from app.core.variations import score_key
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions
from models.music_transformer import vocab as V
from models.music_transformer.constraints import LEAN_NATS, Controls, Masks, Row
from models.music_transformer.generate import MusicTransformerGenerator
from models.music_transformer.model import MusicTransformer, MusicTransformerConfig

UNIFORM = " ".join(["1"] * 12)  # 12 equal weights: no lean at all


@pytest.fixture(scope="module")
def generator():
    """The generator around a tiny network built in memory (loading a checkpoint is tested in
    test_music_transformer.py; skipping it here keeps these tests quick)."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = MusicTransformerGenerator.__new__(MusicTransformerGenerator)
    gen.device, gen.checkpoint_dir, gen.card = torch.device("cpu"), None, {"arch": "music-transformer"}
    gen.config = MusicTransformerConfig(V.VOCAB_SIZE, d_model=32, layers=2, heads=2, mlp=64, max_len=512)
    gen.model = MusicTransformer(gen.config).eval()
    return gen


@pytest.fixture(scope="module")
def chorale():
    """Two bars of a four-part D major hymn (written here: quicker than reading a seed file)."""
    chords = ((50, 57, 62, 66), (55, 59, 62, 67), (57, 61, 64, 69), (50, 57, 62, 66),
              (47, 59, 62, 66), (52, 59, 64, 67), (45, 57, 61, 64), (50, 57, 62, 66))
    voices = ("Soprano", "Alto", "Tenor", "Bass")
    tracks = tuple(Track(name=name, program=52, notes=tuple(Note(i * 480, chord[3 - v], 480)
                                                             for i, chord in enumerate(chords)))
                   for v, name in enumerate(voices))
    return Score(tracks=tracks, key="D major", title="hymn")


def in_key(pieces, scale) -> tuple[int, int]:
    pitches = [n.pitch for p in pieces for t in p.tracks if not t.is_drum for n in t.notes]
    return sum(p % 12 in scale for p in pitches), len(pitches)


def test_the_lean_is_a_bias_on_pitched_tracks_pitches_only():
    lean = tuple(1.0 if pc in scale_pitch_classes("D major") else 0.0 for pc in range(12))
    masks = Masks(Controls(tracks=frozenset({0, 1}), drums=frozenset({1}), lean=lean), torch.device("cpu"))
    pitch0 = V.first("Pitch")
    bias = masks.lean
    assert bias[pitch0 + 62] == 0 and bias[pitch0 + 66] == 0  # D, F#: in the key
    assert bias[pitch0 + 63] == pytest.approx(-LEAN_NATS) and bias[pitch0 + 60] == pytest.approx(-LEAN_NATS)
    others = torch.ones(V.VOCAB_SIZE, dtype=torch.bool)
    others[pitch0: pitch0 + 128] = False
    assert torch.count_nonzero(bias[others]) == 0  # no other token is touched
    row = Row(masks)
    row.take(V.first("Track") + 1)
    assert torch.count_nonzero(row.bias()) == 0  # a drum track: no lean
    row.take(V.first("Track"))
    assert torch.equal(row.bias(), bias)
    weighted = Masks(Controls(tracks=frozenset({0}), lean=(2.0,) + (1.0,) * 11), torch.device("cpu")).lean
    assert weighted[pitch0 + 60] == 0 and weighted[pitch0 + 61] == pytest.approx(-LEAN_NATS / 2)  # scaled to max 1


def test_the_default_leans_toward_the_seeds_key_without_forbidding_other_notes(generator, chorale):
    scale = scale_pitch_classes(score_key(chorale))

    def share(**options):
        pieces = run_generation(generator.generate(GenerationRequest(
            seed=chorale, bars=1, tokens=80, variations=12, random_seed=1, options=GenerationOptions(**options))))
        return pieces, in_key(pieces, scale)

    pieces, (kept, total) = share()  # the default: pitch_profile "seed"
    _, (plain_kept, plain_total) = share(pitch_profile=UNIFORM)
    assert total > 50 and plain_total > 50
    assert kept / total > plain_kept / plain_total + 0.1  # leant toward the key ...
    assert kept < total  # ... yet notes outside it still come
    assert Provenance.of(pieces[0]).options["pitch_profile"] == "seed"  # what leant, kept with the music


def test_a_named_key_leans_toward_that_key(generator, chorale):
    scale = scale_pitch_classes("Ab major")  # far from the hymn's own key
    pieces = run_generation(generator.generate(GenerationRequest(
        seed=chorale, bars=1, tokens=80, variations=12, random_seed=2, options=GenerationOptions(pitch_profile="Ab major"))))
    plain = run_generation(generator.generate(GenerationRequest(
        seed=chorale, bars=1, tokens=80, variations=12, random_seed=2, options=GenerationOptions(pitch_profile=UNIFORM))))
    (kept, total), (plain_kept, plain_total) = in_key(pieces, scale), in_key(plain, scale)
    assert kept / total > plain_kept / plain_total + 0.1
