"""Fine-tuning (``TrainConfig.init_from``): the base's weights, sizes and vocabulary; mismatches refused."""

import json
import re

import pytest
import torch

from app.cli import main
from app.core.errors import CheckpointError
from app.core.score import Note, Score, Track
from models.common.checkpoint import load_checkpoint
from models.common.corpus import CorpusItem
from models.common.note_tokens import encode_score
from models.common.run_folder import base_card, final_weights
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
from models.note_lstm.model import NoteLSTMConfig
from models.note_lstm.train import NoteLSTMTask, prepare_data

TINY = dict(embed=16, hidden=32, layers=1, dropout=0.1, dense=32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def piece(i: int, chord: tuple[int, ...] = (48, 52)) -> Score:
    """Eighth-note scale walks with a chord (``chord`` moved by ``i % 3``) on every bar."""
    notes = [Note(j * 240, 60 + (j * (i + 1)) % 12, 240) for j in range(32)]
    notes += [Note(j * 1920, p + i % 3, 960) for j in range(4) for p in chord]
    return Score(tracks=(Track("Piano", 0, False, tuple(notes)),), title=f"piece {i}")


def items(chord=(48, 52), n: int = 8) -> list[CorpusItem]:
    splits = ["train"] * (n - 2) + ["valid", "test"]
    return [CorpusItem(f"p{i}", piece(i, chord), s) for i, s in enumerate(splits)]


def task(data, **sizes) -> NoteLSTMTask:
    config = NoteLSTMConfig(vocab_size=len(data.codec), **{**TINY, **sizes})
    return NoteLSTMTask(data, config, seq_len=16, batch_size=4, seed=0, specs=["synthetic"])


def cfg(**over) -> TrainConfig:
    return TrainConfig(**{**dict(epochs=2, batch_size=4, lr=1e-2, warmup_steps=2, patience=0, device="cpu"), **over})


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A tiny note-lstm checkpoint to fine-tune from."""
    out = tmp_path_factory.mktemp("ft") / "base"
    run_training(train(task(prepare_data(items())), cfg(max_steps=6), out))
    return out


def test_weights_equal_the_base_before_the_first_step(base, tmp_path):
    data = prepare_data(items(), vocabulary=json.loads((base / "config.json").read_text())["vocabulary"])
    run = train(task(data), cfg(init_from=str(base), seed=5), tmp_path / "tuned")
    first = next(run)  # reported before any step
    run.close()  # saves the resume state: the weights as they are now
    base_state, _ = load_checkpoint(base)
    now = final_weights(tmp_path / "tuned")
    assert first.step == 0 and now.keys() == base_state.keys()
    assert all(torch.equal(now[k], base_state[k]) for k in now)


def test_the_card_records_the_base_and_training_moves_the_weights(base, tmp_path):
    card = json.loads((base / "config.json").read_text())
    data = prepare_data(items(), vocabulary=card["vocabulary"])
    out = tmp_path / "tuned"
    run_training(train(task(data), cfg(init_from=str(base), max_steps=3), out))
    tuned, tuned_card = load_checkpoint(out)
    base_training = card["training"]
    assert tuned_card["training"]["fine_tuned_from"] == {
        "name": "base", "checkpoint": str(base), "weights_sha256": card["weights_sha256"],
        "command": base_training.get("command"), "data": base_training.get("data"),
        "steps": base_training["steps"], "seconds": base_training["seconds"]}
    assert tuned_card["vocabulary"] == card["vocabulary"] and tuned_card["config"] == card["config"]
    base_state, _ = load_checkpoint(base)
    assert any(not torch.equal(tuned[k], base_state[k]) for k in tuned)


def test_chords_outside_the_base_vocabulary_map_to_their_top_note(base):
    vocabulary = json.loads((base / "config.json").read_text())["vocabulary"]
    new_items = items(chord=(40, 43, 47))
    data = prepare_data(new_items, vocabulary=vocabulary)
    assert data.codec.vocab.tokens == vocabulary
    unknown = sorted({t for i in new_items for t in encode_score(i.score) if t[0] == "c" and t not in vocabulary})
    assert unknown and data.unknown_chords["distinct"] == len(unknown)
    assert data.unknown_chords["mapped_to"] == "their top note"
    for chord in unknown:
        top = max(int(p) for p in chord[1:].split("."))
        assert data.codec.encode_tokens([chord]).tolist() == [vocabulary.index(f"p{top}")]
    assert task(data).card()["training"]["unknown_chords"] == data.unknown_chords


def test_another_size_is_refused_in_one_sentence(base, tmp_path):
    data = prepare_data(items(), vocabulary=json.loads((base / "config.json").read_text())["vocabulary"])
    run = train(task(data, hidden=16), cfg(init_from=str(base)), tmp_path / "bad")
    with pytest.raises(CheckpointError) as err:
        next(run)
    message = str(err.value)
    assert message == (f"The weights in {base} do not fit this note-lstm model (its sizes or vocabulary differ); "
                       "fine-tune with the base model's own settings.")


def test_another_architecture_is_refused_in_one_sentence(base):
    with pytest.raises(CheckpointError, match=re.escape(f"{base} holds a note-lstm model; fine-tuning abc-lstm "
                                                        "needs a checkpoint of that model.")):
        base_card(base, "abc-lstm")


def test_cli_refuses_what_fine_tuning_cannot_do(base, tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    cases = [
        (["--model", "note-lstm", "--fine-tune", str(base), "--hidden", "64"],
         "A fine-tuned model keeps its base model's sizes; leave out the size options."),
        (["--model", "markov", "--fine-tune", str(base)],
         "The markov model trains in one pass and takes no hyperparameters: it takes no --fine-tune."),
        (["--model", "abc-lstm", "--fine-tune", str(base)],
         f"{base} holds a note-lstm model; fine-tuning abc-lstm needs a checkpoint of that model."),
    ]
    for extra, sentence in cases:
        capsys.readouterr()
        assert main(["train", "--data", str(folder), "--out", str(tmp_path / "out"), *extra]) == 1
        assert capsys.readouterr().err.strip() == f"error: {sentence}"


def test_abc_lstm_takes_the_base_sizes_and_needs_its_character_set(tmp_path):
    from models.abc_lstm.train import AbcLSTMTask

    tunes = tmp_path / "tunes"
    tunes.mkdir()
    tune = "X:{0}\nT:t{0}\nM:4/4\nL:1/8\nK:D\n|:defg abag|fdec d4:|\n\n"
    (tunes / "t.abc").write_text("".join(tune.format(i) for i in range(1, 9)))
    from models.abc_lstm.model import AbcLSTM, AbcLSTMConfig
    from models.common.checkpoint import save_checkpoint

    scratch = AbcLSTMTask([str(tunes)], cfg())
    base = tmp_path / "abc-base"
    card = {"arch": "abc-lstm", "config": dict(scratch.model_cfg.to_dict(), hidden=24, embed=8, layers=1),
            "vocabulary": scratch.vocab.to_list()}
    save_checkpoint(base, AbcLSTM(AbcLSTMConfig(**card["config"])).state_dict(), card)
    tuned = AbcLSTMTask([str(tunes)], cfg(init_from=str(base)))
    assert tuned.model_cfg.to_dict() == card["config"]
    fewer = dict(card, vocabulary=card["vocabulary"][:-1], config=dict(card["config"], vocab_size=len(card["vocabulary"]) - 1))
    save_checkpoint(base, AbcLSTM(AbcLSTMConfig(**fewer["config"])).state_dict(), fewer)  # another character set
    sentence = f"{base} uses another character set; train from scratch instead."
    with pytest.raises(CheckpointError, match=re.escape(sentence)):
        AbcLSTMTask([str(tunes)], cfg(init_from=str(base)))


def test_a_fine_tune_of_a_fine_tune_names_the_chain_back_to_the_first_run():
    from models.common.run_folder import fine_tune_record

    first = {"command": "cadenza train --model x --data corpus:chorales", "data": ["corpus:chorales"],
             "steps": 10, "seconds": 1.0}
    middle = {"weights_sha256": "b", "training": {"command": "cadenza train --model x --fine-tune x", "steps": 5,
                                                  "seconds": 0.5, "data": ["corpus:band"],
                                                  "fine_tuned_from": dict(first, name="x", weights_sha256="a")}}
    record = fine_tune_record("/runs/middle", middle)
    assert record["name"] == "middle" and record["weights_sha256"] == "b" and record["steps"] == 5
    assert record["fine_tuned_from"]["command"] == first["command"]  # the run from scratch, one level down
    assert "fine_tuned_from" not in fine_tune_record("/runs/first", {"training": first})
