"""An interrupt stops a long step half-way within 2 s, and the run resumes exactly (the editor's Pause
sends one when a step runs long). Tiny CPU configs; the long step is a sleep inside the loss."""

import os
import signal
import threading
import time

import pytest
import torch

from models.common.run_folder import final_weights
from models.common.train_loop import run_training, train
from models.common.train_request import has_training_state
from models.common.train_task import TrainConfig

from test_train_loop import ToyTask  # noqa: E402  (tests/models is on the path when pytest collects it)

STEP_S = 4.0  # a long step: over the 2 s a pause may take


class SlowTask(ToyTask):
    """ToyTask whose training steps take STEP_S once ``slow`` is set (the sleep stands for a big model)."""

    slow = False

    def loss(self, model, batch, device):
        if self.slow and model.training:
            until = time.monotonic() + STEP_S
            while time.monotonic() < until:
                time.sleep(0.01)
        return super().loss(model, batch, device)


def cfg(**over):
    base = dict(epochs=3, batch_size=4, lr=1e-2, warmup_steps=2, patience=0, checkpoint_every=0, device="cpu",
                eval_every=4)
    return TrainConfig(**{**base, **over})


@pytest.fixture
def sigint_raises():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    torch.set_num_threads(1)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupt_after(seconds: float, sent: list) -> None:
    def send():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Timer(seconds, send).start()


@pytest.mark.parametrize("where", ["step", "evaluation"])
def test_an_interrupt_stops_a_long_step_within_two_seconds_and_resume_is_exact(tmp_path, sigint_raises, where):
    reference = run_training(train(ToyTask(), cfg(), tmp_path / "whole"))
    task, sent = SlowTask(), []
    run = train(task, cfg(), tmp_path / "cut")
    for progress in run:
        if progress.step == 3:
            break
    if where == "step":
        task.slow = True  # step 4 is long
    else:  # step 4 is quick, its evaluation (eval_every=4) long
        task.valid_batches = lambda: (time.sleep(STEP_S), [task.data[:8]])[1]
    interrupt_after(0.3, sent)
    with pytest.raises(KeyboardInterrupt):
        next(run)
    latency = time.perf_counter() - sent[0]
    assert latency < 2.0, f"the interrupt took {latency:.2f} s (a step takes {STEP_S} s)"
    assert has_training_state(tmp_path / "cut")

    resumed = train(ToyTask(), cfg(), tmp_path / "cut", resume=True)
    first = next(resumed)
    assert first.step == (3 if where == "step" else 4)  # the last whole step; its evaluation is owed
    metrics = run_training(resumed)
    assert metrics["steps"] == reference["steps"] and metrics["best_valid_loss"] == reference["best_valid_loss"]
    whole, cut = final_weights(tmp_path / "whole"), final_weights(tmp_path / "cut")
    assert all(torch.equal(whole[k], cut[k]) for k in whole)
