"""note-lstm: codec, overfitting, save/load, seeded sampling, bars, carried state vs window re-feed, resume."""

import math

import numpy as np
import pytest
import torch

from app.core.errors import CheckpointError, GenerationError
from app.core.score import Note, Score, TempoChange, TimeSignature, Track
from models.common.augment import random_transposition, transpose
from models.common.checkpoint import load_checkpoint, save_checkpoint
from models.common.corpus import CorpusItem
from models.common.generator import GenerationRequest, run_generation
from models.common.options import GenerationOptions
from models.common.note_tokens import Vocabulary, encode_score, token_kind, tokens_steps
from models.common.sampling import make_generator
from models.common.run_folder import final_weights
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
from models.note_lstm.codec import PAD, NoteCodec, PieceSet, make_windows, seed_ids
from models.note_lstm.generate import (KindRules, NoteLSTMGenerator, carried_state_generate,
                                       window_refeed_generate)
from models.note_lstm.model import NoteLSTM, NoteLSTMConfig
from models.note_lstm.train import NoteLSTMTask, prepare_data

TINY = dict(embed=16, hidden=32, layers=2, dropout=0.1, dense=32)
SCALE = (60, 62, 64, 65, 67, 69, 71, 72)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def piece(i: int, bars: int = 4, meter=(4, 4), low: int = 0) -> Score:
    """A little piano piece: a scale walk in eighths and quarters, a chord on every bar."""
    notes, t = [], 0
    beats = bars * meter[0] * 4 // meter[1]
    for b in range(beats):
        pitch = SCALE[(b * (i + 1)) % 8] + low
        dur = 240 if b % 3 == 0 else 480
        notes.append(Note(t, pitch, dur))
        if b % meter[0] == 0:
            notes += [Note(t, pitch - 12, 480), Note(t, pitch - 8, 480)]
        t += dur
    return Score(tracks=(Track("Piano", 0, False, tuple(notes)),), tempos=(TempoChange(0, 96.0),),
                 time_signatures=(TimeSignature(0, *meter),), key="C major", title=f"piece {i}")


def corpus(n: int = 8) -> list[CorpusItem]:
    splits = ["train"] * (n - 2) + ["valid", "test"]
    return [CorpusItem(f"p{i}", piece(i, low=(i % 3) * 5), s) for i, s in enumerate(splits)]


@pytest.fixture(scope="module")
def data():
    return prepare_data(corpus())


def task_for(data, seq_len=16, batch_size=4, augment=True, **over):
    config = NoteLSTMConfig(vocab_size=len(data.codec), **{**TINY, **over})
    return NoteLSTMTask(data, config, seq_len, batch_size, seed=0, augment=augment, specs=["synthetic"],
                        command="pytest -k note_lstm")


def cfg(**over):
    base = dict(epochs=2, batch_size=4, lr=1e-2, warmup_steps=2, patience=0, checkpoint_every=4, device="cpu")
    return TrainConfig(**{**base, **over})


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, data):
    """A checkpoint written by a short training run."""
    out = tmp_path_factory.mktemp("note_lstm")
    run_training(train(task_for(data), cfg(max_steps=6), out))
    return out


def test_model_shapes_lstm_and_gru():
    for cell in ("lstm", "gru"):
        model = NoteLSTM(NoteLSTMConfig(vocab_size=50, cell=cell, **{k: v for k, v in TINY.items()}))
        logits, state = model(torch.zeros(3, 7, dtype=torch.long))
        assert logits.shape == (3, 7, 50) and all(s.shape == (2, 3, 32) for s in state)
        assert len(state) == (2 if cell == "lstm" else 1)
        step_logits, _ = model.step(torch.zeros(3, dtype=torch.long), state)
        assert step_logits.shape == (3, 50)


def test_transposing_tokens_equals_random_transposition(data):
    scores = [piece(i, low=low) for i, low in enumerate((0, 30, -30, 10))]  # some shifts are infeasible
    pieces = PieceSet.from_scores(data.codec, scores)
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    shifts = pieces.draw_shifts(rng_b)
    for i, score in enumerate(scores):
        moved, shift = random_transposition(score, rng_a)
        assert shift == shifts[i]
        assert np.array_equal(pieces.ids(i, shift), data.codec.encode(moved))


def test_transposing_into_a_known_chord_keeps_the_chord():
    codec = NoteCodec(Vocabulary.build([["c50.54.57", "d12", "w12"]] * 2))
    rare = Score(tracks=(Track("P", 0, False, (Note(0, 48, 480), Note(0, 52, 480), Note(0, 55, 480))),))
    pieces = PieceSet(codec, [encode_score(rare)], [[2]])
    assert codec.vocab.decode(codec.encode(rare))[0] == "p55"  # unknown chord -> top note
    assert np.array_equal(pieces.ids(0, 2), codec.encode(transpose(rare, 2)))
    assert codec.vocab.decode(pieces.ids(0, 2))[0] == "c50.54.57"


def test_tempo_variants_are_the_scaled_score_where_the_grid_holds_it(data):
    from models.common.augment import scale_tempo
    from models.note_lstm.codec import tempo_variants

    eighths = piece(1)  # eighths, quarters, and quarter-note chords: both variants are exact
    variants = tempo_variants(eighths)
    assert set(variants) == {0.5, 2.0}
    for factor, tokens in variants.items():
        assert tokens == encode_score(scale_tempo(eighths, factor))
        assert tokens_steps(tokens) == round(tokens_steps(encode_score(eighths)) * factor)
    sixteenths = Score(tracks=(Track("P", 0, False, tuple(Note(120 * k, 60 + k % 5, 120) for k in range(16))),))
    whole = Score(tracks=(Track("P", 0, False, (Note(0, 60, 1920), Note(1920, 62, 1920))),))
    assert set(tempo_variants(sixteenths)) == {2.0} and set(tempo_variants(whole)) == {0.5}
    pieces = PieceSet.from_scores(data.codec, [eighths, sixteenths, whole], tempo=True)
    draws = [pieces.draw_tempos(np.random.default_rng(s)) for s in range(40)]
    assert {d[1] for d in draws} == {1.0, 2.0} and {d[2] for d in draws} == {1.0, 0.5}
    assert draws[0] == pieces.draw_tempos(np.random.default_rng(0))
    assert data.codec.vocab.decode(pieces.ids(1, 2, 2.0))[:3] == ["p62", "d6", "w6"]


def test_every_epoch_has_as_many_batches_whatever_the_tempo_draws(data):
    task = task_for(data)
    assert any(t != 1.0 for t in data.train.draw_tempos(np.random.default_rng([0, 1])))
    sizes = {sum(len(b) for b in task.epoch_batches(e)) for e in range(6)}
    assert sizes == {task.windows}


def test_windows_pad_and_count():
    windows = make_windows([np.arange(10), np.arange(40)], 16, np.random.default_rng(0))
    assert windows.shape == (1 + 2, 17)
    assert (windows[0, 10:] == PAD).all() and np.array_equal(windows[0, :10], np.arange(10))


def test_overfits_one_batch(tmp_path):
    one = [CorpusItem("a", piece(3), "train"), CorpusItem("b", piece(3), "valid")]
    data = prepare_data(one)
    n = len(data.train.ids(0))
    task = task_for(data, seq_len=n - 1, batch_size=1, augment=False, layers=1, dropout=0.0)
    assert task.num_train_batches(0) == 1
    losses = []
    config = cfg(epochs=400, max_steps=200, lr=2e-2, weight_decay=0.0, eval_every=50, checkpoint_every=0)
    metrics = run_training(train(task, config, tmp_path), lambda p: losses.append(p.train_loss))
    assert losses[1] > 0.5 * math.log(len(data.codec))  # starts near ln(V)
    assert metrics["best_valid_loss"] < 0.1


def test_save_load_gives_identical_logits(tmp_path, data):
    model = NoteLSTM(NoteLSTMConfig(vocab_size=len(data.codec), **TINY)).eval()
    card = task_for(data).card()
    save_checkpoint(tmp_path, model.state_dict(), card)
    loaded = NoteLSTMGenerator(tmp_path, "cpu")
    ids = torch.from_numpy(data.train.ids(0)[None, :40])
    with torch.no_grad():
        assert torch.equal(loaded.model(ids)[0], model(ids)[0])


def test_trained_checkpoint_card(checkpoint, data):
    _, card = load_checkpoint(checkpoint)
    assert card["arch"] == "note-lstm" and card["vocabulary"] == data.codec.vocab.tokens
    assert card["config"]["hidden"] == 32 and card["training"]["command"] == "pytest -k note_lstm"
    assert card["training"]["data"] == ["synthetic"] and card["training"]["pieces"]["train"] == 6
    assert card["training"]["steps"] == 6 and card["training"]["config"]["max_steps"] == 6
    assert 0 < card["metrics"]["test_cross_entropy"] and 0 <= card["metrics"]["test_accuracy"] <= 1
    assert card["metrics"]["valid_cross_entropy"] is not None


def test_generator_refuses_other_arch(tmp_path):
    save_checkpoint(tmp_path, {"w": torch.zeros(2)}, {"arch": "markov"})
    with pytest.raises(CheckpointError, match="not note-lstm"):
        NoteLSTMGenerator(tmp_path, "cpu")


def generate(gen, **kw):
    """Generate with request fields and options (any of the options table's) as keywords."""
    names = set(GenerationOptions.__dataclass_fields__)
    options = GenerationOptions(**{k: v for k, v in kw.items() if k in names})
    return run_generation(gen.generate(GenerationRequest(options=options, **{k: v for k, v in kw.items()
                                                                             if k not in names})))


def tokens_of(scores):
    return [[(n.start, n.pitch, n.duration) for n in s.all_notes()] for s in scores]


def test_same_seed_same_tokens_other_seed_other_tokens(checkpoint):
    gen = NoteLSTMGenerator(checkpoint, "cpu")
    seed = piece(1)
    a = generate(gen, seed=seed, bars=4, variations=2, random_seed=11, temperature=1.2)
    b = generate(gen, seed=seed, bars=4, variations=2, random_seed=11, temperature=1.2)
    c = generate(gen, seed=seed, bars=4, variations=2, random_seed=12, temperature=1.2)
    assert tokens_of(a) == tokens_of(b)
    assert tokens_of(a) != tokens_of(c)
    assert tokens_of(a)[0] != tokens_of(a)[1]  # the rows of one batch differ


def test_variations_fill_the_bars_in_the_seeds_meter(checkpoint):
    gen = NoteLSTMGenerator(checkpoint, "cpu")
    seed = piece(2, meter=(3, 4))
    progress = []
    run = gen.generate(GenerationRequest(seed=seed, bars=5, variations=3, random_seed=3, options=GenerationOptions(top_k=20, top_p=0.95)))
    scores = run_generation(run, progress.append)
    bar = 3 * seed.ppq
    assert len(scores) == 3 and progress and progress[-1].done == progress[-1].total == 5 * 36
    for i, score in enumerate(scores):
        assert score.note_count > 0 and 4 * bar < score.end <= 5 * bar
        assert min(n.start for n in score.all_notes()) < bar  # continues at tick 0 (it may open with a rest)
        assert score.time_signatures[0].numerator == 3 and score.tempos[0].bpm == 96.0 and score.key == "C major"
        prov = score.provenance
        assert prov["model"] == "note-lstm" and prov["variation"] == i + 1 and prov["random_seed"] == 3
        assert prov["checkpoint_sha256"] == gen.card["weights_sha256"] and prov["sliders"]["top_k"] == 20


def test_generation_without_seed_and_bad_options(checkpoint):
    gen = NoteLSTMGenerator(checkpoint, "cpu")
    (score,) = generate(gen, bars=2)
    assert 4 * 480 < score.end <= 8 * 480 and score.time_signatures[0].numerator == 4
    with pytest.raises(GenerationError, match="has no Latent noise sd option"):
        generate(gen, noise_sd=0.5)


def test_carried_state_equals_window_refeed(data):
    torch.manual_seed(0)
    model = NoteLSTM(NoteLSTMConfig(vocab_size=len(data.codec), **TINY)).eval()
    rules = KindRules(data.codec.vocab, torch.device("cpu"))
    seed = seed_ids(data.codec, piece(4))[:30]
    carried = carried_state_generate(model, seed, 60, make_generator(5, torch.device("cpu")), rules)
    refeed = window_refeed_generate(model, seed, 60, window=1000, generator=make_generator(5, torch.device("cpu")),
                                    rules=rules)
    assert carried == refeed
    kinds = "".join(token_kind(t) for t in data.codec.vocab.decode(carried))
    assert kinds.startswith("p") and "pp" not in kinds and "dd" not in kinds and "pw" not in kinds


def test_resumed_training_equals_uninterrupted(tmp_path, data):
    config = cfg(epochs=3, eval_every=3)
    task = task_for(data)
    total = 3 * task.num_train_batches(0)
    run_training(train(task_for(data), config, tmp_path / "a"))
    run = train(task_for(data), config, tmp_path / "b")
    for progress in run:
        if progress.step == total // 2 + 1:
            run.close()
    metrics = run_training(train(task_for(data), config, tmp_path / "b", resume=True))
    a, b = final_weights(tmp_path / "a"), final_weights(tmp_path / "b")
    assert metrics["steps"] == total and all(torch.equal(a[k], b[k]) for k in a)


def test_epoch_batches_depend_only_on_seed_and_epoch(data):
    one, two = task_for(data), task_for(data)
    first = [b.clone() for b in one.train_batches(1)]
    assert all(torch.equal(x, y) for x, y in zip(first, two.train_batches(1)))
    assert not all(torch.equal(x, y) for x, y in zip(first, one.train_batches(2)))
    ranks = [list(one.train_batches(0, r, 2)) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == one.num_train_batches(0) // 2


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_matches_the_sequence_forward(cell):
    torch.manual_seed(1)
    model = NoteLSTM(NoteLSTMConfig(vocab_size=40, cell=cell, **TINY)).eval()
    ids = torch.randint(0, 40, (3, 9))
    with torch.no_grad():
        full, _ = model(ids)  # (3, 9, 40)
        state, steps = None, []
        for t in range(9):
            logits, state = model.step(ids[:, t], state)
            steps.append(logits)
    assert torch.allclose(torch.stack(steps, 1), full, atol=1e-5)
