"""The shared training loop: overfitting, exact resume, cancel, early stopping, DDP (tiny CPU configs)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from app.core.errors import CheckpointError, DatasetError
from models.common.checkpoint import load_checkpoint
from models.common.optimisation import lr_at
from models.common.run_folder import final_weights, has_resume_state
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig, TrainTask, shard

V = 12


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models train faster on one thread (and do not fight other tests for cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class ToyNet(nn.Module):
    """Embedding -> dropout -> linear: predicts the next token of a fixed mapping."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(V, 16)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(16, V)

    def forward(self, ids):  # (B, T) -> (B, T, V)
        return self.out(self.drop(self.embed(ids)))


class ToyTask(TrainTask):
    """Sequences where each token is ``(3 * previous + 1) % V``; batches shuffled by (seed, epoch)."""

    def __init__(self, n: int = 32, batch_size: int = 4, seed: int = 0, length: int = 9) -> None:
        starts = np.random.default_rng(123).integers(0, V, n)
        rows = [[int(s)] for s in starts]
        for row in rows:
            while len(row) < length:
                row.append((3 * row[-1] + 1) % V)
        self.data = torch.tensor(rows)  # (n, length)
        self.batch_size, self.seed = batch_size, seed

    def build_model(self):
        return ToyNet()

    def _batches(self, epoch):
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.data))
        return [self.data[order[i: i + self.batch_size]] for i in range(0, len(order), self.batch_size)]

    def train_batches(self, epoch, rank=0, world=1):
        return iter(shard(self._batches(epoch), rank, world))

    def valid_batches(self):
        return [self.data[:8]]

    def test_batches(self):
        return [self.data[8:16]]

    def loss(self, model, batch, device):
        batch = batch.to(device)
        logits = model(batch[:, :-1])  # (B, T, V)
        targets = batch[:, 1:]
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return loss, targets.numel(), int((logits.argmax(-1) == targets).sum())

    def card(self):
        return {"arch": "toy", "config": {"vocab": V}, "training": {"data": ["synthetic"]}}

    def num_train_batches(self, epoch):
        return -(-len(self.data) // self.batch_size)


def cfg(**over):
    base = dict(epochs=3, batch_size=4, lr=1e-2, warmup_steps=3, patience=0, checkpoint_every=5, device="cpu")
    return TrainConfig(**{**base, **over})


def test_overfits_one_batch(tmp_path):
    task = ToyTask(n=4, batch_size=4)  # one batch, repeated every epoch
    losses = []
    config = cfg(epochs=400, max_steps=200, lr=3e-2, weight_decay=0.0, eval_every=50)
    metrics = run_training(train(task, config, tmp_path), lambda p: losses.append(p.train_loss))
    assert losses[1] > 1.5  # about ln(12) = 2.48 at the first step
    assert metrics["steps"] == 200 and metrics["best_valid_loss"] < 0.1


def test_learning_rate_schedule():
    c = TrainConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(0, c, 110) == pytest.approx(0.1) and lr_at(9, c, 110) == pytest.approx(1.0)
    assert lr_at(60, c, 110) == pytest.approx(0.55)
    assert lr_at(110, c, 110) == pytest.approx(0.1) and lr_at(500, c, 110) == pytest.approx(0.1)


def test_card_metrics_and_best_checkpoint(tmp_path):
    metrics = run_training(train(ToyTask(), cfg(), tmp_path))
    state, card = load_checkpoint(tmp_path)
    assert card["arch"] == "toy" and card["training"]["data"] == ["synthetic"]
    assert card["training"]["config"]["lr"] == 1e-2 and card["training"]["steps"] == 24
    assert card["training"]["parameters"] == card["parameters"] == metrics["parameters"] == 16 * V + 16 * V + V
    assert len(card["training"]["history"]) == 3  # one evaluation per epoch
    assert 0 < card["metrics"]["test_cross_entropy"] < math.log(V) and 0 <= card["metrics"]["test_accuracy"] <= 1
    assert metrics["best_valid_loss"] == pytest.approx(min(h[2] for h in card["training"]["history"]), abs=1e-4)
    assert metrics["device"].startswith("cpu") and metrics["tokens_per_s"] > 0
    assert set(state) == {"embed.weight", "out.weight", "out.bias"}


def run_until(task, config, out, stop_at, resume=False):
    """Drive a run and close it right after step ``stop_at``."""
    run = train(task, config, out, resume=resume)
    for progress in run:
        if progress.step == stop_at:
            run.close()
            return


def test_resumed_training_equals_uninterrupted(tmp_path):
    config = cfg(eval_every=3)  # 8 steps per epoch, 24 in all, stop mid-epoch 2
    straight = run_training(train(ToyTask(), config, tmp_path / "a"))
    run_until(ToyTask(), config, tmp_path / "b", 11)
    assert json.loads((tmp_path / "b" / "resume.json").read_text())["info"]["step"] == 11
    resumed = run_training(train(ToyTask(), config, tmp_path / "b", resume=True))
    a, b = final_weights(tmp_path / "a"), final_weights(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["best_valid_loss"] == straight["best_valid_loss"] and resumed["steps"] == 24
    best_a, card_a = load_checkpoint(tmp_path / "a")
    best_b, card_b = load_checkpoint(tmp_path / "b")
    assert all(torch.equal(best_a[k], best_b[k]) for k in best_a)
    assert card_a["training"]["history"] == card_b["training"]["history"]


def test_cancel_leaves_resumable_state(tmp_path):
    config = cfg(checkpoint_every=0)
    run_until(ToyTask(), config, tmp_path, 3)
    assert has_resume_state(tmp_path)
    run = train(ToyTask(), config, tmp_path, resume=True)
    first = next(run)
    assert first.step == 3 and "resumed" in first.message
    assert next(run).step == 4
    run.close()
    assert json.loads((tmp_path / "resume.json").read_text())["info"]["step"] == 4


def test_resume_refuses_other_task_and_missing_state(tmp_path):
    with pytest.raises(CheckpointError, match="no training state"):
        next(train(ToyTask(), cfg(), tmp_path / "none", resume=True))
    run_until(ToyTask(), cfg(), tmp_path, 2)

    class Other(ToyTask):
        def card(self):
            return {"arch": "toy", "config": {"vocab": V + 1}}

    with pytest.raises(CheckpointError, match="another model"):
        next(train(Other(), cfg(), tmp_path, resume=True))


def test_resume_refuses_settings_that_change_the_run(tmp_path):
    run_until(ToyTask(), cfg(), tmp_path, 6)
    with pytest.raises(CheckpointError, match=r"--batch-size was 4 \(now 8\); --lr was 0.01 \(now 0.02\)"):
        next(train(ToyTask(), cfg(batch_size=8, lr=2e-2), tmp_path, resume=True))
    run = train(ToyTask(), cfg(checkpoint_every=2), tmp_path, resume=True)  # the interval may change
    assert next(run).step == 6 and next(run).step == 7
    run.close()


def test_checkpoint_every_minutes_saves_by_time(tmp_path, monkeypatch):
    import models.common.train_loop as loop

    clock = iter(range(0, 10_000, 20))  # 20 s a call: every step crosses the 0.5-minute interval
    monkeypatch.setattr(loop.time, "perf_counter", lambda: float(next(clock)))
    run = train(ToyTask(), cfg(checkpoint_every=0, checkpoint_minutes=0.5, eval_every=100), tmp_path)
    saved = []
    for progress in run:
        if progress.step:
            saved.append(json.loads((tmp_path / "resume.json").read_text())["info"]["step"])
        if progress.step == 5:
            run.close()
    assert saved == [1, 2, 3, 4, 5]  # one state per step: each crossed the interval
    run = train(ToyTask(), cfg(checkpoint_every=0, checkpoint_minutes=10**6, eval_every=100), tmp_path / "long")
    assert [next(run).step for _ in range(5)] == [0, 1, 2, 3, 4] and not has_resume_state(tmp_path / "long")
    run.close()  # closing saves
    assert has_resume_state(tmp_path / "long")


def test_a_resume_state_of_another_step_is_refused(tmp_path):
    from models.common import file_unit

    run_until(ToyTask(), cfg(), tmp_path / "a", 5)
    run_until(ToyTask(), cfg(), tmp_path / "b", 6)
    manifest = file_unit.read_manifest(tmp_path / "a")
    assert manifest["step"] == 5 and set(manifest["files"]) == {"resume.safetensors", "resume.json"}
    (tmp_path / "a" / "resume.safetensors").write_bytes((tmp_path / "b" / "resume.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="inconsistent .resume.safetensors does not match the manifest of step 5"):
        next(train(ToyTask(), cfg(), tmp_path / "a", resume=True))


def test_a_run_saved_before_manifests_still_resumes(tmp_path):
    config = cfg(eval_every=3)
    run_until(ToyTask(), config, tmp_path, 7)
    (tmp_path / "manifest.json").unlink()  # as an older Cadenza left it: the four files, no manifest
    assert has_resume_state(tmp_path)
    run = train(ToyTask(), config, tmp_path, resume=True)
    assert next(run).step == 7
    run.close()  # the first unit takes the older files in
    from models.common import file_unit

    assert set(file_unit.read_manifest(tmp_path)["files"]) == {"model.safetensors", "config.json",
                                                                 "resume.safetensors", "resume.json"}
    assert run_training(train(ToyTask(), config, tmp_path, resume=True))["steps"] == 24


def test_early_stopping(tmp_path):
    metrics = run_training(train(ToyTask(), cfg(epochs=10, lr=0.0, warmup_steps=0, patience=2), tmp_path))
    assert metrics["stopped_early"] and metrics["steps"] == 3 * 8  # best, then two evaluations no better


def test_max_steps_and_empty_data(tmp_path):
    metrics = run_training(train(ToyTask(), cfg(max_steps=5), tmp_path))
    assert metrics["steps"] == 5 and (tmp_path / "model.safetensors").is_file()
    with pytest.raises(DatasetError):
        next(train(ToyTask(n=0), cfg(), tmp_path / "empty"))


DDP_SCRIPT = """
import json, sys
sys.path[:0] = [{tests!r}, {repo!r}]
from test_train_loop import ToyTask
from models.common.train_loop import run_training, train
from models.common.train_task import TrainConfig
metrics = run_training(train(ToyTask(), TrainConfig(epochs=2, batch_size=4, lr=1e-2, warmup_steps=2,
                                                    device="cpu", checkpoint_every=3), sys.argv[1]))
print("METRICS", json.dumps(metrics))
"""


def test_ddp_two_processes_on_cpu(tmp_path):
    script = tmp_path / "ddp_train.py"
    script.write_text(DDP_SCRIPT.format(tests=str(Path(__file__).parent), repo=str(Path(__file__).parents[2])))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
           str(tmp_path / "out")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _, card = load_checkpoint(tmp_path / "out")
    assert card["training"]["world_size"] == 2 and card["training"]["steps"] == 2 * (8 // 2)
    assert "test_cross_entropy" in card["metrics"] and has_resume_state(tmp_path / "out")
    assert proc.stdout.count("METRICS") == 2  # both ranks finished
