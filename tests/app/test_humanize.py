"""Edit > Humanize in the window: the model's real humanize function on a tiny untrained checkpoint.

The checkpoint is written to the user models folder (found by its spec, as the app finds any model that
humanizes); the assertions are about the notes: the same pitches in the same order, velocity and timing
changed only within the amount, one undo step that brings back the exact notes, a cancel and a failure
that leave them alone, and a drum track refused in one sentence.
"""

from dataclasses import asdict

import pytest
from PySide6.QtCore import Qt

from app.core.errors import GenerationError
from app.core.score import Note, Score, TempoChange, Track
from app.services.humanize import NO_MODEL, find_humanizer
from app.ui.humanize_runs import DRUMS
from plain_window import plain_window  # noqa: F401 (fixture)

TIMEOUT_MS = 60000
TINY = "tiny-humanizer"
BPM = 100.0
TICKS_PER_SECOND = 480 * BPM / 60
ONSET_S, RELEASE_S, VELOCITY = 0.05, 0.10, 40  # the model's windows at amount 1 (its humanize module's doc)
LINE = tuple(Note(start=i * 240, pitch=(60, 64, 67, 72, 67, 64, 62, 60)[i], duration=240, velocity=80)
             for i in range(8)) + (Note(start=1920, pitch=48, duration=960, velocity=80),
                                   Note(start=1920, pitch=55, duration=960, velocity=80))
DRUM_HITS = tuple(Note(start=i * 240, pitch=36 + (i % 2) * 2, duration=60, velocity=100) for i in range(4))


def sketch() -> Score:
    return Score(tracks=(Track("Piano", 0, False, LINE), Track("Drums", 0, True, DRUM_HITS)),
                 tempos=(TempoChange(0, BPM),), title="Sketch")


@pytest.fixture
def window(plain_window, qtbot, tmp_path, monkeypatch):  # noqa: F811 (fixture)
    """The window on the sketch, with a tiny performance model among the user's models."""
    import torch

    from models.common.checkpoint import save_checkpoint
    from models.performance_rnn.model import PerformanceRNN, PerformanceRNNConfig

    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    torch.manual_seed(0)
    cfg = PerformanceRNNConfig(embed=8, hidden=16, layers=1, dropout=0.0)
    save_checkpoint(tmp_path / "models" / TINY, PerformanceRNN(cfg).state_dict(),
                    {"arch": "performance-rnn", "name": "performance-rnn", "config": asdict(cfg)})
    plain_window.doc.replace_all(sketch())  # not shown: the later panels (spectrogram, ABC) stay unbuilt
    return plain_window


def humanize(window, qtbot, amount: int, seed: int) -> list[Note]:
    """Edit > Humanize with ``amount`` % and ``seed``; the performance the window applied."""
    window.actions["humanize"].trigger()
    dialog = window.humanize.dialog
    dialog.amount_box.setValue(amount)
    dialog.seed.setValue(seed)
    with qtbot.waitSignal(window.humanize.applied, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.humanize_button, Qt.MouseButton.LeftButton)
    assert window.humanize.dialog is None  # it closed
    return list(blocker.args[0].notes)


def test_the_model_found_is_the_users_own_checkpoint(window):
    found = find_humanizer()
    assert found.name == TINY and found.entry.load().__name__ == "humanize"


def test_humanize_keeps_the_pitches_changes_only_velocity_and_timing_within_the_amount_in_one_undo_step(
        window, qtbot):
    doc = window.doc
    before, depth = doc.score, doc.undo_stack.count()
    played = humanize(window, qtbot, amount=60, seed=3)
    assert [n.pitch for n in played] == [n.pitch for n in LINE]  # out[i] plays LINE[i]: same pitches, same order
    assert sorted(doc.score.tracks[0].notes) == sorted(played) and doc.score.tracks[1] == before.tracks[1]
    for old, new in zip(LINE, played):
        assert abs(new.start - old.start) <= 0.6 * ONSET_S * TICKS_PER_SECOND + 1
        assert abs(new.end - old.end) <= 0.6 * RELEASE_S * TICKS_PER_SECOND + 1
        assert abs(new.velocity - old.velocity) <= 0.6 * VELOCITY + 1
    assert len({n.velocity for n in played}) > 1 and any(n.start != o.start for n, o in zip(played, LINE))
    lane = window.roll.velocity_lane  # the velocity lane reads the new velocities
    first = min(played)
    assert f"velocity {first.velocity}" in lane.tooltip_text(window.roll.view.tick_to_x(first.start))
    assert doc.undo_stack.count() == depth + 1 and doc.undo_stack.undoText().startswith("Humanize 10 notes")
    doc.undo_stack.undo()
    assert doc.score == before  # the exact notes again
    doc.undo_stack.redo()
    assert sorted(doc.score.tracks[0].notes) == sorted(played)
    doc.undo_stack.undo()
    assert humanize(window, qtbot, amount=60, seed=3) == played  # same seed, same performance


def test_a_selection_is_humanized_alone_and_amount_zero_changes_nothing(window, qtbot):
    scene = window.roll.view.note_scene
    scene.set_selection([i for i in scene.note_items(0) if i.note.start < 960])
    played = humanize(window, qtbot, amount=40, seed=5)
    assert [n.pitch for n in played] == [n.pitch for n in LINE[:4]]
    assert set(LINE[4:]) <= set(window.doc.score.tracks[0].notes)  # the rest as it was
    window.doc.undo_stack.undo()
    window.roll.clear_selection()
    assert humanize(window, qtbot, amount=0, seed=5) == list(LINE)


def test_cancel_leaves_the_notes_and_a_failure_says_one_sentence(window, qtbot):
    doc = window.doc
    before, depth = doc.score, doc.undo_stack.count()
    window.actions["humanize"].trigger()
    dialog = window.humanize.dialog
    qtbot.mouseClick(dialog.humanize_button, Qt.MouseButton.LeftButton)
    assert dialog.running and not dialog.humanize_button.isEnabled()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not dialog.running and "cancelled" in dialog.message.text()
    # the task ends on the UI thread after its result (dropped: it raced the cancel) or its cancel is delivered
    qtbot.waitUntil(lambda: not window.humanize.service.is_running(), timeout=TIMEOUT_MS)
    assert doc.score == before and doc.undo_stack.count() == depth

    def no_model():
        raise GenerationError(NO_MODEL)

    window.humanize.service.find = no_model
    with qtbot.waitSignal(window.humanize.service.failed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.humanize_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == NO_MODEL and dialog.isVisible() and doc.score == before
    dialog.reject()


def test_a_drum_track_is_refused_in_one_sentence(window, qtbot):
    window.doc.set_active_track(1)
    with qtbot.waitSignal(window.humanize.status_message, timeout=1000) as blocker:
        window.actions["humanize"].trigger()
    assert blocker.args == [DRUMS] and window.humanize.dialog is None


def test_a_performance_of_notes_since_changed_or_of_other_pitches_is_not_applied(window, qtbot):
    from dataclasses import replace

    from app.services.humanize import Humanized, HumanizeJob
    from app.ui.humanize_runs import STALE

    doc = window.doc
    before = doc.score
    job = HumanizeJob(0, LINE[:2], 480, BPM, 0.5, 1)
    moved = HumanizeJob(0, (replace(LINE[0], start=7), LINE[1]), 480, BPM, 0.5, 1)
    with qtbot.waitSignal(window.humanize.status_message, timeout=1000) as blocker:
        assert not window.humanize.apply(Humanized(moved, LINE[:2], TINY))  # the notes moved meanwhile
    assert blocker.args == [STALE]
    with qtbot.waitSignal(window.humanize.status_message, timeout=1000) as blocker:
        assert not window.humanize.apply(Humanized(job, (LINE[0], replace(LINE[1], pitch=65)), TINY))
    assert "did not keep the notes" in blocker.args[0] and doc.score == before and doc.undo_stack.count() == 0
