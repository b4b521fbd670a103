"""Note tokens and the variable-order Markov model."""

import math

from app.core.score import Note, Score, Track
from models.common.ngram import MarkovConfig, MarkovModel
from models.common.note_tokens import Vocabulary, decode_tokens, encode_score, token_kind


def scale_score():
    notes = [Note(i * 240, 60 + p, 240, 80) for i, p in enumerate([0, 2, 4, 5, 7, 9, 11, 12])]
    notes += [Note(1920, 48, 960), Note(1920, 55, 960), Note(1920, 64, 480)]
    return Score(tracks=(Track("p", 0, False, tuple(notes)),))


def test_tokens_round_trip_on_the_grid():
    score = scale_score()
    tokens = encode_score(score)
    assert tokens[:3] == ["p60", "d6", "w6"]
    assert "c48.55.64" in tokens and [token_kind(t) for t in tokens[:6]] == ["p", "d", "w", "p", "d", "w"]
    notes = decode_tokens(tokens, 480)
    got = {(n.start, n.pitch) for n in notes}
    assert got == {(n.start, n.pitch) for n in score.all_notes()}
    # a chord takes its longest note's duration
    assert {n.duration for n in notes if n.start == 1920} == {960}


def test_vocabulary_maps_rare_chords_to_their_top_note():
    vocab = Vocabulary.build([["c60.64.67", "d12", "w12"]] * 2 + [["c50.53", "d6", "w6"]], min_count=2)
    assert "c60.64.67" in vocab.index and "c50.53" not in vocab.index
    assert vocab.decode(vocab.encode(["c50.53"])) == ["p53"]


def test_markov_learns_a_cycle_and_chooses_order():
    seq = [0, 1, 2, 0, 1, 3] * 50  # order 2 disambiguates what follows 1
    model = MarkovModel(MarkovConfig(vocab_size=4, max_order=4)).fit([seq])
    scores = model.choose_order([seq[:60]])
    assert model.order >= 2 and scores[2] < scores[1]
    assert model.prob([0, 1, 2, 0, 1], 3) > 0.9
    dist = model.distribution([1, 2, 0, 1])
    assert math.isclose(dist.sum(), 1.0, rel_tol=1e-9)
    metrics = model.evaluate([seq[:60]])
    assert metrics["accuracy"] > 0.95 and metrics["cross_entropy"] < 0.2


def test_markov_arrays_round_trip():
    seq = [0, 1, 2, 0, 1, 3] * 10
    model = MarkovModel(MarkovConfig(4, 3)).fit([seq])
    model.order = 2
    back = MarkovModel.from_arrays(MarkovConfig(4, 3), model.to_arrays())
    assert back.order == 2
    assert all(math.isclose(back.prob([0, 1], t), model.prob([0, 1], t)) for t in range(4))


def test_continuation_starts_in_the_meter_and_tempo_where_the_seed_ends():
    from app.core.score import TempoChange, TimeSignature
    from models.common.note_tokens import bar_steps, continuation_context

    seed = Score(tracks=(Track("p", 0, False, (Note(0, 60, 1920), Note(1920, 62, 1440))),),
                 tempos=(TempoChange(0, 100.0), TempoChange(1920, 132.0)),
                 time_signatures=(TimeSignature(0, 4, 4), TimeSignature(1920, 3, 4)), key="D major")
    like = continuation_context(seed)
    assert (like.time_signatures[0].numerator, like.tempos[0].bpm, like.key) == (3, 132.0, "D major")
    assert bar_steps(like) == 36 and bar_steps(None) == 48
