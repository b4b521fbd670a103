"""Document, commands (redo/undo/redo round trips), tasks and settings."""

import pytest
from PySide6.QtCore import QSettings

from app import commands
from app.core import markers
from app.core.errors import CadenzaError
from app.core.score import Note, Score, Track


def loaded(doc):
    doc.replace_all(Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480),)), Track("Bass", 33, False, ()))))
    return doc


def round_trip(doc, command, check_after):
    """redo (push) / undo / redo: the score after, before, after; modified follows the stack."""
    before, was_modified = doc.score, doc.modified
    doc.undo_stack.push(command)
    check_after(doc.score)
    assert doc.modified
    doc.undo_stack.undo()
    assert doc.score == before and doc.modified == was_modified
    doc.undo_stack.redo()
    check_after(doc.score)


def test_notes_command_round_trip_and_signals(doc, qtbot):
    loaded(doc)
    seen = []
    doc.notes_changed.connect(lambda t, old, new: seen.append(("changed", t, old, new)))
    doc.notes_added.connect(lambda t, new: seen.append(("added", t, new)))
    doc.notes_removed.connect(lambda t, old: seen.append(("removed", t, old)))
    cmd = commands.NotesCommand(doc, 0, [Note(0, 60, 480)], [Note(480, 62, 240)], "Move")
    round_trip(doc, cmd, lambda s: s.tracks[0].notes == (Note(480, 62, 240),))
    assert [k for k, *_ in seen] == ["changed", "changed", "changed"]
    round_trip(doc, commands.NotesCommand(doc, 1, [], [Note(0, 36, 960)], "Draw"),
               lambda s: s.tracks[1].notes == (Note(0, 36, 960),))
    assert seen[-1] == ("added", 1, [Note(0, 36, 960)]) and seen[-2][0] == "removed"


@pytest.mark.parametrize("make, check", [
    (lambda d: commands.set_track_command(d, 1, "Mute", mute=True, volume=70),
     lambda s: s.tracks[1].mute and s.tracks[1].volume == 70),
    (lambda d: commands.add_track_command(d, Track("Drums", 0, True)), lambda s: s.tracks[2].is_drum),
    (lambda d: commands.remove_track_command(d, 0), lambda s: [t.name for t in s.tracks] == ["Bass"]),
    (lambda d: commands.move_track_command(d, 1, 0), lambda s: [t.name for t in s.tracks] == ["Bass", "Piano"]),
    (lambda d: commands.set_marker_command(d, "tempo", 0, 90.0), lambda s: s.tempos[0].bpm == 90.0),
    (lambda d: commands.ReplaceScoreCommand(d, Score(title="new"), "Replace"), lambda s: s.title == "new"),
])
def test_every_command_round_trips(doc, make, check):
    loaded(doc)
    round_trip(doc, make(doc), lambda s: check(s) or pytest.fail("not applied"))


BAR = 1920
MAPS = {"tempo": lambda s: [(t.tick, t.bpm) for t in s.tempos],
        "meter": lambda s: [(m.tick, m.numerator, m.denominator) for m in s.time_signatures],
        "key": lambda s: [(k.tick, k.key) for k in s.keys]}


@pytest.mark.parametrize("kind, value, other", [("tempo", 90.0, 140.0), ("meter", (3, 4), (6, 8)),
                                                ("key", "E minor", "Bb major")])
def test_each_marker_edit_undoes_and_redoes_exactly(doc, kind, value, other):
    """Add, edit, move and remove of each kind of change: one undo step each, named for what it did."""
    loaded(doc)
    doc.replace_all(markers.set_key(doc.score, 0, "C major"))  # a key map to edit
    steps = [(commands.set_marker_command(doc, kind, 2 * BAR, value, "Add"), f"Add {kind} change",
              lambda m: (2 * BAR,) + ((value,) if not isinstance(value, tuple) else value) in m),
             (lambda: commands.set_marker_command(doc, kind, 2 * BAR, other), f"Edit {kind} change",
              lambda m: (2 * BAR,) + ((other,) if not isinstance(other, tuple) else other) in m),
             (lambda: commands.move_marker_command(doc, kind, 2 * BAR, 3 * BAR), f"Move {kind} change",
              lambda m: m[-1][0] == 3 * BAR and all(c[0] != 2 * BAR for c in m)),
             (lambda: commands.remove_marker_command(doc, kind, 3 * BAR), f"Remove {kind} change",
              lambda m: len(m) == 1 and m[0][0] == 0)]
    for make, text, holds in steps:
        command = make if isinstance(make, commands.MarkerEdit) else make()
        assert command.text() == text
        round_trip(doc, command, lambda s: holds(MAPS[kind](s)) or pytest.fail(f"{text}: {MAPS[kind](s)}"))


def test_reset_signals_and_title(doc, qtbot, tmp_path):
    loaded(doc)
    with qtbot.waitSignal(doc.score_reset, timeout=1000):
        doc.undo_stack.push(commands.remove_track_command(doc, 0))
    with qtbot.waitSignal(doc.modified_changed, timeout=1000) as blocker:
        doc.mark_saved()
    assert blocker.args == [False]
    doc.set_path(tmp_path / "song.mid")
    assert doc.title == "song.mid"


def jobs(n, cancelled=None):
    for i in range(n):
        yield i
    return "done"


def failing():
    raise CadenzaError("The file is broken.")


def test_task_runner_results_progress_errors(runner, qtbot):
    progress = []
    with qtbot.waitSignal(runner.start("a", jobs, 3, on_progress=progress.append).signals.finished,
                          timeout=5000) as blocker:
        pass
    assert blocker.args == ["done"] and progress == [0, 1, 2]
    with qtbot.waitSignal(runner.start("b", failing).signals.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["The file is broken."]


def test_new_task_of_a_kind_cancels_the_old(runner, qtbot):
    import threading

    gate = threading.Event()

    def slow():
        yield 0
        gate.wait(5)
        yield 1
        return "old"

    results = []
    old = runner.start("k", slow, on_result=results.append)
    new = runner.start("k", jobs, 1, on_result=results.append)
    with qtbot.waitSignal(old.signals.cancelled, timeout=5000):
        gate.set()
    qtbot.waitUntil(lambda: results == ["done"], timeout=5000)
    assert not runner.is_running("k") or runner._running["k"] is new


def test_settings_are_typed_and_persist(tmp_path):
    from app.settings import Settings

    path = str(tmp_path / "s.ini")
    s = Settings(QSettings(path, QSettings.Format.IniFormat))
    assert s.sample_rate == 44100 and s.snap == "1/16" and s.recent_files == []
    s.sample_rate, s.snap = 48000, "1/8T"
    for i in range(12):
        s.add_recent_file(tmp_path / f"{i}.mid")
    s.add_recent_file(tmp_path / "3.mid")
    s.sync()
    again = Settings(QSettings(path, QSettings.Format.IniFormat))
    assert again.sample_rate == 48000 and again.snap == "1/8T"
    assert len(again.recent_files) == 10 and again.recent_files[0].endswith("3.mid")
    with pytest.raises(ValueError):
        again.sample_rate = 12345
    assert again.store.value("version") in (1, "1")
