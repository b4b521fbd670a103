"""note-lstm with pitch sharing: membership tables, shapes, step == forward, save/load, old configs."""

import json

import pytest
import torch

from models.common.checkpoint import save_checkpoint
from models.common.note_tokens import Vocabulary
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
from models.note_lstm.generate import NoteLSTMGenerator
from models.note_lstm.model import NoteLSTM, NoteLSTMConfig
from models.note_lstm.pitch_sharing import SharedEmbedding, SharedHead, membership
from models.registry import BUNDLED_DIR

TINY = dict(embed=16, hidden=32, layers=2, dropout=0.1, dense=32)
CHORDS = ["c48.60", "c60.64.67", "c48.60.64.67", "c55.59.62.65", "c61.65.68"]
TOKENS = Vocabulary.build([CHORDS * 2]).tokens  # 22 durations/waits, 128 pitches, the chords


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def shared_model(cell: str = "lstm", seed: int = 0) -> NoteLSTM:
    torch.manual_seed(seed)
    return NoteLSTM(NoteLSTMConfig(vocab_size=len(TOKENS), cell=cell, pitch_sharing="on", **TINY), TOKENS)


def test_membership_spreads_each_token_over_its_pitches_and_classes():
    pitches, classes = membership(["d12", "w6", "p60", "c48.60.64"])
    assert pitches.shape == (4, 128) and classes.shape == (4, 12)
    assert not pitches[:2].any() and not classes[:2].any()  # durations and waits hold no pitch
    assert pitches[2, 60] == 1 and classes[2, 0] == 1
    assert torch.allclose(pitches[3, [48, 60, 64]], torch.full((3,), 1 / 3)) and pitches[3].sum() == pytest.approx(1)
    assert torch.allclose(classes[3, [0, 4]], torch.full((2,), 0.5)) and classes[3].sum() == pytest.approx(1)


def test_shapes_and_kinds_of_layer():
    for cell in ("lstm", "gru"):
        model = shared_model(cell)
        assert isinstance(model.embed, SharedEmbedding) and isinstance(model.head, SharedHead)
        logits, state = model(torch.zeros(3, 7, dtype=torch.long))
        assert logits.shape == (3, 7, len(TOKENS)) and all(s.shape == (2, 3, 32) for s in state)
        step_logits, _ = model.step(torch.zeros(3, dtype=torch.long), state)
        assert step_logits.shape == (3, len(TOKENS))
        model.eval()
        step_logits, _ = model.step(torch.zeros(3, dtype=torch.long), state)
        assert step_logits.shape == (3, len(TOKENS))


def test_step_equals_forward_in_eval_mode():
    """forward composes the whole output table (many rows), step projects per row: the same logits."""
    model = shared_model().eval()
    ids = torch.randint(0, len(TOKENS), (2, 140), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full, _ = model(ids)  # 280 rows: the composed-table path
        assert 2 * 140 >= SharedHead.ROWS_FOR_TABLE
        state, steps = None, []
        for t in range(ids.shape[1]):
            logits, state = model.step(ids[:, t], state)
            steps.append(logits)
    assert torch.allclose(torch.stack(steps, 1), full, atol=1e-5)


def test_chords_share_their_pitch_classes():
    """Moving the pitch-class vector of E moves the logit of every token that holds an E, and only those."""
    model = shared_model().eval()
    y = torch.randn(1, 32)
    before = model.head(y)
    with torch.no_grad():
        model.head.pitch_class[4] += y[0]  # E
    moved = (model.head(y) - before)[0] > 1e-4
    holds_e = [t[0] in "pc" and any(int(p) % 12 == 4 for p in t[1:].split(".")) for t in TOKENS]
    assert moved.tolist() == holds_e


def test_pitch_sharing_needs_the_vocabulary_to_run():
    blind = NoteLSTM(NoteLSTMConfig(vocab_size=len(TOKENS), pitch_sharing="on", **TINY))  # for weight shapes only
    assert {k: v.shape for k, v in blind.state_dict().items()} == {
        k: v.shape for k, v in shared_model().state_dict().items()}
    with pytest.raises(RuntimeError, match="vocabulary"):
        blind(torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError):
        NoteLSTM(NoteLSTMConfig(vocab_size=len(TOKENS), pitch_sharing="on", **TINY), TOKENS[:-1])
    with pytest.raises(ValueError):
        NoteLSTMConfig(vocab_size=10, pitch_sharing="yes")


def test_save_load_keeps_the_logits_and_not_the_membership_tables(tmp_path):
    model = shared_model().eval()
    state = model.state_dict()
    assert not any(k.endswith(("pitches", "classes")) for k in state)  # rebuilt from the vocabulary
    card = {"arch": "note-lstm", "name": "tiny", "config": vars(model.config), "vocabulary": TOKENS,
            "training": {"data": ["synthetic"], "command": "pytest"}, "metrics": {}}
    save_checkpoint(tmp_path / "tiny", state, card)
    loaded = NoteLSTMGenerator(tmp_path / "tiny", device="cpu").model
    ids = torch.tensor([[22 + 60, 0, 11, 150, 3, 14]])
    with torch.no_grad():
        assert torch.equal(model(ids)[0], loaded(ids)[0])
        assert torch.equal(model.step(ids[:, 0], None)[0], loaded.step(ids[:, 0], None)[0])


def test_a_config_without_the_field_builds_the_plain_model():
    card = json.loads((BUNDLED_DIR / "note-lstm" / "config.json").read_text())
    config = dict(card["config"])
    config.pop("pitch_sharing", None)
    config.update(TINY)  # the bundled sizes, only smaller
    model = NoteLSTM(NoteLSTMConfig(**config))
    assert model.config.pitch_sharing == "off"
    assert isinstance(model.embed, torch.nn.Embedding) and isinstance(model.head, torch.nn.Linear)
    assert set(model.state_dict()) == {"embed.weight", "head.weight", "head.bias", "dense.weight", "dense.bias",
                                       *(f"rnn.{w}_l{i}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                                         for i in range(2))}


def test_a_short_training_run_writes_a_loadable_pitch_sharing_checkpoint(tmp_path):
    from app.core.score import Note, Score, Track
    from models.common.corpus import CorpusItem
    from models.note_lstm.train import NoteLSTMTask, prepare_data

    def piece(i: int) -> Score:  # a walk in eighths with a triad on every other note
        notes = []
        for b in range(24):
            pitch = 60 + (b * (i + 2)) % 12
            notes += [Note(b * 240, pitch, 240)] + ([Note(b * 240, pitch - 12, 240), Note(b * 240, pitch - 8, 240)]
                                                   if b % 2 == 0 else [])
        return Score(tracks=(Track("Piano", 0, False, tuple(notes)),))

    items = [CorpusItem(f"p{i}", piece(i), split) for i, split in enumerate(["train"] * 4 + ["valid", "test"])]
    data = prepare_data(items)
    config = NoteLSTMConfig(vocab_size=len(data.codec), pitch_sharing="on", **TINY)
    task = NoteLSTMTask(data, config, 16, 4, seed=0, specs=["synthetic"], command="pytest")
    run_training(train(task, TrainConfig(epochs=1, batch_size=4, warmup_steps=1, patience=0, max_steps=3,
                                         device="cpu"), tmp_path))
    generator = NoteLSTMGenerator(tmp_path, device="cpu")
    assert generator.config.pitch_sharing == "on" and "pitch classes" in generator.card["description"]
