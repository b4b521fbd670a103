"""music-transformer: tokens that always decode, the KV cache, infill and the decode-time controls.

A tiny untrained network (seeded) stands in for the bundled one wherever the
behaviour is the decoder's (grammar, masks, infill bookkeeping); what needs a
trained model (note density) is in test_music_transformer_bundled.py.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

import pytest
import torch
from hypothesis import given, settings, strategies as st

from app.core.formats import load_score
from app.core.keys import scale_pitch_classes
from app.core.variations import score_key
from models.common.checkpoint import load_checkpoint, save_checkpoint
from models.common.generator import GenerationRequest, Infill, run_generation
from models.common.options import GenerationOptions, OptionError
from models.music_transformer import codec as C
from models.music_transformer import vocab as V
from models.music_transformer.generate import MusicTransformerGenerator
from models.music_transformer.model import MusicTransformer, MusicTransformerConfig

CHORALE = "seed:bach-ach-gott-vom-himmel-sieh-darein"
SEEDS = (CHORALE, "seed:joplin-maple-leaf-rag-opening", "seed:funk-sixteenths-in-e", "seed:swallowtail-jig")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.manual_seed(0)
    cfg = MusicTransformerConfig(V.VOCAB_SIZE, d_model=32, layers=2, heads=2, mlp=64, max_len=512)
    folder = tmp_path_factory.mktemp("mt") / "tiny"
    save_checkpoint(folder, MusicTransformer(cfg).state_dict(),
                    {"arch": "music-transformer", "name": "music-transformer", "config": asdict(cfg),
                     "vocabulary": list(V.TOKENS)})
    return folder


@pytest.fixture(scope="module")
def generator(tiny):
    torch.set_num_threads(1)
    return MusicTransformerGenerator(tiny, device="cpu")


@pytest.fixture(scope="module")
def chorale():
    return load_score(CHORALE)


@lru_cache(maxsize=None)
def chorale_piece() -> C.Piece:
    return C.from_score(load_score(CHORALE))


def notes(track):
    return [(n.start, n.pitch, n.duration, n.velocity) for n in track.notes]


# -- tokens ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_encoding_a_seed_decodes_to_the_same_tokens(seed):
    piece = C.from_score(load_score(seed))
    ids = C.encode(piece)
    back = C.to_score(C.decode(ids))
    assert back.note_count == load_score(seed).note_count
    assert C.encode(C.from_score(back)) == ids


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, V.VOCAB_SIZE - 1), max_size=300))
def test_every_token_sequence_decodes_to_a_valid_score(ids):
    piece = C.decode(ids)
    score = C.to_score(piece)  # Score validates its notes
    bar_starts = [0]
    for meter in piece.meters:
        bar_starts.append(bar_starts[-1] + V.meter_steps(meter) * 40)
    for track in score.tracks:
        for n in track.notes:
            assert 0 <= n.pitch < 128 and n.duration > 0 and 1 <= n.velocity <= 127
            assert n.start < bar_starts[-1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, V.VOCAB_SIZE - 1), max_size=200), st.integers(0, 3), st.integers(1, 3))
def test_an_infill_layout_decodes_with_the_context_kept(fill, first, length):
    piece = chorale_piece()
    span = range(first, min(first + length, piece.n_bars))
    context, _ = C.encode_infill(piece, span, [0])
    decoded = C.decode(context + fill)
    for b in range(piece.n_bars):
        if b not in span:  # bars outside the selection: exactly as they were
            assert decoded.bars[b] == piece.bars[b]
        else:  # the selection keeps every note of the tracks not masked (a filled note may join them)
            assert all(e in decoded.bars[b] for e in piece.bars[b] if e.track != 0)


# -- the network ---------------------------------------------------------------------------------------------

def test_the_kv_cache_gives_the_logits_of_a_full_recompute():
    torch.manual_seed(1)
    model = MusicTransformer(MusicTransformerConfig(V.VOCAB_SIZE, d_model=32, layers=2, heads=2, mlp=64,
                                                    max_len=128)).eval()
    ids = torch.randint(0, V.VOCAB_SIZE, (2, 60))
    with torch.inference_mode():
        full = model(ids)
        cache = model.new_cache(2, 60)
        parts = [model(ids[:, :40], cache=cache)] + [model(ids[:, i:i + 1], cache=cache) for i in range(40, 60)]
    assert torch.allclose(torch.cat(parts, 1), full, atol=1e-5)


def test_save_then_load_gives_the_same_weights(tiny):
    state, card = load_checkpoint(tiny)
    model = MusicTransformer(MusicTransformerConfig(**card["config"]))
    model.load_state_dict(state)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())


# -- generation -----------------------------------------------------------------------------------------------

def run(generator, seed, **kwargs):
    return run_generation(generator.generate(GenerationRequest(seed=seed, **kwargs)))


def test_the_same_random_seed_gives_the_same_music(generator, chorale):
    a = run(generator, chorale, bars=2, variations=2, random_seed=7)
    b = run(generator, chorale, bars=2, variations=2, random_seed=7)
    assert [notes(t) for s in a for t in s.tracks] == [notes(t) for s in b for t in s.tracks]
    assert [notes(t) for t in a[0].tracks] != [notes(t) for t in a[1].tracks]


def test_a_continuation_is_the_bars_asked_for(generator, chorale):
    (score,) = run(generator, chorale, bars=3, variations=1, random_seed=3)
    bar = 4 * chorale.ppq
    assert score.note_count > 0 and max(n.end for t in score.tracks for n in t.notes) <= 3 * bar + 96 * 40


def test_infill_keeps_every_note_outside_the_selection(generator, chorale):
    pieces = run(generator, chorale, variations=4, random_seed=2, infill=Infill(1, 3, (0, 2)))
    bar = 4 * chorale.ppq
    lo, hi = _bar_start(chorale, 1), _bar_start(chorale, 3)
    for piece in pieces:
        assert len(piece.tracks) == len(chorale.tracks)
        for k, (old, new) in enumerate(zip(chorale.tracks, piece.tracks)):
            if k in (1, 3):
                assert notes(new) == notes(old)
            else:
                assert [x for x in notes(new) if not lo <= x[0] < hi] == [x for x in notes(old) if not lo <= x[0] < hi]
                assert all(lo <= x[0] < hi + bar for x in notes(new) if x not in notes(old))
        assert piece.provenance["infill"] == {"first_bar": 1, "last_bar": 3, "tracks": [0, 2]}


def _bar_start(score, bar):
    steps = [s for s, _ in C.bar_starts(score, 10_000)]
    return steps[bar] * score.ppq // V.STEPS_PER_QUARTER


def test_key_lock_writes_no_note_outside_the_scale_in_200_generations(generator, chorale):
    scale = scale_pitch_classes(score_key(chorale))
    outside = total = 0
    for random_seed in range(4):
        pieces = run(generator, chorale, bars=1, variations=50, random_seed=random_seed,
                     options=GenerationOptions(key_lock="seed", temperature=1.5))
        for piece in pieces:
            for n in (n for t in piece.tracks if not t.is_drum for n in t.notes):
                total += 1
                outside += n.pitch % 12 not in scale
    assert total > 200 and outside == 0


def test_a_named_key_lock_and_the_pitch_range_are_honoured(generator, chorale):
    pieces = run(generator, chorale, variations=8, random_seed=5, infill=Infill(0, 2, (0,)),
                 options=GenerationOptions(key_lock="E major", lowest_pitch=64, highest_pitch=76))
    lo, hi = _bar_start(chorale, 0), _bar_start(chorale, 2)
    new = [n for p in pieces for n in p.tracks[0].notes if lo <= n.start < hi]
    assert new and all(64 <= n.pitch <= 76 and n.pitch % 12 in scale_pitch_classes("E major") for n in new)


def test_keep_rhythm_keeps_onsets_and_lengths_and_changes_pitches(generator, chorale):
    pieces = run(generator, chorale, variations=3, random_seed=4, infill=Infill(1, 3, (0, 1)),
                 options=GenerationOptions(keep_rhythm="on"))
    lo, hi = _bar_start(chorale, 1), _bar_start(chorale, 3)
    for piece in pieces:
        for k in (0, 1):
            old = [(n.start, n.duration) for n in chorale.tracks[k].notes]
            assert [(n.start, n.duration) for n in piece.tracks[k].notes] == old
    changed = [n.pitch for p in pieces for k in (0, 1) for n in p.tracks[k].notes if lo <= n.start < hi]
    original = [n.pitch for k in (0, 1) for n in chorale.tracks[k].notes if lo <= n.start < hi]
    assert changed[: len(original)] != original


def test_keep_rhythm_without_a_selection_is_refused_in_a_sentence(generator, chorale):
    with pytest.raises(OptionError, match="works only when regenerating a selection"):
        run(generator, chorale, bars=1, options=GenerationOptions(keep_rhythm="on"))


def test_a_model_that_only_continues_refuses_a_selection(chorale):
    from models.registry import load_generator

    markov = load_generator("markov", device="cpu")
    with pytest.raises(Exception, match="only continues a seed"):
        run(markov, chorale, infill=Infill(0, 1))


def test_the_instruments_option_writes_those_tracks_after_the_seed(generator, chorale):
    (piece,) = run(generator, chorale, bars=2, variations=1, random_seed=1,
                   options=GenerationOptions(instruments="lead, piano, bass and drums"))
    assert [(t.name, t.program, t.is_drum) for t in piece.tracks] == [
        ("Lead", 73, False), ("Piano", 0, False), ("Bass", 33, False), ("Drums", 0, True)]
    (alone,) = run(generator, None, bars=2, variations=1, random_seed=1, options=GenerationOptions(instruments="piano and bass"))
    assert [t.name for t in alone.tracks] == ["Piano", "Bass"] and alone.note_count > 0
    with pytest.raises(OptionError, match="a selection keeps its tracks' instruments"):
        run(generator, chorale, infill=Infill(0, 1), options=GenerationOptions(instruments="piano"))
