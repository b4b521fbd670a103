"""The editor stays responsive while it generates and trains; slider release to first audible sample.

Stalls: a 5 ms QTimer probe records the longest gap between its ticks (minus
the interval) in the real main window, offscreen, while

- the Generation panel generates (note-lstm, 16 variations of 16 bars, in the
  worker) — beside the same generation called on the UI thread, which is
  what a tool without workers does (the stall a user would otherwise get);
- a training run goes on in the child process the Training dialog starts
  (note-lstm, tiny, a few dozen steps on a small folder).

Slider release: with audition on and a private PulseAudio null sink (the one
the tests use) as the output, the noise sd slider (vae-nn) or the
temperature slider (abc-lstm) is moved and released; the figure is the time
from the release to the player's first position report after its sink
started, i.e. audio of the new first variation reaching the device. Median of
5 releases (``--quick``: 2). The vae-nn release is measured twice: on an idle
machine and with every core kept busy by other processes (one spinning Python
process per core, as a second heavy program would). Goals: stalls under 50 ms;
release to sound under 150 ms idle and under 300 ms with the cores busy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `app`, `models` and the tests' PulseAudio helper importable
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "app"))

PROBE_MS = 5


class StallProbe:
    """The longest gap between ticks of a fast timer, minus its interval."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self.last, self.worst = 0.0, 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, (now - self.last) * 1000 - PROBE_MS)
        self.last = now

    def __enter__(self) -> "StallProbe":
        self.last, self.worst = time.perf_counter(), 0.0
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.stop()


def wait_for(app, condition, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark waited too long")
        app.processEvents()
        time.sleep(0.001)


def make_window(app, models_dir: str):
    from PySide6.QtCore import QSettings

    from app.settings import Settings
    from app.ui.main_window import MainWindow

    os.environ["CADENZA_MODELS_DIR"] = models_dir
    os.environ["CADENZA_AUTOSAVE_DIR"] = str(Path(models_dir) / "autosave")
    settings = Settings(QSettings(str(Path(models_dir) / "settings.ini"), QSettings.Format.IniFormat))
    settings.generation_audition = False
    window = MainWindow(settings)
    window.files.ask_save = lambda: "discard"
    window.show()
    panel = window.generation_ui.panel
    done = []
    window.generation.models_changed.connect(lambda *_: done.append(1))
    panel.refresh_models()
    wait_for(app, lambda: done)
    return window, panel


def choose(app, panel, model: str, seed: str, **state) -> None:
    from app.core.generation_settings import bundled_source

    assert panel.models.select(model), model
    shown = []
    panel.seeds.preview_shown.connect(lambda *_: shown.append(1))
    panel.seeds.choose(bundled_source(seed))
    wait_for(app, lambda: shown)
    panel.controls.set_state(panel.controls.state().updated(**state))


def generation_stalls(app, window, panel, quick: bool) -> dict:
    from app.services.generation import run_job
    from models.common.generator import run_generation

    bars, variations = (8, 8) if quick else (16, 16)
    choose(app, panel, "note-lstm", "seed:bach-jesu-meine-freude", bars=bars, variations=variations,
           random_seed=3, locked=True)
    ready, jobs = [], []
    window.generation.variations_ready.connect(lambda scores: ready.append(scores))
    window.generation.started.connect(lambda job: jobs.append(job))
    panel.generate()  # the first run loads the model (in the worker too); not timed
    wait_for(app, lambda: ready)
    ready.clear()
    with StallProbe() as probe:
        t0 = time.perf_counter()
        panel.generate()
        wait_for(app, lambda: ready)
        worker_s = time.perf_counter() - t0
    with StallProbe() as blocking:  # the same job on the UI thread, as a tool without workers runs it
        run_generation(run_job(jobs[-1], window.generation.pool, window.generation.sources))
        app.processEvents()
    return {"worker_max_stall_ms": round(probe.worst, 1), "on_ui_thread_stall_ms": round(blocking.worst, 1),
            "stall_ratio_ui_thread_vs_worker": round(blocking.worst / max(probe.worst, 0.1), 1),
            "generation_s": round(worker_s, 2), "model": "note-lstm", "bars": bars, "variations": variations}


def training_stalls(app, quick: bool, folder: Path) -> dict:
    """The longest stall while the Training dialog's child process trains (tiny note-lstm)."""
    from app.core.score import Note, Score, Track
    from app.core.formats import save_score
    from app.services.training import TrainArgs, TrainingProcess

    data = folder / "midi"
    data.mkdir()
    for i in range(12):
        notes = tuple(Note(k * 240, 60 + (k * (i + 2)) % 12, 240) for k in range(64))
        save_score(Score(tracks=(Track("Piano", 0, False, notes),)), data / f"piece{i}.mid")
    process = TrainingProcess()
    finished, failed, reports = [], [], []
    process.finished.connect(lambda m: finished.append(m))
    process.failed.connect(lambda m: failed.append(m))
    process.progress.connect(lambda p: reports.append(p))
    args = TrainArgs("note-lstm", [str(data)], str(folder / "model"), device="cpu", epochs=50, batch_size=4,
                     max_steps=20 if quick else 60, sizes={"hidden": 64, "layers": 1})
    with StallProbe() as probe:
        t0 = time.perf_counter()
        process.start(args)
        wait_for(app, lambda: finished or failed, timeout_s=600)
        seconds = time.perf_counter() - t0
    if failed:
        raise RuntimeError(failed[0])
    return {"child_process_max_stall_ms": round(probe.worst, 1), "training_s": round(seconds, 1),
            "progress_reports": len(reports), "model": "note-lstm (hidden 64, 1 layer)"}


def release_to_sound(app, window, panel, model: str, seed: str, slider: str, quick: bool, **state) -> dict:
    """Slider release to the first audio of the new first variation at the device (median ms)."""
    choose(app, panel, model, seed, random_seed=5, locked=True, **state)
    panel.audition_button.setChecked(True)
    player = window.player
    times, started_at = [], []
    player.started.connect(lambda: started_at.append(time.perf_counter()))
    row = panel.controls.rows[slider]
    for i in range(2 if quick else 5):
        heard: list[float] = []

        def on_position(tick, heard=heard):
            if started_at and not heard and tick > 0:
                heard.append(time.perf_counter())

        player.position_changed.connect(on_position)
        started_at.clear()
        row.slider.setValue(row.slider.value() + (60 if i % 2 == 0 else -60))
        t0 = time.perf_counter()
        row.slider.sliderReleased.emit()
        wait_for(app, lambda: heard, timeout_s=60)
        times.append(((heard[0] - t0) * 1000, (started_at[0] - t0) * 1000))
        player.position_changed.disconnect(on_position)
        window.generation_ui.gallery.audition.stop()
        wait_for(app, lambda: not player.is_playing())
    panel.audition_button.setChecked(False)
    return {"release_to_first_audible_ms": round(statistics.median(t[0] for t in times), 1),
            "release_to_sink_started_ms": round(statistics.median(t[1] for t in times), 1),
            "slider": slider, "releases": len(times)}


class BusyCores:
    """Every core kept busy by another process (one spinning Python interpreter per core) while inside."""

    def __enter__(self) -> "BusyCores":
        import subprocess

        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
        time.sleep(0.5)  # let the scheduler see them
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()


def run(quick: bool = False) -> dict:
    from pulse import PulseServer, missing_tools

    if missing_tools():
        raise RuntimeError(f"the benchmark needs PulseAudio ({', '.join(missing_tools())} missing): run make setup")
    pulse = PulseServer().start()
    os.environ["PULSE_SERVER"] = pulse.address
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            window, panel = make_window(app, tmp)
            result = {"generation": generation_stalls(app, window, panel, quick),
                      "slider_release": {
                          "vae_nn": release_to_sound(app, window, panel, "vae-nn", "seed:bach-jesu-meine-freude",
                                                     "noise_sd", quick, bars=4, variations=4),
                          "abc_lstm": release_to_sound(app, window, panel, "abc-lstm", "seed:swallowtail-jig",
                                                       "temperature", quick, bars=4, variations=4)},
                      "training": training_stalls(app, quick, Path(tmp))}
            with BusyCores() as busy:
                result["slider_release_all_cores_busy"] = {
                    "vae_nn": release_to_sound(app, window, panel, "vae-nn", "seed:bach-jesu-meine-freude", "noise_sd",
                                               quick, bars=4, variations=4),
                    "busy_processes": len(busy.procs)}
            result.update({"goal_ms": {"stall": 50, "release_idle": 150, "release_busy": 300}, "device": "cpu",
                           "audio": "PulseAudio null sink"})
            window.close()
    finally:
        pulse.stop()
    return {"ui": result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs and fewer releases")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
