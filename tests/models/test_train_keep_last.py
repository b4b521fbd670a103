"""``--keep last``: the run writes its final step's weights as the model, whatever validation preferred
(band-gan's validation measure favours its early, near-silent steps), and says so in the card."""

import pytest
import torch

from app.cli import build_parser
from app.cli.train import build_request
from app.core.errors import CadenzaError
from models.common.checkpoint import load_checkpoint
from models.common.run_folder import final_weights
from models.common.train_loop import run_training, train
from models.common.train_request import check_request
from models.registry import get_spec
from test_train_loop import ToyTask, cfg


def test_keep_last_writes_the_final_steps_weights(tmp_path):
    # a learning rate this high wanders: validation's best is an earlier step than the last
    best = run_training(train(ToyTask(), cfg(lr=3.0, epochs=6), tmp_path / "best"))
    assert best["best_step"] < best["steps"]
    last = run_training(train(ToyTask(), cfg(lr=3.0, epochs=6, keep="last"), tmp_path / "last"))
    state, card = load_checkpoint(tmp_path / "last")
    final = final_weights(tmp_path / "last")
    assert all(torch.equal(state[k], final[k]) for k in state)
    assert card["training"]["best_step"] == card["training"]["steps"] == last["steps"]
    assert card["training"]["config"]["keep"] == "last"
    assert card["metrics"]["valid_cross_entropy"] == pytest.approx(card["training"]["history"][-1][2], abs=1e-4)
    kept_best, _ = load_checkpoint(tmp_path / "best")
    assert any(not torch.equal(kept_best[k], state[k]) for k in state)


def test_the_command_line_takes_keep_and_refuses_another_word(tmp_path):
    args = build_parser().parse_args(["train", "--model", "band-gan", "--keep", "last", "--out", str(tmp_path)])
    request = build_request(args)
    assert request.keep == "last" and request.hyperparameters()["keep"] == "last"
    check_request(get_spec("band-gan"), request)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--model", "band-gan", "--keep", "worst"])
    from dataclasses import replace

    with pytest.raises(CadenzaError, match="^--keep must be one of best, last.$"):
        check_request(get_spec("band-gan"), replace(request, keep="worst"))
