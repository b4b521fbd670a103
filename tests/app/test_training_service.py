"""The training service without a child: run arguments, unfinished runs, error sentences, card estimates."""

import json

from app.services.training import TrainArgs, error_sentence, unfinished_runs
from app.services.training_estimate import card_estimate, format_duration


def test_run_arguments_round_trip_and_resume(tmp_path):
    args = TrainArgs("note-lstm", ["corpus:chorales", str(tmp_path / "my files")], str(tmp_path / "m"), device="cpu",
                     epochs=3, lr=0.001, seed=4, sizes={"hidden": 64, "cell": "gru"}, fine_tune="")
    assert args.argv() == ["train", "--model", "note-lstm", "--data", "corpus:chorales", "--data",
                           str(tmp_path / "my files"), "--epochs", "3", "--lr", "0.001", "--seed", "4", "--hidden",
                           "64", "--cell", "gru", "--out", str(tmp_path / "m"), "--device", "cpu", "--json-progress"]
    assert args.argv(resume=True)[-5:] == ["--resume", str(tmp_path / "m"), "--device", "cpu", "--json-progress"]
    args.save()
    assert TrainArgs.load(tmp_path / "m") == args
    assert TrainArgs.load(tmp_path) is None


def test_the_checkpoint_interval_is_passed_and_kept(tmp_path):
    from models.common.train_request import parse_interval

    args = TrainArgs("note-lstm", ["corpus:chorales"], str(tmp_path / "m"), seed=1, checkpoint_every="10m")
    argv = args.argv(resume=True)
    assert argv[argv.index("--checkpoint-every") + 1] == "10m" and parse_interval("10m") == (None, 10.0)
    args.save()
    assert TrainArgs.load(tmp_path / "m").checkpoint_every == "10m"
    assert "--checkpoint-every" not in TrainArgs("note-lstm", ["corpus:chorales"], str(tmp_path / "n")).argv()


def test_a_run_saved_before_sizes_were_a_mapping_loads(tmp_path):
    saved = {"model": "note-lstm", "data": ["corpus:chorales"], "out": str(tmp_path), "device": "cpu", "epochs": 2,
             "batch_size": None, "lr": None, "max_steps": None, "seed": 0, "hidden": 64, "layers": None, "fine_tune": ""}
    (tmp_path / "training_run.json").write_text(json.dumps({"version": 1, "args": saved}))
    args = TrainArgs.load(tmp_path)
    assert args.sizes == {"hidden": 64} and args.epochs == 2
    assert args.argv(resume=True)[-9:-5] == ["--seed", "0", "--hidden", "64"]


def resume_state(folder, step, total, finished):
    (folder / "resume.safetensors").write_bytes(b"x")
    (folder / "resume.json").write_text(json.dumps({"info": {"step": step, "total_steps": total, "finished": finished}}))


def test_unfinished_runs_are_those_with_a_state_and_no_end(tmp_path):
    for name, state in (("paused", (40, 100, False)), ("done", (100, 100, True)), ("no-state", None)):
        args = TrainArgs("note-lstm", ["corpus:chorales"], str(tmp_path / name))
        args.save()
        if state:
            resume_state(tmp_path / name, *state)
    (tmp_path / "stranger").mkdir()
    resume_state(tmp_path / "stranger", 1, 2, False)  # not started by Cadenza's dialog: no run file
    (run,) = unfinished_runs(tmp_path)
    assert (run.folder.name, run.step, run.total_steps, run.args.data) == ("paused", 40, 100, ["corpus:chorales"])


def test_the_childs_own_sentence_is_shown():
    stderr = "some warning\nerror: The folder /x has no MIDI, ABC or MusicXML files.\n"
    assert error_sentence(stderr, 1, False) == "The folder /x has no MIDI, ABC or MusicXML files."
    assert error_sentence("Segmentation fault", -11, True).startswith("The training process crashed;")
    assert error_sentence("", 3, False) == "The training process ended (code 3) without a result; see the log for details."


CARD = {"arch": "note-lstm", "name": "note-lstm",
        "training": {"data": ["corpus:classical", "corpus:chorales"], "device": "cpu (x86_64)", "seconds": 800.0,
                     "tokens_per_s": 4000.0, "config": {"epochs": 8},
                     "datasets": {"corpus:classical": {"items": 100}, "corpus:chorales": {"items": 300}}}}


def test_card_estimates_scale_with_epochs_and_data_and_name_their_device():
    same = card_estimate(CARD, ["corpus:classical", "corpus:chorales"], 8, "cpu")
    assert same.seconds == 800.0 and same.device == "cpu (x86_64)" and "4,000 tokens/s" in same.basis
    assert card_estimate(CARD, ["corpus:classical", "corpus:chorales"], 16, "cpu").seconds == 1600.0
    assert card_estimate(CARD, ["corpus:chorales"], 8, "cpu").seconds == 600.0
    assert card_estimate(CARD, ["corpus:chorales"], 8, "cuda") is None  # measured on another device
    assert card_estimate(CARD, ["/home/me/midi"], 8, "cpu") is None  # data the card knows nothing of
    assert same.text() == ("About 13 min on cpu (x86_64) (from the bundled note-lstm model's speed, 4,000 tokens/s; "
                           "early stopping can end it sooner).")
    assert [format_duration(s) for s in (0.2, 75, 600, 7200)] == ["1 s", "75 s", "10 min", "2.0 h"]
