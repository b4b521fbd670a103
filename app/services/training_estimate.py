"""How long a training run will take, and on which device that figure holds.

Two sources: the bundled model's card (its training seconds, epochs, tokens
per second and device, scaled to the chosen data and epochs) answers at once
when the run resembles it; :class:`SpeedProbe` measures a few real steps of
the very run in a throw-away child process on the chosen device, and scales
the time per step to the run's total steps. QtCore only.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.services.training import CANCELLED, FAILED, FINISHED, TrainArgs, TrainingProcess

PROBE_STEPS = 6  # timed steps after the first (which pays for warm-up)
PROBE_LIMIT_S = 40.0  # after the first step, stop measuring after this long with what there is
TRAINING_ON = "training on "  # how train_loop's first report names its device ("step 0/N training on cpu (x86_64)")


@dataclass(frozen=True)
class Estimate:
    seconds: float
    device: str  # the device the figure is for, e.g. "cpu (x86_64)"
    basis: str  # how the figure was found, one phrase

    def text(self) -> str:
        return f"About {format_duration(self.seconds)} on {self.device} ({self.basis})."


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def card_estimate(card: dict[str, Any], data: list[str], epochs: int | None, device: str,
                  one_pass: bool = False) -> Estimate | None:
    """The bundled ``card``'s training time scaled to ``data`` and ``epochs``, if it trained on that
    device kind (``cpu``, ``cuda``...) and data; None when the card cannot say (then measure).

    A ``one_pass`` model (its spec takes no hyperparameters) goes over the data once, on the CPU, so
    only the data's share counts."""
    training = card.get("training", {})
    trained_on, card_device = list(training.get("data") or []), str(training.get("device", ""))
    seconds = float(training.get("seconds") or 0)
    name = card.get("name", card.get("arch"))
    if not seconds or not data or any(spec not in trained_on for spec in data):
        return None
    if not one_pass and card_device.split(" ")[0] != device:
        return None
    seconds *= _share(training.get("datasets") or {}, data, trained_on)
    if one_pass:
        return Estimate(seconds, card_device, f"one pass, from the bundled {name} model's training time")
    card_epochs = int(training.get("config", {}).get("epochs") or 1)
    seconds = seconds / card_epochs * (epochs or card_epochs)
    speed = training.get("tokens_per_s")
    basis = f"from the bundled {name} model's speed"
    basis += f", {speed:,.0f} tokens/s" if speed else ""
    return Estimate(seconds, card_device, basis + "; early stopping can end it sooner")


def _share(datasets: dict[str, Any], data: list[str], trained_on: list[str]) -> float:
    """Which part of the card's data ``data`` is, by item (or file) counts where the card has them."""
    def size(spec: str) -> float:
        info = datasets.get(spec) or {}
        return float(info.get("items") or info.get("files") or 0)

    total = sum(size(s) for s in trained_on)
    return sum(size(s) for s in data) / total if total else len(data) / max(1, len(trained_on))


class SpeedProbe(QObject):
    """Times a few steps of a run in a child process (into a temporary folder) and scales them up."""

    measured = Signal(object)  # Estimate
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process = TrainingProcess(self)
        self.process.progress.connect(self._on_process_progress)
        self.process.failed.connect(self._on_process_failed)
        self.process.state_changed.connect(self._on_process_state_changed)
        self._folder: Path | None = None
        self._times: list[tuple[float, int]] = []
        self._total, self._device, self._result = 0, "", None
        self._limit = QTimer(self, singleShot=True, interval=int(PROBE_LIMIT_S * 1000))
        self._limit.timeout.connect(self._stop)

    def is_running(self) -> bool:
        return self.process.is_running()

    def start(self, args: TrainArgs) -> None:
        """Measure ``args``'s run (its own output folder is left alone)."""
        if self.is_running():
            return
        self._folder = Path(tempfile.mkdtemp(prefix="cadenza-probe-"))
        self._times, self._total, self._device, self._result = [], 0, "", None
        self.process.start(replace(args, out=str(self._folder / "run")))

    def cancel(self) -> None:
        self._result = "cancelled"
        self.process.kill()

    def shutdown(self) -> None:
        self.process.shutdown(wait_ms=0)
        self._clean()

    def _on_process_progress(self, item: dict) -> None:
        message = str(item.get("message", ""))
        if TRAINING_ON in message:
            self._device = message.split(TRAINING_ON, 1)[1]
        step, total = int(item.get("step") or 0), int(item.get("total_steps") or 0)
        if total and step >= 1:
            self._total = total
            self._times.append((time.perf_counter(), step))
            if len(self._times) == 1:
                self._limit.start()
            if len(self._times) > PROBE_STEPS:
                self._stop()

    def _stop(self) -> None:
        if len(self._times) >= 2:
            (t0, s0), (t1, s1) = self._times[0], self._times[-1]
            per_step = (t1 - t0) / max(1, s1 - s0)
            self._result = Estimate(per_step * self._total, self._device or self.process.args.device,
                                    f"measured here over {s1 - s0} steps, {per_step:.2f} s each; "
                                    "early stopping can end it sooner")
        self.process.kill()

    def _on_process_failed(self, message: str) -> None:
        self._result = message

    def _on_process_state_changed(self, state: str) -> None:
        if state not in (FINISHED, CANCELLED, FAILED):
            return
        self._limit.stop()
        self._clean()
        result, self._result = self._result, None
        if isinstance(result, Estimate):
            self.measured.emit(result)
        elif result == "cancelled":
            return
        elif result is not None:
            self.failed.emit(result)
        elif state == FINISHED and self._times:  # the whole run was shorter than the probe
            seconds = self._times[-1][0] - self._times[0][0]
            self.measured.emit(Estimate(seconds, self._device or "this machine", "the whole run, measured here"))
        else:
            self.failed.emit("The measurement stopped before it could time enough steps.")

    def _clean(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
