"""The Training dialog: choose, estimate, train in a child process, watch, pause, resume, compare.

Training runs as ``cadenza train`` in a child process (``TrainingProcess``),
so the editor keeps working and a crash in training cannot take it down. The
dialog shows a progress bar, the time left, a live loss plot and one sentence
of status; Pause saves the run's state and Resume continues it, also after
Cadenza was closed (the unfinished runs are listed). A finished run is a user
model: ``model_trained(Path)`` is emitted, the window's model selector is
refreshed, and its card is shown with a comparison against its base model.
Closing the dialog or the window pauses a running child (state saved) and
waits for it to end.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import (QApplication, QDialog, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar,
                               QPushButton, QVBoxLayout, QWidget)

from app.core.errors import CadenzaError
from app.core.paths import user_models_dir
from app.services.training import (CANCELLED, FAILED, FINISHED, PAUSED, PAUSING, RUN_FILE, RUNNING, STOPPING,
                                   TrainArgs, TrainingProcess, bundled_card, compare_base, compute_devices,
                                   read_model_card, resume_info)
from app.services.training_estimate import Estimate, SpeedProbe, card_estimate, format_duration
from app.tasks import TaskKind, TaskRunner
from app.ui.training.form import FOLDER, TrainingForm, spec_named
from app.ui.training.loss_plot import LossPlot
from app.ui.training.result import COMPARE_KIND, CompareView, card_summary
from app.ui.training.runs import UnfinishedRuns

DEVICES_KIND = TaskKind.TRAINING_DEVICES
ERROR_STYLE = "color: #e0605a;"
BUSY = (RUNNING, PAUSING, STOPPING)


DEVICE_NAMES = {"cpu": "CPU", "cuda": "GPU", "mps": "Apple GPU"}


class TrainingDialog(QDialog):
    """Train or fine-tune a model; non-modal, so the editor stays in use."""

    model_trained = Signal(Path)

    def __init__(self, window: QWidget | None = None, runner: TaskRunner | None = None, player=None) -> None:
        super().__init__(window)
        self.setWindowTitle("Train a Model")
        self.window_ = window
        shared = runner or getattr(window, "runner", None)
        self.runner = shared or TaskRunner(self)
        self._own_runner = shared is None
        self.player = player or getattr(window, "player", None)
        self.process = TrainingProcess(self)
        self.probe = SpeedProbe(self)
        self.current: TrainArgs | None = None
        self._discard = False
        self._closed = False
        self.form = TrainingForm()
        self.runs = UnfinishedRuns()
        self.estimate = QLabel(wordWrap=True)
        self.measure = QPushButton("Measure")
        self.measure.setToolTip("Time a few training steps of this run on the chosen device")
        self.bar = QProgressBar()
        self.eta = QLabel()
        self.status = QLabel(wordWrap=True)
        self.plot = LossPlot()
        self.card = QLabel(wordWrap=True)
        self.compare = CompareView(self.runner, self.player)
        self.buttons = {name: QPushButton(text) for name, text in (
            ("start", "Start training"), ("pause", "Pause"), ("resume", "Resume"), ("cancel", "Cancel run…"),
            ("close", "Close"))}
        self._build()
        self._connect()
        self.runs.refresh()
        self._update_estimate()
        self._update_buttons()
        self.runner.start(DEVICES_KIND, compute_devices, on_result=self._on_devices_found,
                          on_error=lambda _: self._on_devices_found(["cpu"]))

    def _build(self) -> None:
        estimate_row = QHBoxLayout()
        estimate_row.addWidget(self.estimate, 1)
        estimate_row.addWidget(self.measure)
        choose = QGroupBox("What to train")
        choose_layout = QVBoxLayout(choose)
        choose_layout.addWidget(self.form)
        choose_layout.addLayout(estimate_row)
        run = QGroupBox("Run")
        run_layout = QVBoxLayout(run)
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.bar, 1)
        bar_row.addWidget(self.eta)
        run_layout.addLayout(bar_row)
        run_layout.addWidget(self.status)
        run_layout.addWidget(self.plot, 1)
        self.result_box = QGroupBox("Result")
        result_layout = QVBoxLayout(self.result_box)
        result_layout.addWidget(self.card)
        result_layout.addWidget(self.compare)
        self.result_box.hide()
        buttons = QHBoxLayout()
        for name in ("cancel", "pause", "resume"):
            buttons.addWidget(self.buttons[name])
        buttons.addStretch(1)
        buttons.addWidget(self.buttons["start"])
        buttons.addWidget(self.buttons["close"])
        self.buttons["start"].setDefault(True)
        layout = QVBoxLayout(self)
        for widget in (choose, self.runs, run, self.result_box):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.resize(980, 960)

    def _connect(self) -> None:
        b = self.buttons
        b["start"].clicked.connect(self.start)
        b["pause"].clicked.connect(self.process.pause)
        b["resume"].clicked.connect(lambda: self.current and self._run(self.current, resume=True))
        b["cancel"].clicked.connect(self.cancel)
        b["close"].clicked.connect(self.close)
        self.measure.clicked.connect(self._on_measure_clicked)
        self.form.changed.connect(self._on_form_changed)
        self.process.progress.connect(self._on_process_progress)
        self.process.finished.connect(self._on_process_finished)
        self.process.failed.connect(self._on_process_failed)
        self.process.state_changed.connect(self._on_process_state_changed)
        self.probe.measured.connect(lambda e: self.estimate.setText(e.text()))
        self.probe.failed.connect(lambda m: self.estimate.setText(f"Measuring failed: {m}"))
        self.probe.process.state_changed.connect(lambda _: self.measure.setEnabled(self._can_measure()))
        self.runs.resume_requested.connect(lambda run: self._run(run.args, resume=True))
        self.runs.discard_requested.connect(self._on_runs_discard_requested)
        self._watch_closing()

    def _watch_closing(self) -> None:
        """Stop the run when the window closes or the app quits (see :meth:`shutdown`)."""
        if self.window_ is not None:
            self.window_.installEventFilter(self)
        QApplication.instance().aboutToQuit.connect(self.shutdown)

    # -- status ------------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        """One sentence under the progress bar (errors in red)."""
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def _update_buttons(self) -> None:
        state, b = self.process.state, self.buttons
        busy = state in BUSY
        resumable = self.current is not None and state in (PAUSED, FAILED) and resume_info(self.current.out) is not None
        b["start"].setEnabled(not busy)
        pausable = self.current is None or self._can_resume(self.current.model)
        b["pause"].setEnabled(state == RUNNING and self.current is not None and pausable)
        b["pause"].setToolTip("Stop at the next step and save the run, to resume later" if pausable else
                              f"The {self.current.model} model cannot pause: a run of it goes over the data once.")
        b["resume"].setEnabled(resumable)
        b["cancel"].setEnabled(busy or resumable)
        self.form.setEnabled(not busy)
        self.runs.refresh(busy, exclude=self.current.out if busy and self.current else None)
        self.measure.setEnabled(self._can_measure())

    @staticmethod
    def _can_resume(model: str) -> bool:
        spec = spec_named(model)
        return spec is None or spec.can_resume  # a model no longer installed: its child says what is wrong

    def _can_measure(self) -> bool:
        """Only a model that trains in steps can have a few of them timed."""
        return (self.form.spec().training.hyperparameters and not self.probe.is_running()
                and self.process.state not in BUSY)

    def _on_form_changed(self) -> None:
        if self.probe.is_running():  # it measures a run that is no longer the one chosen
            self.probe.cancel()
        self._update_estimate()

    def _update_estimate(self) -> None:
        """A figure from the bundled card when it applies; otherwise say Measure does it."""
        form, spec = self.form, self.form.spec()
        card, device, one_pass = bundled_card(spec.name), form.device_kind(), not spec.training.hyperparameters
        estimate: Estimate | None = None
        if card is not None and form.sizes_are_default() and not (not one_pass and form.max_steps.value()):
            estimate = card_estimate(card, form.data_specs(), form.epochs.value(), device, one_pass=one_pass)
        if estimate is not None:
            self.estimate.setText(estimate.text())
        elif one_pass:
            self.estimate.setText(f"The {spec.name} model goes over the files once (there are no steps to time): "
                                  "seconds for a folder, longer for the bundled corpora.")
        else:
            where = "your files" if form.data.currentData() == FOLDER else "this data and these settings"
            self.estimate.setText(f"No time estimate yet for {where} on the {DEVICE_NAMES.get(device, device)}: "
                                  "Measure times a few steps and says how long the whole run will take.")
        self.measure.setEnabled(self._can_measure())

    def _on_measure_clicked(self) -> None:
        try:
            args = self.form.args(user_models_dir())
        except CadenzaError as exc:
            self.estimate.setText(str(exc))
            return
        self.estimate.setText(f"Measuring a few steps on {self.form.device_kind()} (loading the data first)…")
        self.probe.start(args)
        self.measure.setEnabled(False)

    def _on_devices_found(self, devices: list[str]) -> None:
        self.form.set_devices(devices)
        if not self.probe.is_running():
            self._update_estimate()

    # -- running ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start a new run from the form (one sentence in the panel when the form is incomplete)."""
        try:
            args = self.form.args(user_models_dir())
        except CadenzaError as exc:
            self.say(str(exc), error=True)
            return
        self._run(args, resume=False)

    def _run(self, args: TrainArgs, resume: bool) -> None:
        if self.process.state in BUSY:
            return
        if self.probe.is_running():
            self.probe.cancel()
        self.current, self._discard = args, False
        self.result_box.hide()
        self.plot.set_history((resume_info(args.out) or {}).get("history", []) if resume else [])
        self.bar.setRange(0, 0)
        self.eta.clear()
        self.say(f"Resuming {Path(args.out).name}…" if resume else "Loading the data…")
        self.process.start(args, resume=resume)
        self._update_buttons()

    def _on_process_progress(self, item: dict) -> None:
        total, step = int(item.get("total_steps") or 0), int(item.get("step") or 0)
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(min(step, total))
        eta = item.get("eta_s")
        self.eta.setText(f"{format_duration(eta)} left" if eta is not None and total else "")
        self.plot.add(item)
        if item.get("message"):
            self.say(str(item["message"]))

    def _on_process_finished(self, final: dict) -> None:
        out = Path(final.get("out") or self.current.out)
        try:
            card = read_model_card(out)
        except CadenzaError as exc:
            self.say(str(exc), error=True)
            return
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.eta.clear()
        self.card.setText(card_summary(out.name, card))
        self.compare.set_models(out, compare_base(card), card.get("arch", ""))
        self.result_box.show()
        self.say(f"Saved as your model '{out.name}'; it is in the model selector now.")
        self.model_trained.emit(out)
        generation = getattr(self.window_, "generation", None)
        if generation is not None and hasattr(generation, "refresh_models"):
            generation.refresh_models()

    def _on_process_failed(self, message: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.eta.clear()
        self.say(message, error=True)

    def _on_process_state_changed(self, state: str) -> None:
        if state == PAUSED:
            step = (resume_info(self.current.out) or {}).get("step", 0)
            self.say(f"Paused at step {step}; Resume continues from there, even after Cadenza is closed.")
        elif state == PAUSING:
            self.say("Pausing at the next step…")
        elif state == CANCELLED:
            self._end_cancel()
        if state in (PAUSED, CANCELLED, FINISHED, FAILED):
            self.eta.clear()
        self._update_buttons()

    # -- cancel, discard -----------------------------------------------------------------------
    def ask_keep(self) -> bool | None:
        """Keep the partial run (True), discard it (False), or go back (None)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Cancel training",
                          "Keep the partial run, to resume it later, or discard it?", parent=self)
        keep = box.addButton("Keep", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Go back", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return True if box.clickedButton() is keep else False if box.clickedButton() is discard else None

    def confirm_discard(self, name: str) -> bool:
        answer = QMessageBox.question(self, "Discard run", f"Delete the unfinished run '{name}' and its files?")
        return answer == QMessageBox.StandardButton.Yes

    def cancel(self) -> None:
        """Stop the run, then keep or discard its folder (asked, unless the model cannot resume: then there
        is nothing to keep)."""
        if self.current is None:
            return
        keep = self.ask_keep() if self._can_resume(self.current.model) else False
        if keep is None:
            return
        self._discard = not keep
        self.process.cancel()

    def _end_cancel(self) -> None:
        folder = Path(self.current.out)
        if self._discard:
            self._remove_run(folder)
            self.say("Training cancelled; the partial run was discarded.")
        elif resume_info(folder) is not None:
            self.say(f"Training cancelled; the partial run '{folder.name}' was kept and can be resumed.")
        else:
            self.say("Training cancelled before its first step; there was nothing to keep.")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)

    def _remove_run(self, folder: Path) -> None:
        """Delete a run folder of ours (one in the user models folder with our run file), nothing else."""
        if folder.parent.resolve() == user_models_dir().resolve() and (folder / RUN_FILE).is_file():
            shutil.rmtree(folder, ignore_errors=True)

    def _on_runs_discard_requested(self, run) -> None:
        if self.confirm_discard(run.folder.name):
            self._remove_run(run.folder)
            self.runs.refresh()

    # -- closing ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Pause a running child (its state saved) and wait for it; stop the dialog's tasks.

        Idempotent; showing the dialog again makes it whole again.
        """
        if self._closed:
            return
        self._closed = True
        self.probe.shutdown()
        self.process.shutdown()
        for kind in (COMPARE_KIND, DEVICES_KIND):
            self.runner.cancel(kind)
        if self._own_runner:
            self.runner.pool.waitForDone(5000)
        if self.window_ is not None:
            self.window_.removeEventFilter(self)
        QApplication.instance().aboutToQuit.disconnect(self.shutdown)

    def rearm(self) -> None:
        """After :meth:`shutdown`, watch for closing again and re-read the unfinished runs."""
        if self._closed:
            self._closed = False
            self._watch_closing()
            self._update_buttons()

    def showEvent(self, event) -> None:
        self.rearm()
        super().showEvent(event)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def done(self, result: int) -> None:  # Close, Escape
        self.shutdown()
        super().done(result)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window_ and event.type() == QEvent.Type.Hide and not event.spontaneous():
            self.close()  # the window closed: nothing of ours outlives it (closeEvent shuts down)
        return super().eventFilter(watched, event)
