"""One training loop for every torch model in Cadenza.

A model supplies a :class:`TrainTask` (how to build the module, its batches,
its loss and its model card); :func:`train` does the rest, the same way for
every model:

* AdamW with linear warm-up then cosine decay to ``min_lr_ratio`` of the rate,
  gradient clipping, AMP on CUDA (bf16 where supported, else fp16 with a
  GradScaler);
* evaluation once per epoch (or every ``eval_every`` steps), early stopping
  after ``patience`` evaluations without improvement, the best model written
  as a checkpoint folder (safetensors + card, see ``checkpoint.py``), then
  measured on the held-out test split;
* pickle-free resume state every ``checkpoint_every`` steps (or every
  ``checkpoint_minutes``), with every new best model, at the end, and when the
  caller cancels by closing the generator. Each save is one unit
  (``file_unit.py``): the best model (weights + card) and the resume state
  are written to a staging folder, fsynced, and committed by one rename with a
  manifest naming the step, so a kill at any moment leaves the previous
  complete set or the new one, and a kill loses at most one interval. An
  interrupt (KeyboardInterrupt: a second Ctrl+C, or the editor's Pause when a
  step runs long) stops even half-way through a step and saves the state of
  the last whole step, or, during an evaluation, the state with that
  evaluation still owed (it runs first on resume); the optimiser update, its
  counters and every save are never cut (``hold_signals.py``). A
  resume checks the manifest (every file's sha256, the counters' step) and
  refuses settings that would change the run (``run_folder.RESULT_SETTINGS``).
  Resuming is *exact*: the
  data order depends only on (seed, epoch), the batches of the current epoch
  already done are skipped, and the dropout RNG is reseeded from
  (seed, rank, step) before every step, so a resumed run ends with the very
  weights of an uninterrupted one;
* fine-tuning: with ``cfg.init_from`` (a checkpoint folder of the same
  architecture, whose card gave the task its config and vocabulary) the run
  starts from those weights, loaded strictly, and the card records
  ``training.fine_tuned_from`` (name, folder, weights sha256);
* DistributedDataParallel when started by ``torchrun`` (``WORLD_SIZE`` > 1):
  gloo on CPU, nccl on CUDA, one shard of the batches per rank, validation
  metrics summed over ranks, files written by rank 0 only.

``train`` is a Python generator: it yields :class:`TrainProgress` and returns a
dict of final metrics, so the GUI runs it in a worker like any other long job.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import platform
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import torch
from torch import nn

from app.core.errors import CheckpointError, DatasetError
from models.common import file_unit
from models.common.card import CARD, WEIGHTS, write_card
from models.common.checkpoint import (checkpoint_writers, load_checkpoint, load_resume, resume_writers, save_unit,
                                      verify_files, writers_for)
from models.common.device import gpu_memory_guard, resolve_device
from models.common.generator import Cancelled
from models.common.hold_signals import held_sigint
from models.common.optimisation import amp_setup, lr_at, make_optimizer, step_seed
from models.common.run_folder import base_card, check_resume_settings, fine_tune_record
from models.common.train_task import TrainConfig, TrainProgress, TrainRun, TrainTask

OOM_HINT = "lower the batch size or the model size, or train on the CPU"


def run_training(run: TrainRun, on_progress: Callable[[TrainProgress], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> dict:
    """Drive a training run to its end; on cancel, close it (saving resume state) and raise Cancelled."""
    while True:
        if cancelled is not None and cancelled():
            run.close()
            raise Cancelled("The training")
        try:
            progress = next(run)
        except StopIteration as stop:
            return dict(stop.value or {})
        if on_progress is not None:
            on_progress(progress)


def train(task: TrainTask, cfg: TrainConfig | None, out_dir: str | Path, resume: bool = False) -> TrainRun:
    """Train ``task``'s model into ``out_dir``; yields progress, returns the final metrics.

    Closing the generator saves a resume state and stops cleanly; call again
    with ``resume=True`` to continue exactly where it stopped.
    """
    run = _Run(task, cfg or TrainConfig(), Path(out_dir))
    try:
        if resume:
            run.restore()
        elif run.cfg.init_from:
            run.load_base()
        run.wrap()
        try:
            yield run.progress((f"resumed at step {run.c.step} on " if resume else "training on ") + run.device_name())
            yield from run.loop()
        except (GeneratorExit, KeyboardInterrupt):
            run.save_state()  # the last whole step (a step cut half-way is done again on resume)
            raise
        return run.finish()
    finally:
        run.close()


@dataclass
class _Counters:
    """Everything about a run's position and results that the resume state must carry."""

    step: int = 0
    epoch: int = 0  # the epoch in progress (0-based)
    batch: int = 0  # batches of that epoch already done
    best_loss: float | None = None
    best_acc: float | None = None
    best_step: int = 0
    bad_evals: int = 0  # evaluations since the best one
    last_eval_step: int = -1
    last_acc: float | None = None
    history: list = field(default_factory=list)  # [step, mean train loss, valid loss] per evaluation
    loss_sum: float = 0.0  # training loss since the last evaluation
    loss_count: int = 0
    tokens: int = 0
    seconds: float = 0.0  # of earlier sessions


class _Run:
    """One training run in this process: model, optimiser, counters, files."""

    def __init__(self, task: TrainTask, cfg: TrainConfig, out_dir: Path) -> None:
        self.task, self.cfg, self.out_dir = task, cfg, out_dir
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.device = resolve_device(cfg.device)
        self.rank, self.owns_group = 0, False
        if self.world > 1:
            self._init_distributed()
        self.main = self.rank == 0
        torch.manual_seed(cfg.seed)
        self.raw = task.build_model().to(self.device).train()
        self.model: nn.Module = self.raw
        self.params = sum(p.numel() for p in self.raw.parameters())
        self.opt = make_optimizer(self.raw, cfg)
        self.amp_dtype, self.scaler = amp_setup(cfg, self.device)
        self.per_epoch = [task.num_train_batches(e) // self.world for e in range(cfg.epochs)]
        if sum(self.per_epoch) == 0:
            raise DatasetError(f"There is not enough training data for one batch per process "
                               f"(batch size {cfg.batch_size}, {self.world} process(es)).")
        self.total = min(sum(self.per_epoch), cfg.max_steps or sum(self.per_epoch))
        self.c = _Counters()
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_unsaved = False  # a new best model waits for the next save
        self.session_steps = self.session_tokens = 0
        self.started = self.last_save = time.perf_counter()
        self.fingerprint = _fingerprint(task.card())
        self.base = base_card(cfg.init_from, task.card()["arch"]) if cfg.init_from else None

    def _init_distributed(self) -> None:
        import torch.distributed as dist

        if self.device.type == "cuda":
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(self.device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
            self.owns_group = True
        self.rank, self.world = dist.get_rank(), dist.get_world_size()

    def load_base(self) -> None:
        """Start from the weights of ``cfg.init_from`` (strictly: same architecture, sizes and vocabulary)."""
        state, _ = load_checkpoint(self.cfg.init_from, self.device)
        try:
            self.raw.load_state_dict(state, strict=True)
        except RuntimeError:
            raise CheckpointError(f"The weights in {self.cfg.init_from} do not fit this {self.base['arch']} model "
                                  "(its sizes or vocabulary differ); fine-tune with the base model's own settings.") from None

    def wrap(self) -> None:
        """Wrap in DistributedDataParallel under torchrun (after any resume, before training)."""
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = DistributedDataParallel(self.raw, device_ids=ids)

    def close(self) -> None:
        if self.owns_group:
            import torch.distributed as dist

            dist.destroy_process_group()
            self.owns_group = False

    def device_name(self) -> str:
        cuda = self.device.type == "cuda"
        name = torch.cuda.get_device_name(self.device) if cuda else platform.processor() or platform.machine()
        return f"{self.device.type} ({name})" + (f" x{self.world}" if self.world > 1 else "")

    # -- the loop -----------------------------------------------------------------

    def loop(self) -> Iterator[TrainProgress]:
        """Step through the remaining epochs (skipping the batches already done), yielding after every step."""
        c = self.c
        if c.step and c.last_eval_step != c.step and self.eval_due(end_of_epoch=c.batch == 0):
            self.after_step(end_of_epoch=c.batch == 0)  # the evaluation an interrupt cut short
        for epoch in range(c.epoch, self.cfg.epochs):
            if self.stopping():
                return
            n = self.per_epoch[epoch]
            for batch in itertools.islice(self.task.train_batches(epoch, self.rank, self.world), c.batch, n):
                if self.stopping():
                    return
                self.train_step(batch, epoch, n)
                message = self.after_step(end_of_epoch=c.batch == 0)
                file_unit.pause_point("step", c.step)
                yield self.progress(message, epoch + 1)
            c.epoch, c.batch = epoch + 1, 0

    def stopping(self) -> bool:
        early = self.cfg.patience > 0 and self.c.bad_evals >= self.cfg.patience
        return early or self.c.step >= self.total

    def train_step(self, batch: Any, epoch: int, n: int) -> None:
        """One optimiser step on batch ``c.batch`` of ``n`` in ``epoch`` (dropout seeded from (seed, rank, step)).

        An interrupt may cut the forward and backward passes (nothing is changed yet), never the update."""
        for group in self.opt.param_groups:
            group["lr"] = lr_at(self.c.step, self.cfg, self.total) * group.get("lr_scale", 1.0)
        torch.manual_seed(step_seed(self.cfg.seed, self.rank, self.c.step))
        with gpu_memory_guard(OOM_HINT):
            with self.autocast():
                loss, n_tokens, _ = self.task.loss(self.model, batch, self.device)
            self.opt.zero_grad(set_to_none=True)
            (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
            with held_sigint():
                self.update(float(loss.detach()), n_tokens, epoch, n)

    def update(self, loss: float, n_tokens: int, epoch: int, n: int) -> None:
        """The optimiser step and the counters that go with it (one piece: see :func:`held_sigint`; out of
        memory is caught by :meth:`train_step`'s guard)."""
        if self.scaler is not None:
            self.scaler.unscale_(self.opt)
        if self.cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(self.raw.parameters(), self.cfg.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            self.opt.step()
        c = self.c
        c.step += 1
        c.batch += 1
        if c.batch >= n:
            c.epoch, c.batch = epoch + 1, 0
        c.loss_sum += loss
        c.loss_count += 1
        c.tokens += n_tokens * self.world
        self.session_steps += 1
        self.session_tokens += n_tokens * self.world

    def after_step(self, end_of_epoch: bool) -> str:
        """Evaluate and save when due; returns the progress message."""
        message = self.evaluate_and_keep() if self.eval_due(end_of_epoch) else ""
        if self.best_unsaved or self.save_due():
            self.save_state()
        return message

    def eval_due(self, end_of_epoch: bool) -> bool:
        every, step = self.cfg.eval_every, self.c.step
        return bool((every and step % every == 0) or (not every and end_of_epoch) or step >= self.total)

    def save_due(self) -> bool:
        """Whether an interval (``checkpoint_every`` steps, or ``checkpoint_minutes``) has passed."""
        steps, minutes = self.cfg.checkpoint_every, self.cfg.checkpoint_minutes
        return bool((steps and self.c.step % steps == 0)
                    or (minutes and time.perf_counter() - self.last_save >= minutes * 60))

    def autocast(self):
        return nullcontext() if self.amp_dtype is None else torch.autocast(self.device.type, dtype=self.amp_dtype)

    # -- evaluation -----------------------------------------------------------------

    def evaluate(self, batches: Iterable[Any] | None) -> tuple[float, float, int] | None:
        """``(mean loss, accuracy, tokens)`` over ``batches`` (summed over ranks), or None if empty."""
        if batches is None:
            return None
        self.raw.eval()
        sums = torch.zeros(3, dtype=torch.float64, device=self.device)  # loss * tokens, tokens, correct
        with torch.no_grad(), gpu_memory_guard(OOM_HINT), self.autocast():
            for i, batch in enumerate(batches):
                if i % self.world == self.rank:
                    loss, n, correct = self.task.loss(self.raw, batch, self.device)
                    sums += torch.tensor([0.0, n, correct], dtype=torch.float64, device=self.device)
                    sums[0] += loss.detach().double() * n
        if self.world > 1:
            import torch.distributed as dist

            dist.all_reduce(sums)
        self.raw.train()
        total, tokens, correct = sums.tolist()
        return (total / tokens, correct / tokens, int(tokens)) if tokens else None

    def evaluate_and_keep(self) -> str:
        """Validate; keep and save the model when it is the best so far."""
        result = self.evaluate(self.task.valid_batches())  # an interrupt here leaves the evaluation owed
        with held_sigint():
            return self.keep(result)

    def keep(self, result: tuple[float, float, int] | None) -> str:
        c = self.c
        valid, c.last_acc = result[:2] if result else (None, None)
        c.history.append([c.step, c.loss_sum / c.loss_count if c.loss_count else None, valid])
        c.loss_sum, c.loss_count, c.last_eval_step = 0.0, 0, c.step
        if valid is not None and (math.isnan(valid) or (c.best_loss is not None and valid >= c.best_loss)):
            c.bad_evals += 1
            return f"valid {valid:.4f} (best {c.best_loss:.4f} at step {c.best_step})"
        c.bad_evals, c.best_loss, c.best_acc, c.best_step = 0, valid, c.last_acc, c.step
        self.best_state = {k: _as_saved(v, self.cfg.half_weights) for k, v in self.raw.state_dict().items()}
        self.best_unsaved = True  # saved with the resume state of this step, as one unit
        return f"valid {valid:.4f} (best)" if valid is not None else "saved"

    # -- files -----------------------------------------------------------------

    def seconds(self) -> float:
        return self.c.seconds + time.perf_counter() - self.started

    def metrics(self) -> dict[str, Any]:
        c, seconds = self.c, self.seconds()
        return {"best_valid_loss": _round(c.best_loss), "valid_accuracy": _round(c.best_acc),
                "best_step": c.best_step, "steps": c.step, "seconds": round(seconds, 2),
                "tokens_per_s": round(c.tokens / seconds, 1), "device": self.device_name(),
                "parameters": self.params, "stopped_early": self.cfg.patience > 0 and c.bad_evals >= self.cfg.patience}

    def card(self, test_metrics: dict[str, Any] | None = None) -> dict[str, Any]:
        """The task's card plus this run's training section and metrics."""
        card, m = dict(self.task.card()), self.metrics()
        card["training"] = dict(card.get("training", {}), config=asdict(self.cfg), device=m["device"],
                                world_size=self.world, seconds=m["seconds"], steps=self.c.step,
                                best_step=self.c.best_step, parameters=self.params, history=self.c.history,
                                tokens_per_s=m["tokens_per_s"], stopped_early=m["stopped_early"],
                                amp=str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else None)
        if self.base is not None:
            base = fine_tune_record(self.cfg.init_from, self.base)
            card["training"]["fine_tuned_from"] = dict(base, **(card["training"].get("fine_tuned_from") or {}))
        card["metrics"] = dict(card.get("metrics", {}), valid_cross_entropy=m["best_valid_loss"],
                               valid_accuracy=m["valid_accuracy"], **(test_metrics or {}))
        card["parameters"] = self.params
        return card

    def save_state(self, finished: bool = False) -> None:
        """Write the resume state (counters, optimiser, RNG, last weights) and, when there is a new one,
        the best model, as one unit naming this step (rank 0 only); never cut by an interrupt."""
        with held_sigint():
            self._save_state(finished)

    def _save_state(self, finished: bool) -> None:
        if self.main:
            info = dict(asdict(self.c), seconds=self.seconds(), task=self.fingerprint, total_steps=self.total,
                        finished=finished, config=asdict(self.cfg),
                        scaler=self.scaler.state_dict() if self.scaler is not None else None)
            resume = resume_writers(self.opt, info, {"model." + k: v for k, v in self.raw.state_dict().items()})
            best = checkpoint_writers(self.best_state, self.card(), self.cfg.half_weights) \
                if self.best_unsaved and self.best_state is not None else {}
            save_unit(self.out_dir, writers_for(best, resume), self.c.step)
        self.best_unsaved = False
        self.last_save = time.perf_counter()

    def restore(self) -> None:
        """Load the resume state in ``out_dir`` (weights, optimiser, counters, best model), all of one step."""
        info, extra = load_resume(self.out_dir, self.opt)
        if info.get("task") != self.fingerprint:
            raise CheckpointError(f"The training state in {self.out_dir} belongs to another model, vocabulary "
                                  "or dataset; use a new output folder or drop --resume.")
        check_resume_settings(self.out_dir, info.get("config"), asdict(self.cfg))
        try:
            self.raw.load_state_dict({k[len("model."):]: v for k, v in extra.items() if k.startswith("model.")})
            self.c = _Counters(**{f.name: info[f.name] for f in fields(_Counters)})
        except (KeyError, RuntimeError, TypeError):
            raise CheckpointError(f"The training state in {self.out_dir} is damaged; start a new run.") from None
        if self.scaler is not None and info.get("scaler"):
            self.scaler.load_state_dict(info["scaler"])
        manifest = file_unit.read_manifest(self.out_dir)
        if manifest is not None and WEIGHTS in manifest["files"]:
            verify_files(self.out_dir, manifest, (WEIGHTS, CARD))
            self.best_state, _ = load_checkpoint(self.out_dir, self.device)
        elif manifest is None and (self.out_dir / WEIGHTS).is_file() and self.c.last_eval_step >= 0:
            self.best_state, _ = load_checkpoint(self.out_dir, self.device)

    def finish(self) -> dict[str, Any]:
        """Evaluate the last step if needed, save state, test the best model, complete its card. With
        ``keep="last"`` the final step's weights are the model, whatever validation preferred (a GAN whose
        validation measure favours its early, quiet steps)."""
        if self.c.last_eval_step != self.c.step:
            self.evaluate_and_keep()
        if self.cfg.keep == "last" and self.c.best_step != self.c.step:
            c = self.c
            c.best_step, c.best_acc = c.step, c.last_acc
            c.best_loss = c.history[-1][2] if c.history else c.best_loss
            self.best_state = {k: _as_saved(v, self.cfg.half_weights) for k, v in self.raw.state_dict().items()}
            self.best_unsaved = True
        self.save_state(finished=True)  # with the best model, if it is new: one unit
        test: dict[str, Any] = {}
        if self.best_state is not None:
            self.raw.load_state_dict(self.best_state)
            result = self.evaluate(self.task.test_batches())
            if result is not None:
                test = {"test_cross_entropy": round(result[0], 4), "test_accuracy": round(result[1], 4),
                        "test_tokens": result[2]}
        if self.main and file_unit.resolve(self.out_dir, WEIGHTS).is_file():
            write_card(self.out_dir, self.card(test), "float16" if self.cfg.half_weights else "float32")
        return dict(self.metrics(), **test)

    def progress(self, message: str, epoch: int | None = None) -> TrainProgress:
        c, elapsed = self.c, time.perf_counter() - self.started
        evaluated = bool(c.history) and c.history[-1][0] == c.step
        train_loss = c.loss_sum / c.loss_count if c.loss_count else (c.history[-1][1] if evaluated else None)
        text = f"step {c.step}/{self.total}" + (f" loss {train_loss:.4f}" if train_loss is not None else "")
        return TrainProgress(
            step=c.step, epoch=epoch or min(c.epoch + 1, self.cfg.epochs), total_steps=self.total,
            train_loss=train_loss, valid_loss=c.history[-1][2] if evaluated else None,
            valid_accuracy=c.last_acc if evaluated else None,
            tokens_per_s=self.session_tokens / elapsed if elapsed > 0 else 0.0,
            eta_s=(self.total - c.step) * elapsed / self.session_steps if self.session_steps else None,
            lr=self.opt.param_groups[0]["lr"], message=f"{text} {message}".strip())


def _as_saved(tensor: torch.Tensor, half: bool) -> torch.Tensor:
    """A detached copy, rounded through fp16 when the checkpoint stores fp16 (so tests see those weights)."""
    copy = tensor.detach().clone()
    return copy.half().float() if half and copy.is_floating_point() else copy


def _fingerprint(card: dict[str, Any]) -> str:
    """Identifies the model config, vocabulary and data a resume state belongs to."""
    keys = {k: card.get(k) for k in ("arch", "config", "vocabulary")}
    keys["data"] = card.get("training", {}).get("data")
    return hashlib.sha1(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
