"""The Training dialog with a real ``cadenza train`` child: a tiny note-lstm trained, paused, resumed, closed."""

import json
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from app.core.midi import write_midi
from app.core.score import Note, Score, Track
from app.services.training import CANCELLED, FAILED, PAUSED, RUNNING, resume_info, unfinished_runs

WAIT_MS = 60_000
BUNDLED_NOTE_LSTM = Path(__file__).parents[2] / "resources" / "checkpoints" / "note-lstm"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus-cache")  # shared: the files are parsed once for the module


@pytest.fixture
def models_dir(tmp_path, monkeypatch, cache_dir):
    """User models in the test's folder; the child inherits the environment."""
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return tmp_path / "models"


@pytest.fixture
def midi_folder(tmp_path):
    """24 arpeggio pieces; the names put p6, p8, p20, p22 in the validation split and p1, p16 in test."""
    folder = tmp_path / "my midi"
    folder.mkdir()
    for i in range(24):
        notes = [Note(j * 240, 48 + i % 12 + (0, 4, 7, 12)[j % 4], 240 if j % 8 != 7 else 480) for j in range(64)]
        write_midi(Score(tracks=(Track("p", 0, False, tuple(notes)),)), folder / f"p{i}.mid")
    return folder


@pytest.fixture
def dialog(qtbot, models_dir, runner):
    from app.ui.training import TrainingDialog

    d = TrainingDialog(runner=runner)
    qtbot.addWidget(d)
    d.show()
    yield d
    d.shutdown()


def fill(dialog, folder, name="tiny", epochs=1, max_steps=0, start_from=""):
    f = dialog.form
    f.kind.setCurrentIndex(f.kind.findData("note-lstm"))
    f.data.setCurrentIndex(f.data.findData("folder"))
    f.folder.setText(str(folder))
    f.epochs.setValue(epochs)
    f.batch_size.setValue(4)
    f.max_steps.setValue(max_steps)
    f.size_fields["hidden"].setValue(32)
    f.size_fields["layers"].setValue(1)
    f.device.setCurrentIndex(f.device.findData("cpu"))
    f.name.setText(name)
    if start_from:
        f.start_from.setCurrentIndex(f.start_from.findData(start_from))


def wait_for_step(qtbot, dialog, step: int) -> None:
    """Wait until the child reports ``step`` (or stops); if it does not, say what the child printed."""
    def reached() -> bool:
        return dialog.process.last_progress.get("step", 0) >= step or dialog.process.state != RUNNING

    qtbot.waitUntil(reached, timeout=WAIT_MS)
    assert dialog.process.last_progress.get("step", 0) >= step, (
        f"no step {step}: state {dialog.process.state}, last report {dialog.process.last_progress}, "
        f"stderr {dialog.process.stderr!r}")


def test_a_tiny_model_trains_and_appears_in_the_selector_with_its_card(qtbot, dialog, midi_folder, models_dir):
    from models.registry import list_models

    fill(dialog, midi_folder)
    with qtbot.waitSignal(dialog.model_trained, timeout=WAIT_MS) as trained:
        dialog.buttons["start"].click()
    out = trained.args[0]
    assert out == models_dir / "tiny"
    (entry,) = [e for e in list_models() if e.name == "tiny"]
    assert entry.arch == "note-lstm" and not entry.bundled and entry.path == out
    card = entry.card
    assert card["training"]["data"] == [str(midi_folder)] and card["config"]["hidden"] == 32
    assert card["training"]["config"]["epochs"] == 1 and card["training"]["steps"] >= 1
    assert card["metrics"]["valid_cross_entropy"] > 0 and card["metrics"]["test_tokens"] > 0
    assert len(card["weights_sha256"]) == 64
    # the run panel followed it: full bar, losses plotted against steps, the card shown
    assert dialog.bar.value() == dialog.bar.maximum() > 0
    assert [s for s, _ in dialog.plot.train] == sorted({s for s, _ in dialog.plot.train})
    assert dialog.plot.valid and dialog.plot.valid[-1][0] == card["training"]["steps"]
    assert "tiny" in dialog.card.text() and "note-lstm" in dialog.card.text()
    assert "Saved as your model 'tiny'" in dialog.status.text() and unfinished_runs() == []
    # compare with the base (the bundled note-lstm): same seed and settings for both
    assert dialog.compare.folders == [out, BUNDLED_NOTE_LSTM]
    dialog.compare.bars.setValue(2)
    dialog.compare.seed.setValue(7)
    with qtbot.waitSignal(dialog.compare.compared, timeout=WAIT_MS) as compared:
        dialog.compare.generate.click()
    new, base = compared.args[0]
    assert new.note_count > 0 and base.note_count > 0
    assert new.provenance["checkpoint"] == str(out) and base.provenance["checkpoint"] == str(BUNDLED_NOTE_LSTM)
    assert new.provenance["random_seed"] == base.provenance["random_seed"] == 7
    assert new.provenance["sliders"] == base.provenance["sliders"] == {"temperature": 1.0, "top_k": 0, "top_p": 1.0,
                                                                         "key_lock": "off", "lowest_pitch": 0,
                                                                         "highest_pitch": 127}
    assert dialog.compare.previews[1].score is base


def test_pause_saves_the_run_and_resume_continues_from_the_saved_step(qtbot, dialog, midi_folder, models_dir):
    fill(dialog, midi_folder, name="long", epochs=400, max_steps=4000)
    reports = []
    dialog.process.progress.connect(reports.append)
    dialog.buttons["start"].click()
    wait_for_step(qtbot, dialog, 2)
    assert dialog.buttons["pause"].isEnabled()
    dialog.buttons["pause"].click()
    qtbot.waitUntil(lambda: dialog.process.state == PAUSED, timeout=WAIT_MS)
    out = models_dir / "long"
    saved = resume_info(out)["step"]
    assert saved >= 2 and not resume_info(out)["finished"]
    assert "Paused at step" in dialog.status.text() and dialog.buttons["resume"].isEnabled()
    (run,) = unfinished_runs()  # what the dialog offers after the app was closed
    assert run.folder == out and run.step == saved and run.args.max_steps == 4000
    assert dialog.runs.isVisibleTo(dialog) and dialog.runs.list.count() == 1

    reports.clear()
    dialog.buttons["resume"].click()
    qtbot.waitUntil(lambda: any(r.get("total_steps") for r in reports), timeout=WAIT_MS)
    first = next(r for r in reports if r.get("total_steps"))
    assert first["step"] == saved and f"resumed at step {saved} on cpu" in first["message"]
    assert dialog.plot.train and dialog.plot.train[0][0] <= saved  # the history before the pause is kept
    wait_for_step(qtbot, dialog, saved + 3)

    pid = dialog.process.pid()
    dialog.close()  # closing the dialog during training pauses the child and waits for it
    assert not dialog.process.is_running() and not dialog.isVisible()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert resume_info(out)["step"] > saved + 2


def test_cancel_can_discard_the_partial_run(qtbot, dialog, midi_folder, models_dir):
    fill(dialog, midi_folder, name="dropped", epochs=400, max_steps=4000)
    dialog.ask_keep = lambda: False
    dialog.buttons["start"].click()
    wait_for_step(qtbot, dialog, 1)
    dialog.buttons["cancel"].click()
    qtbot.waitUntil(lambda: dialog.process.state == CANCELLED, timeout=WAIT_MS)
    assert not (models_dir / "dropped").exists()
    assert dialog.status.text() == "Training cancelled; the partial run was discarded."
    assert dialog.buttons["start"].isEnabled() and dialog.form.isEnabled()


def one_sentence(text: str) -> bool:
    return text.endswith(".") and ". " not in text.rstrip(".") and "Traceback" not in text


def test_a_folder_without_music_files_says_so_in_one_sentence(qtbot, dialog, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not music")
    fill(dialog, empty, name="nothing")
    with qtbot.waitSignal(dialog.process.failed, timeout=WAIT_MS):
        dialog.buttons["start"].click()
    assert dialog.status.text() == f"The folder {empty} has no MIDI, ABC or MusicXML files."
    assert one_sentence(dialog.status.text()) and dialog.process.state == FAILED
    assert dialog.buttons["start"].isEnabled() and dialog.form.isEnabled()


def test_a_broken_user_checkpoint_says_so_in_one_sentence(qtbot, models_dir, midi_folder, runner):
    from app.ui.training import TrainingDialog

    broken = models_dir / "broken"
    broken.mkdir(parents=True)
    shutil.copy(BUNDLED_NOTE_LSTM / "config.json", broken / "config.json")
    (broken / "model.safetensors").write_bytes((BUNDLED_NOTE_LSTM / "model.safetensors").read_bytes()[:5000])
    dialog = TrainingDialog(runner=runner)
    qtbot.addWidget(dialog)
    fill(dialog, midi_folder, name="from-broken", start_from=str(broken))
    assert not dialog.form.size_fields["hidden"].isEnabled()  # a fine-tuned model keeps its base's sizes
    with qtbot.waitSignal(dialog.process.failed, timeout=WAIT_MS):
        dialog.buttons["start"].click()
    text = dialog.status.text()
    assert "does not match its model card's sha256" in text and one_sentence(text)
    dialog.shutdown()


def test_form_defaults_devices_and_name_checks(qtbot, dialog, models_dir):
    from app.services.training import compute_devices

    f = dialog.form
    card = json.loads((BUNDLED_NOTE_LSTM / "config.json").read_text())
    f.kind.setCurrentIndex(f.kind.findData("note-lstm"))
    assert (f.epochs.value(), f.batch_size.value(), f.size_fields["hidden"].value()) == (
        card["training"]["config"]["epochs"], 64, card["config"]["hidden"])  # the bundled run's settings
    assert f.data_specs() == ["corpus:classical", "corpus:chorales"]
    assert "About" in dialog.estimate.text() and "on cpu" in dialog.estimate.text()
    qtbot.waitUntil(lambda: f.available is not None, timeout=WAIT_MS)
    cuda = f.device.model().item(f.device.findData("cuda"))
    assert cuda.isEnabled() == ("cuda" in compute_devices())
    if not cuda.isEnabled():
        assert cuda.toolTip() == "There is no CUDA GPU on this machine."
    f.data.setCurrentIndex(f.data.findData("folder"))  # the user's own files: no figure until measured
    assert dialog.estimate.text() == ("No time estimate yet for your files on the CPU: Measure times a few steps "
                                      "and says how long the whole run will take.")
    f.kind.setCurrentIndex(f.kind.findData("markov"))
    assert not f.start_from.isEnabled() and "no fine-tuning" in f.start_from.toolTip()
    assert not f.epochs.isEnabled() and not dialog.measure.isEnabled()
    (models_dir / "taken").mkdir(parents=True)
    f.name.setText("taken")
    dialog.start()
    assert dialog.status.text() == "There is already a model called 'taken'; choose another name."
    assert dialog.process.state != RUNNING


def test_closing_the_window_during_training_leaves_nothing_running(qtbot, settings, models_dir, midi_folder,
                                                                   tmp_path, monkeypatch, capfd):
    from app.ui.main_window import MainWindow
    from app.ui.training import open_training_dialog

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    window.actions["train_model"].trigger()  # Generate > Train a Model…
    dialog = open_training_dialog(window)
    assert dialog.isVisible() and dialog.runner is window.runner
    fill(dialog, midi_folder, name="interrupted", epochs=400, max_steps=4000)
    dialog.buttons["start"].click()
    wait_for_step(qtbot, dialog, 1)
    pid = dialog.process.pid()
    window.doc.mark_saved()
    window.close()
    assert not dialog.process.is_running() and not dialog.isVisible()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert window.runner.pool.activeThreadCount() == 0 and QThreadPool.globalInstance().activeThreadCount() == 0
    assert [r.folder.name for r in unfinished_runs()] == ["interrupted"]  # offered again at the next start
    assert open_training_dialog(window) is dialog and [r.folder.name for r in dialog.runs.runs] == ["interrupted"]
    assert dialog.runs.resume.isEnabled() and dialog.buttons["start"].isEnabled()
    dialog.close()
    assert "Traceback" not in capfd.readouterr().err


def test_the_form_offers_what_each_models_spec_has(qtbot, dialog, models_dir):
    from models.registry import model_specs

    f = dialog.form
    assert [f.kind.itemData(i) for i in range(f.kind.count())] == [s.name for s in model_specs() if s.can_train]
    note = next(s for s in model_specs() if s.name == "note-lstm")
    assert f.kind.itemText(f.kind.findData("note-lstm")) == f"{note.display_name}: {note.good_for}"
    cell, layers, roles = f.size_fields["cell"], f.size_fields["layers"], f.extra_fields["roles"]
    f.kind.setCurrentIndex(f.kind.findData("note-lstm"))
    assert f.how.isRowVisible(cell) and cell.isEnabled() and not f.what.isRowVisible(roles)
    assert [cell.itemData(i) for i in range(cell.count())] == ["lstm", "gru"] and cell.currentData() == "lstm"
    assert layers.isEnabled() and layers.value() == 3  # the bundled model's
    cell.setCurrentIndex(cell.findData("gru"))
    f.name.setText("grumpy")
    argv = f.args(models_dir).argv()
    assert argv[argv.index("--cell") + 1] == "gru" and argv[argv.index("--layers") + 1] == "3"
    assert dialog.estimate.text().startswith("No time estimate yet")  # not the bundled model's sizes any more

    f.kind.setCurrentIndex(f.kind.findData("vae-nn"))
    assert not f.how.isRowVisible(cell) and not cell.isEnabled()
    assert not layers.isEnabled() and layers.toolTip() == "The vae-nn model has no such size."
    assert f.size_fields["hidden"].isEnabled() and f.data_specs() == ["corpus:chorales"]
    assert f.what.isRowVisible(roles) and "track roles" in roles.toolTip()
    f.name.setText("voices")
    argv = f.args(models_dir).argv()
    assert "--cell" not in argv and "--layers" not in argv and "--roles" not in argv
    roles.setText("lpd5")
    argv = f.args(models_dir).argv()
    assert argv[argv.index("--roles") + 1] == "lpd5" and argv[argv.index("--hidden") + 1] == "256"
    f.size_fields["hidden"].setValue(f.size_fields["hidden"].minimum())  # "model's default": not passed
    assert f.size_fields["hidden"].text() == "model's default" and "--hidden" not in f.args(models_dir).argv()
    assert "--checkpoint-every" not in argv and f.checkpoint_every.value() == 200 and f.checkpoint_every.isEnabled()
    f.checkpoint_every.setValue(5)
    argv = f.args(models_dir).argv()
    assert argv[argv.index("--checkpoint-every") + 1] == "5"
    f.checkpoint_unit.setCurrentIndex(f.checkpoint_unit.findText("minutes"))
    argv = f.args(models_dir).argv()
    assert argv[argv.index("--checkpoint-every") + 1] == "5m" and "loses at most" in f.checkpoint_every.toolTip()


def test_a_plugin_model_is_offered_with_its_one_pass_training(qtbot, toy_plugin, models_dir, runner):
    from app.ui.training import TrainingDialog

    dialog = TrainingDialog(runner=runner)
    qtbot.addWidget(dialog)
    f = dialog.form
    row = f.kind.findData("toy-arpeggio")
    assert f.kind.itemText(row) == "Toy arpeggiator: showing how a model package plugs into Cadenza"
    f.kind.setCurrentIndex(row)
    assert f.data_specs() == ["corpus:chorales"] and not f.start_from.isEnabled()
    assert not f.epochs.isEnabled() and f.epochs.toolTip() == "The toy-arpeggio model counts pitch classes in one pass."
    assert not any(field.isEnabled() for field in f.size_fields.values()) and not dialog.measure.isEnabled()
    assert not f.checkpoint_every.isEnabled() and not f.checkpoint_unit.isEnabled()
    assert dialog.estimate.text().startswith("The toy-arpeggio model goes over the files once")
    f.name.setText("toy")
    assert f.args(models_dir).argv() == ["train", "--model", "toy-arpeggio", "--data", "corpus:chorales", "--out",
                                         str(models_dir / "toy"), "--device", "auto", "--json-progress"]
    dialog.shutdown()
