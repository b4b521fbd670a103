"""The Training dialog's loss plot starts each run on axes of its own (not the last run's range or zoom)."""

import pytest


@pytest.fixture
def dialog(qtbot, tmp_path, monkeypatch, runner):
    from app.ui.training import TrainingDialog

    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    d = TrainingDialog(runner=runner)
    qtbot.addWidget(d)
    d.show()
    monkeypatch.setattr(d.process, "start", lambda args, resume=False: None)  # no child: reports are fed by hand
    yield d
    d.shutdown()


def ranges(plot, qtbot):
    qtbot.wait(20)  # pyqtgraph settles its auto range on the next paint
    (x0, x1), (y0, y1) = plot.plot.getViewBox().viewRange()
    return x0, x1, y0, y1


def test_a_second_run_starts_with_its_own_data_and_axes(qtbot, dialog, tmp_path):
    from app.services.training import TrainArgs

    args = TrainArgs("note-lstm", [str(tmp_path)], str(tmp_path / "models" / "first"), device="cpu")
    dialog._run(args, resume=False)
    for step in range(1, 1001):
        dialog._on_process_progress({"step": step, "total_steps": 1000, "train_loss": 5 - step / 500,
                                     "valid_loss": 5 - step / 400 if step % 100 == 0 else None})
    x0, x1, y0, y1 = ranges(dialog.plot, qtbot)
    assert x1 > 900 and y0 < 3
    dialog.plot.plot.getViewBox().scaleBy((0.5, 0.5))  # the musician zoomed into the first run
    ranges(dialog.plot, qtbot)

    second = TrainArgs("note-lstm", [str(tmp_path)], str(tmp_path / "models" / "second"), device="cpu")
    dialog._run(second, resume=False)
    assert dialog.plot.train == [] and dialog.plot.valid == []
    assert ranges(dialog.plot, qtbot)[1] <= 1.0  # nothing of the first run's 1000 steps is left on the axes
    for step in range(1, 11):
        dialog._on_process_progress({"step": step, "total_steps": 10, "train_loss": 8 - step / 10,
                                     "valid_loss": 7.5 if step == 10 else None})
    assert [s for s, _ in dialog.plot.train] == list(range(1, 11)) and dialog.plot.valid == [(10, 7.5)]
    x0, x1, y0, y1 = ranges(dialog.plot, qtbot)
    assert 0 <= x0 < 1 and 10 <= x1 < 11  # the new run's steps, not the first run's 1000
    assert 6.5 < y0 < 7.1 and 7.9 < y1 < 8.5  # its losses (7.0 to 7.9, and 7.5), not the first run's 2 to 5
