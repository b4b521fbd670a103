"""Training in a child process: ``cadenza train --json-progress`` under a QProcess.

The child runs the very command a user would type, so a crash in training
(or running out of memory) cannot take the editor down. Its JSON lines become
signals: ``progress(dict)`` (the fields of ``TrainProgress``; a one-pass
trainer's carry a message and no steps), ``finished(dict)`` (the final ``{"done": true, "out",
"metrics"}`` line), ``failed(str)`` (the child's one-sentence ``error: ...``)
and ``state_changed(str)``.

Pausing asks the child to stop at its next step and save its resume state
(SIGINT on POSIX, a ``pause`` line on stdin elsewhere; on POSIX a second
SIGINT after ``NUDGE_MS`` stops a step that runs long half-way, with the
state of the last whole step saved, so a pause never waits on a long step).
Once the child has said its last sentence (its state is saved by then) it is
ended at once, so ``paused`` comes within a step instead of after the seconds
a Python process with torch and a corpus in memory takes to tear down.
Resuming starts it again with ``--resume``. The arguments of a run are kept
beside it in ``training_run.json``, so a run left unfinished when the app
closed is found again by :func:`unfinished_runs` and resumed with the same
settings.
QtCore only: no widgets, no torch.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from app.core.paths import user_models_dir
from models.common.train_request import HYPERPARAMETERS, flag as _flag

RUN_FILE = "training_run.json"
RUN_VERSION = 2  # 2: sizes as one mapping (version 1 had hidden and layers fields)
LEGACY_SIZES = ("hidden", "layers")
RESUME_JSON = "resume.json"  # models.common.checkpoint's names (that module imports torch)
RESUME_TENSORS = "resume.safetensors"
STDERR_KEEP = 16_384
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NUDGE_MS = 1000  # a stop not done by then is asked again, which cuts the step under way (see train_loop)

# states of a TrainingProcess
IDLE, RUNNING, PAUSING, PAUSED, STOPPING, CANCELLED, FINISHED, FAILED = (
    "idle", "running", "pausing", "paused", "stopping", "cancelled", "finished", "failed")


@dataclass
class TrainArgs:
    """Everything ``cadenza train`` is given for one run (None, or absent from ``sizes``: the model's default)."""

    model: str
    data: list[str]
    out: str
    device: str = "auto"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    max_steps: int | None = None
    seed: int | None = None
    keep: str | None = None  # "best" or "last": the model the run writes (None: best)
    checkpoint_every: str | None = None  # "200" (steps) or "10m" (minutes); None: the default (200 steps)
    sizes: dict[str, Any] = field(default_factory=dict)  # the spec's size fields, e.g. {"hidden": 64, "cell": "gru"}
    extras: dict[str, str] = field(default_factory=dict)  # the spec's own training options
    fine_tune: str = ""

    def argv(self, resume: bool = False) -> list[str]:
        """The ``cadenza`` arguments of this run (``--resume`` continues it)."""
        args = ["train", "--model", self.model]
        for spec in self.data:
            args += ["--data", spec]
        for name in HYPERPARAMETERS:
            value = getattr(self, name)
            if value is not None:
                args += [_flag(name), str(value)]
        if self.checkpoint_every:
            args += ["--checkpoint-every", str(self.checkpoint_every)]
        for name, value in [*self.sizes.items(), *self.extras.items()]:
            if value not in (None, ""):
                args += [_flag(name), str(value)]
        if self.fine_tune:
            args += ["--fine-tune", self.fine_tune]
        return args + ["--resume" if resume else "--out", self.out, "--device", self.device, "--json-progress"]

    def save(self) -> None:
        folder = Path(self.out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / RUN_FILE).write_text(json.dumps({"version": RUN_VERSION, "args": asdict(self)}, indent=2))

    @classmethod
    def load(cls, folder: str | Path) -> "TrainArgs | None":
        """The arguments saved in a run folder (None when there are none, or they are unreadable)."""
        try:
            saved = dict(json.loads((Path(folder) / RUN_FILE).read_text())["args"])
            sizes = dict(saved.get("sizes") or {})
            for name in LEGACY_SIZES:  # version 1 kept the sizes as fields of their own
                if saved.get(name) is not None:
                    sizes[name] = saved[name]
            known = {f.name for f in fields(cls)}
            return cls(**{k: v for k, v in saved.items() if k in known and k != "sizes"}, sizes=sizes)
        except (OSError, ValueError, KeyError, TypeError):
            return None


def resume_info(folder: str | Path) -> dict | None:
    """The counters of a run's resume state (step, total_steps, finished, history...), or None."""
    folder = Path(folder)
    if not (folder / RESUME_TENSORS).is_file():
        return None
    try:
        info = json.loads((folder / RESUME_JSON).read_text())["info"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if isinstance(info, dict) else None


@dataclass(frozen=True)
class UnfinishedRun:
    """A run with a resume state and no end: ``args`` start it again with ``--resume``."""

    folder: Path
    args: TrainArgs
    step: int
    total_steps: int


def unfinished_runs(root: Path | None = None) -> list[UnfinishedRun]:
    """Runs in the user models folder (or ``root``) that stopped before their end, newest first."""
    root = root or user_models_dir()
    found = []
    if root.is_dir():
        for folder in (p for p in root.iterdir() if p.is_dir()):
            args, info = TrainArgs.load(folder), resume_info(folder)
            if args is not None and info is not None and not info.get("finished"):
                found.append(UnfinishedRun(folder, args, int(info.get("step", 0)), int(info.get("total_steps", 0))))
    return sorted(found, key=lambda r: r.folder.stat().st_mtime, reverse=True)


# -- the models a run starts from, ends as, and is compared with -------------------------------
@functools.lru_cache(maxsize=None)
def bundled_card(kind: str) -> dict | None:
    """The card of the bundled model of this kind (they ship with the app, so they are read once)."""
    from models.registry import list_models

    return next((e.card for e in list_models() if e.bundled and e.arch == kind), None)


def checkpoints_of(kind: str) -> list[tuple[str, Path, bool]]:
    """``(name, folder, bundled)`` of every bundled and user checkpoint of this kind (fine-tuning bases)."""
    from models.registry import list_models

    return [(e.name, e.path, e.bundled) for e in list_models() if e.arch == kind]


def read_model_card(folder: str | Path) -> dict:
    """A trained model's card (CheckpointError with one sentence when it is missing or damaged)."""
    from models.common.card import read_card

    return read_card(folder)


def compare_base(card: dict) -> Path | None:
    """The checkpoint to compare a new model with: its fine-tuning base, else the bundled model of its kind."""
    base = (card.get("training", {}).get("fine_tuned_from") or {}).get("checkpoint")
    if base and Path(base).is_dir():
        return Path(base)
    return next((path for _, path, bundled in checkpoints_of(card.get("arch", "")) if bundled), None)


def compare_job(folders: list[Path], bars: int, temperature: float, random_seed: int, device: str = "auto"):
    """Generate one variation from each checkpoint with the same request (a TaskRunner job:
    yields Progress, returns the scores). The temperature goes to the models that take it."""
    from models.common.generator import GenerationRequest
    from models.common.options import resolve_options
    from models.registry import load_generator

    scores = []
    for folder in folders:
        gen = load_generator(checkpoint=folder, device=device)
        given = {"temperature": temperature} if "temperature" in gen.options else {}
        request = GenerationRequest(bars=bars, random_seed=random_seed, device=device,
                                    options=resolve_options(gen.name, gen.options, given))
        scores += (yield from gen.generate(request))[:1]
    return scores


def compute_devices() -> list[str]:
    """The devices training can use here, best first (a TaskRunner job: it imports torch)."""
    from models.common.device import available_devices

    return available_devices()


def child_command(argv: list[str]) -> tuple[str, list[str]]:
    """``(program, arguments)`` that run ``cadenza ARGV`` (the frozen app is its own ``cadenza``)."""
    if getattr(sys, "frozen", False):
        return sys.executable, argv
    return sys.executable, ["-m", "app", *argv]


def error_sentence(stderr: str, exit_code: int, crashed: bool) -> str:
    """The child's own ``error: ...`` sentence, or one saying how it ended."""
    for line in reversed(stderr.strip().splitlines()):
        if line.startswith("error: "):
            return line[len("error: "):].strip()
    if crashed:
        return "The training process crashed; the editor is unaffected and the run's last saved state is kept."
    return f"The training process ended (code {exit_code}) without a result; see the log for details."


def said_last_word(stderr: str) -> bool:
    """Whether the child has printed its closing ``error: ...`` line (after it, it only exits)."""
    lines = stderr.splitlines()
    return stderr.endswith("\n") and bool(lines) and lines[-1].startswith("error: ")


class TrainingProcess(QObject):
    """One ``cadenza train`` child at a time, with pause, resume and cancel."""

    progress = Signal(dict)
    finished = Signal(dict)
    failed = Signal(str)
    state_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = IDLE
        self.args: TrainArgs | None = None
        self.last_progress: dict = {}
        self.stderr = ""
        self._proc: QProcess | None = None
        self._buffer = b""
        self._final: dict | None = None
        self._stop = ""  # "pause" or "cancel" once asked

    # -- control ----------------------------------------------------------------
    def start(self, args: TrainArgs, resume: bool = False) -> None:
        """Start (or with ``resume``, continue) the run ``args`` describes."""
        if self.is_running():
            raise RuntimeError("a training run is already going")
        args.save()
        self.args, self.last_progress, self.stderr = args, {}, ""
        self._buffer, self._final, self._stop = b"", None, ""
        proc = QProcess(self)
        program, arguments = child_command(args.argv(resume))
        proc.setProgram(program)
        proc.setArguments(arguments)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        if not getattr(sys, "frozen", False):  # `-m app` from any working folder
            env.insert("PYTHONPATH", os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.value("PYTHONPATH")])))
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._on_proc_stdout)
        proc.readyReadStandardError.connect(self._on_proc_stderr)
        proc.finished.connect(self._on_proc_finished)
        proc.errorOccurred.connect(self._on_proc_error)
        self._proc = proc
        self._set_state(RUNNING)
        proc.start()

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning

    def pid(self) -> int:
        return int(self._proc.processId()) if self.is_running() else 0

    def pause(self) -> None:
        """Ask the child to stop at its next step with its state saved (it then ends: state ``paused``)."""
        if self.is_running() and not self._stop:
            self._stop = "pause"
            self._ask_stop()
            self._set_state(PAUSING)

    def cancel(self) -> None:
        """Stop the run (its state is saved, so a kept partial run can still be resumed)."""
        if self.is_running():
            self._stop = "cancel"
            self._ask_stop()
            self._set_state(STOPPING)
        elif self.state in (PAUSED, FAILED, IDLE):
            self._set_state(CANCELLED)

    def kill(self) -> None:
        """End the child at once (no state saved beyond its last periodic one)."""
        if self.is_running():
            self._stop = self._stop or "cancel"
            self._proc.kill()

    def shutdown(self, wait_ms: int = 8000) -> None:
        """On close: pause (saving state), wait for the child, kill it if it lingers; no signal after this."""
        if not self.is_running():
            return
        proc = self._proc
        for signal_name in ("readyReadStandardOutput", "readyReadStandardError", "finished", "errorOccurred"):
            getattr(proc, signal_name).disconnect()
        self._stop = "pause"
        self._ask_stop()
        said, waited = "", 0
        while not proc.waitForFinished(50) and waited < wait_ms:
            waited += 50
            if waited == NUDGE_MS and os.name == "posix":
                os.kill(proc.processId(), signal.SIGINT)  # a long step: cut it (see _nudge)
            said = (said + bytes(proc.readAllStandardError()).decode(errors="replace"))[-STDERR_KEEP:]
            if said_last_word(said):
                break
        if proc.state() != QProcess.ProcessState.NotRunning:
            proc.kill()
            proc.waitForFinished(3000)
        self._proc = None
        self.state = PAUSED

    def _ask_stop(self) -> None:
        if os.name == "posix":
            os.kill(self._proc.processId(), signal.SIGINT)
            proc = self._proc  # the timer dies with it: a child gone by then is not asked
            QTimer.singleShot(NUDGE_MS, proc, lambda: self._nudge(proc))
        else:
            self._proc.write(b"pause\n")

    def _nudge(self, proc: QProcess) -> None:
        """Ask again a child still running a step long after the first ask: it stops that step half-way."""
        if proc is self._proc and self._stop and self.is_running() and not said_last_word(self.stderr):
            os.kill(proc.processId(), signal.SIGINT)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    # -- the child's output -------------------------------------------------------
    def _on_proc_stdout(self) -> None:
        self._buffer += bytes(self._proc.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue  # not ours (a library printing); the JSON lines are what count
            if not isinstance(item, dict):
                continue
            if item.get("done"):
                self._final = item
            else:
                self.last_progress = item
                self.progress.emit(item)

    def _on_proc_stderr(self) -> None:
        self.stderr = (self.stderr + bytes(self._proc.readAllStandardError()).decode(errors="replace"))[-STDERR_KEEP:]
        if self._stop and said_last_word(self.stderr) and self.is_running():
            self._proc.kill()  # stopped, state saved, sentence said: skip the interpreter's slow teardown

    def _on_proc_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._on_proc_stdout()
        self._buffer += b"\n"
        self._on_proc_stdout()
        self._on_proc_stderr()
        stop = self._stop
        if self._final is not None and exit_code == 0:
            self._set_state(FINISHED)
            self.finished.emit(self._final)
        elif stop == "pause":
            self._set_state(PAUSED if resume_info(self.args.out) is not None else CANCELLED)
        elif stop == "cancel":
            self._set_state(CANCELLED)
        else:
            self._set_state(FAILED)
            self.failed.emit(error_sentence(self.stderr, exit_code, status == QProcess.ExitStatus.CrashExit))

    def _on_proc_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._set_state(FAILED)
            self.failed.emit(f"The training process could not start ({self._proc.errorString()}).")
