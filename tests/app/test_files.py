"""Files in the editor: open (workers), broken files, save and reopen, export, autosave and crash recovery.

The crash-recovery scenarios (several killed sessions, Escape, Discard, reopening by name, an unwritable
autosave folder, huge projects) are in test_recovery.py.
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from app import commands
from app.core.formats import load_score
from app.core.score import Note, Score, Track
from app.services import autosave
from app.ui.file_controller import FileController

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def files(doc, runner, settings, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    window = QWidget()
    qtbot.addWidget(window)
    fc = FileController(window, doc, runner, settings, lambda: {"active_track": doc.active_track}, lambda: {})
    fc.warnings = []
    fc.warn = lambda title, message: fc.warnings.append(message)
    yield fc
    fc.autosave.discard()


def sketch():
    return Score(tracks=(Track("Lead", 73, False, (Note(0, 72, 480, 100), Note(480, 74, 240, 60))),
                         Track("Bass", 33, False, (Note(0, 36, 960),), volume=90, mute=True)), title="Sketch")



def test_open_midi_in_a_worker(files, doc, qtbot):
    path = next((DATA / "midi").glob("*.mid"))
    with qtbot.waitSignal(files.opened, timeout=20000) as blocker:
        files.open_path(path)
    assert doc.score == load_score(path) and doc.path == path and not doc.modified
    assert files.settings.recent_files[0] == str(path.resolve())
    assert blocker.args[0].score is doc.score


def test_broken_file_gives_one_sentence_and_keeps_the_work(files, doc, qtbot, tmp_path):
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(0, 60, 480)], "Draw"))
    before = doc.score
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\xff\xff garbage")
    task = files.open_path(broken, ask=False)
    qtbot.waitUntil(lambda: bool(files.warnings), timeout=20000)
    assert task is not None and doc.score is before and doc.modified
    (message,) = files.warnings
    assert "broken.mid" in message and "\n" not in message and "Traceback" not in message
    files.open_path(tmp_path / "notes.txt")
    assert "cannot open '.txt'" in files.warnings[-1]


@pytest.mark.parametrize("ext", [".cadenza", ".mid"])
def test_save_reopen_compare(files, doc, qtbot, tmp_path, ext):
    doc.replace_all(sketch())
    doc.undo_stack.push(commands.NotesCommand(doc, 1, [], [Note(960, 38, 480)], "Draw"))
    files.ask_path = lambda *a: str(tmp_path / f"song{ext}")
    with qtbot.waitSignal(files.saved, timeout=20000):
        files.save()
    assert not doc.modified and doc.path == tmp_path / f"song{ext}"
    saved = doc.score
    doc.replace_all(Score())
    with qtbot.waitSignal(files.opened, timeout=20000):
        files.open_path(tmp_path / f"song{ext}")
    if ext == ".cadenza":
        assert doc.score == saved  # everything, mixer strip included
    else:
        assert [[(n.start, n.pitch, n.duration, n.velocity) for n in t.notes] for t in doc.score.tracks] == \
               [[(n.start, n.pitch, n.duration, n.velocity) for n in t.notes] for t in saved.tracks]
        assert [t.program for t in doc.score.tracks] == [73, 33] and doc.score.tracks[1].volume == 90


def test_export_selection_and_audio(files, doc, qtbot, tmp_path):
    import soundfile

    doc.replace_all(sketch())
    files.selection = lambda: {0: [Note(480, 74, 240, 60)]}
    task = files.export(tmp_path / "sel.mid", "selection")
    qtbot.waitUntil(lambda: (tmp_path / "sel.mid").exists(), timeout=20000)
    task.wait(10)
    sel = load_score(tmp_path / "sel.mid")
    assert [(n.start, n.pitch) for n in sel.all_notes()] == [(480, 74)]  # kept in its bar (bar 1 starts at 0)
    files.export(tmp_path / "bass.wav", "tracks", [0]).wait(60)
    qtbot.waitUntil(lambda: (tmp_path / "bass.wav").exists(), timeout=20000)
    audio, rate = soundfile.read(tmp_path / "bass.wav")
    assert rate == 44100 and audio.shape[1] == 2 and abs(audio).max() > 0.01


def test_unsaved_changes_prompt(files, doc):
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(0, 60, 480)], "Draw"))
    files.ask_save = lambda: "cancel"
    assert not files.maybe_save()
    files.ask_save = lambda: "discard"
    assert files.maybe_save()


CHILD = textwrap.dedent("""
    import os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    from app import commands
    from app.core.score import Note
    from app.document import Document
    from app.services.autosave import Autosave
    app = QApplication([])
    doc = Document()
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(0, 64, 480, 77), Note(480, 67, 960)], "Draw"))
    saver = Autosave(doc, interval_s=60)
    saver.timer.setInterval(50)
    saver.saved.connect(lambda path: (print("autosaved", path, flush=True)))
    app.exec()
""")


def test_autosave_then_crash_then_recovery(files, doc, qtbot, tmp_path):
    """A child process autosaves on its timer, is killed with SIGKILL; the next start offers the work back."""
    env = dict(os.environ, CADENZA_AUTOSAVE_DIR=str(tmp_path / "autosave"))
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env,
                             cwd=Path(__file__).parents[2])
    try:
        line = child.stdout.readline()
        assert line.startswith("autosaved"), line
        assert autosave.find_recoverable(tmp_path / "autosave") == []  # the child is alive: its work is not taken
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    offered = []
    files.choose_recovery = lambda items: offered.extend(items) or items[0]
    with qtbot.waitSignal(files.recovered, timeout=20000):
        assert files.offer_recovery()
    assert [item.describe().split(" — ")[0] for item in offered] == ["Untitled"]
    assert offered[0].describe().endswith(", 2 notes")
    assert doc.score.tracks[0].notes == (Note(0, 64, 480, 77), Note(480, 67, 960))
    assert doc.modified  # recovered work is unsaved work
    doc.undo_stack.undo()
    assert doc.score.note_count == 0
    assert len(list((tmp_path / "autosave").glob("session-*.cadenza"))) == 1  # only this session's own autosave


def test_closing_prompt_save_waits_for_the_save(files, doc, tmp_path):
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(0, 60, 480)], "Draw"))
    files.ask_save = lambda: "save"
    files.ask_path = lambda *a: str(tmp_path / "closing.cadenza")
    assert files.maybe_save()  # returns only once the worker has written the file
    assert not doc.modified and load_score(tmp_path / "closing.cadenza").tracks[0].notes == (Note(0, 60, 480),)


def test_a_failed_export_says_so_in_the_status_bar(files, doc, qtbot, tmp_path):
    doc.replace_all(Score(tracks=(Track("Lead", 0, False, ()),)))  # no notes: nothing to render
    said = []
    files.status_message.connect(said.append)
    task = files.export(tmp_path / "empty.wav")
    qtbot.waitUntil(lambda: bool(files.warnings), timeout=20000)
    task.wait(10)
    assert said == ["Exporting empty.wav…", "empty.wav was not exported."]
    assert "no notes" in files.warnings[0] and not (tmp_path / "empty.wav").exists()
