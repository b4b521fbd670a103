"""Crash recovery for real: child Cadenza sessions autosave and are killed with SIGKILL, then the next start offers
their work; a huge project is refused by the GUI with the CLI's sentence; an unwritable autosave folder is said once.

Each test is one or more recovery scenarios; ``SCENARIOS`` counts them for the issue's tally.
"""

import contextlib
import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app import commands
from app.core.errors import LimitExceededError
from app.core.limits import MAX_NOTES
from app.core.project import load_project, save_project
from app.core.score import Note, Score, Track
from app.services import autosave as recovery
from app.ui.dialogs.recovery import RecoveryDialog
from app.ui.file_controller import FileController

ROOT = Path(__file__).parents[2]

CHILD = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    from app import commands
    from app.core.score import Note, Score, Track
    from app.document import Document
    from app.services.autosave import Autosave
    title, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3] or None
    app = QApplication([])
    doc = Document(Score(tracks=(Track("Piano", 0, False, ()),), title=title), path=path)
    notes = [Note(start=240 * i, pitch=60 + i % 12, duration=240) for i in range(count)]
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], notes, "Draw"))
    saver = Autosave(doc, interval_s=60)
    saver.timer.setInterval(50)
    saver.saved.connect(lambda path: print("autosaved", path, flush=True))
    app.exec()
""")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    path = tmp_path / "autosave"
    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(path))
    return path


def make_controller(doc, runner, settings, qtbot) -> FileController:
    window = QWidget()
    qtbot.addWidget(window)
    fc = FileController(window, doc, runner, settings, lambda: {}, lambda: {})
    fc.warnings = []
    fc.warn = lambda title, message: fc.warnings.append(message)
    return fc


@pytest.fixture
def files(doc, runner, settings, folder, qtbot):
    fc = make_controller(doc, runner, settings, qtbot)
    yield fc
    fc.autosave.discard()


def crash(folder: Path, title: str, count: int, path: Path | None = None) -> Path:
    """A child Cadenza with ``count`` unsaved notes autosaves, then is killed with SIGKILL; its autosave's path."""
    env = dict(os.environ, CADENZA_AUTOSAVE_DIR=str(folder))
    child = subprocess.Popen([sys.executable, "-c", CHILD, title, str(count), str(path or "")],
                             stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = child.stdout.readline()
        assert line.startswith("autosaved"), line
        assert all(Path(line.split()[1]) != item.path for item in recovery.find_recoverable(folder))  # alive: not taken
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
    return Path(line.split()[1])


def on_modal_dialog(qtbot, action) -> None:
    """Run ``action(dialog)`` on the recovery dialog once its exec() has shown it."""
    def poll():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, RecoveryDialog):
            action(dialog)
        else:
            QTimer.singleShot(10, poll)
    QTimer.singleShot(0, poll)


def press_escape(dialog) -> None:
    QTest.keyClick(dialog.list, Qt.Key.Key_Escape)


def test_two_killed_sessions_are_both_offered_by_name_time_and_notes(files, folder):
    """Scenario 1: two sessions with unsaved edits, both killed: both offered, named by document and note count."""
    first = crash(folder, "Nocturne", 3)
    second = crash(folder, "", 5)
    offered = []
    files.choose_recovery = lambda items: offered.extend(items) or None
    assert not files.offer_recovery()
    assert {item.path for item in offered} == {first, second}
    texts = sorted(item.describe() for item in offered)
    assert texts[0].startswith("Nocturne — autosaved today at ") and texts[0].endswith(", 3 notes")
    assert texts[1].startswith("Untitled — autosaved today at ") and texts[1].endswith(", 5 notes")
    assert first.exists() and second.exists()  # nothing deleted without a Discard


def test_escape_keeps_every_autosave_for_the_next_start(files, folder, qtbot, doc, runner, settings):
    """Scenario 2: Escape on the real dialog keeps them all; the next start offers them again."""
    crash(folder, "Nocturne", 3)
    crash(folder, "Etude", 4)
    seen = []
    on_modal_dialog(qtbot, lambda dialog: (seen.append(dialog.list.count()), press_escape(dialog)))
    assert not files.offer_recovery()
    assert seen == [2]
    later = make_controller(doc, runner, settings, qtbot)  # the next start
    offered = []
    later.choose_recovery = lambda items: offered.extend(items) or None
    later.offer_recovery()
    assert sorted(item.title for item in offered) == ["Etude", "Nocturne"]
    later.autosave.discard()


def test_discard_removes_only_that_one(files, folder, qtbot, monkeypatch):
    """Scenario 3: Discard (confirmed) deletes the chosen autosave and no other."""
    kept = crash(folder, "Nocturne", 3)
    dropped = crash(folder, "Sketch to drop", 2)
    monkeypatch.setattr(RecoveryDialog, "confirm_discard", lambda self, item: True)

    def discard_then_later(dialog):
        rows = [dialog.list.item(i).text() for i in range(dialog.list.count())]
        dialog.list.setCurrentRow(next(i for i, text in enumerate(rows) if text.startswith("Sketch to drop")))
        dialog.discard_button.click()
        assert [item.title for item in dialog.items()] == ["Nocturne"]
        dialog.later_button.click()

    on_modal_dialog(qtbot, discard_then_later)
    assert not files.offer_recovery()
    assert kept.exists() and not dropped.exists() and not recovery.meta_path(dropped).exists()
    assert [item.path for item in recovery.find_recoverable(folder)] == [kept]


def test_open_one_recovers_it_and_keeps_the_other_offered(files, folder, qtbot, doc):
    """Scenario 4: Open in the dialog: that work becomes the (unsaved) document; the other stays offered."""
    opened = crash(folder, "Nocturne", 3)
    other = crash(folder, "Etude", 4)

    def open_nocturne(dialog):
        rows = [dialog.list.item(i).text() for i in range(dialog.list.count())]
        dialog.list.setCurrentRow(next(i for i, text in enumerate(rows) if text.startswith("Nocturne")))
        dialog.open_button.click()

    on_modal_dialog(qtbot, open_nocturne)
    with qtbot.waitSignal(files.recovered, timeout=20000):
        assert files.offer_recovery()
    assert doc.score.note_count == 3 and doc.score.title == "Nocturne" and doc.modified
    assert not opened.exists() and files.autosave.path.exists()  # moved into this session's autosave first
    assert [item.path for item in recovery.find_recoverable(folder)] == [other]


@pytest.mark.parametrize("choice", ["autosave", "file", "cancel"])
def test_reopening_the_file_by_name_offers_the_newer_autosave(files, folder, qtbot, doc, tmp_path, choice):
    """Scenarios 5-7: `cadenza song.cadenza`, File ▸ Open and Open Recent all go through open_path."""
    song = tmp_path / "song.cadenza"
    save_project(Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480), Note(480, 62, 480))),)), song)
    old = time.time() - 120
    os.utime(song, (old, old))  # saved two minutes before the crash
    left = crash(folder, "ignored", 7, song)
    asked = []
    files.ask_reopen = lambda item, path: asked.append((item.describe(), path)) or choice
    if choice == "autosave":
        with qtbot.waitSignal(files.recovered, timeout=20000):
            files.open_path(song, ask=False)
        assert doc.score.note_count == 7 and doc.path == song and doc.modified
        assert not left.exists()  # its work is in this session's autosave now
    elif choice == "file":
        with qtbot.waitSignal(files.opened, timeout=20000):
            files.open_path(song, ask=False)
        assert doc.score.note_count == 2 and doc.path == song and not doc.modified
        assert left.exists()  # still offered
    else:
        assert files.open_path(song, ask=False) is None
        assert doc.path is None and left.exists()
    ((text, path),) = asked
    assert path == song and text.startswith("song.cadenza — autosaved today at ") and text.endswith("7 notes")


def test_escape_on_the_real_reopen_question_opens_nothing_and_keeps_the_autosave(files, folder, qtbot, doc, tmp_path):
    """Scenario 8: the real question box, Escape: the document is untouched and the autosave stays offered."""
    song = tmp_path / "song.cadenza"
    save_project(Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480),)),)), song)
    old = time.time() - 120
    os.utime(song, (old, old))
    left = crash(folder, "ignored", 4, song)
    texts = []

    def escape():
        box = QApplication.activeModalWidget()
        if box is None:
            return QTimer.singleShot(10, escape)
        texts.append(box.text())
        QTest.keyClick(box, Qt.Key.Key_Escape)

    QTimer.singleShot(0, escape)
    assert files.open_path(song, ask=False) is None
    assert doc.path is None and left.exists()
    assert "song.cadenza — autosaved today at" in texts[0] and "4 notes" in texts[0]


def test_an_autosave_older_than_the_file_is_not_offered_on_reopen(files, folder, qtbot, tmp_path):
    """Scenario 9: the file was saved after the crash's autosave: it opens without asking."""
    song = tmp_path / "song.cadenza"
    save_project(Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480),)),)), song)
    crash(folder, "ignored", 3, song)
    future = time.time() + 60
    os.utime(song, (future, future))
    files.ask_reopen = lambda *a: pytest.fail("asked about an older autosave")
    with qtbot.waitSignal(files.opened, timeout=20000):
        files.open_path(song, ask=False)


@contextlib.contextmanager
def unwritable(folder: Path):
    """``folder`` refuses writes for real: mode 0555, or the immutable flag when running as root."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        undo = lambda: folder.chmod(0o755)  # noqa: E731
    else:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode:
            pytest.fail("running as root without chattr +i (e2fsprogs): no folder refuses writes")
        undo = lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)  # noqa: E731
    try:
        yield
    finally:
        undo()


def test_an_unwritable_autosave_folder_is_said_once_in_words(files, folder, doc):
    """Scenario 10: the first failure opens one dialog naming the folder; the next failures do not."""
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(0, 60, 480)], "Draw"))
    status = []
    files.status_message.connect(status.append)
    with unwritable(folder):
        assert not files.autosave.save_now()
        assert not files.autosave.save_now()
        files.autosave._on_timer_timeout()
    (message,) = files.warnings
    assert message.startswith(f"Cadenza may not write to {folder}, so Cadenza cannot autosave")
    assert "errno" not in message.lower() and "Errno" not in message and "\n" not in message
    assert len(status) == 3
    assert files.autosave.save_now() and files.autosave.path.exists()  # fixed: it works again, quietly
    assert len(files.warnings) == 1


def test_a_full_disk_is_said_in_words():
    """Scenario 11: ENOSPC (a real one, from /dev/full) reads 'The disk is full'."""
    try:
        with open("/dev/full", "wb") as fh:
            fh.write(b"x" * 4096)
            fh.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
        reason = recovery.write_failure_reason(exc, Path("/somewhere"), 3 << 20)
    else:
        pytest.fail("/dev/full did not refuse the write")
    assert reason == "The disk is full (it needs about 3 MB)"


def dead_autosave(folder: Path, title: str, saved_days_ago: float, shown: bool) -> Path:
    """An autosave left by a session that is gone, written like a real one and backdated."""
    from app.document import Document

    doc = Document(Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480),)),), title=title))
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(480, 62, 480)], "Draw"))
    saver = recovery.Autosave(doc, folder=folder)
    assert saver.save_now()
    saver._lock.unlock()  # the session ends without cleaning up, as a crash does
    meta = json.loads(recovery.meta_path(saver.path).read_text())
    meta["saved_at"] = time.time() - saved_days_ago * 86400
    if shown:
        meta["shown_at"] = meta["saved_at"] + 60
    recovery.meta_path(saver.path).write_text(json.dumps(meta))
    return saver.path


def test_old_autosaves_go_only_once_seen(files, folder, settings):
    """Scenario 12: older than the setting and already shown: removed at start; unseen or recent ones stay."""
    assert settings.autosave_keep_days == 30
    seen_old = dead_autosave(folder, "seen old", 31, shown=True)
    unseen_old = dead_autosave(folder, "unseen old", 90, shown=False)
    seen_new = dead_autosave(folder, "seen recent", 29, shown=True)
    offered = []
    files.choose_recovery = lambda items: offered.extend(items) or None
    files.offer_recovery()
    assert not seen_old.exists() and unseen_old.exists() and seen_new.exists()
    assert sorted(item.title for item in offered) == ["seen recent", "unseen old"]
    settings.autosave_keep_days = 100
    offered.clear()
    files.offer_recovery()  # the unseen one has been shown now, but it is younger than 100 days
    assert unseen_old.exists() and len(offered) == 2


def write_huge_project(path: Path, notes: int = 1_000_000) -> None:
    """A project of ``notes`` notes, written cheaply as compact JSON (about 19 MB)."""
    body = ",".join(f"[{10 * i},60,10,90]" for i in range(notes))
    path.write_text('{"format":"cadenza-project","version":1,"score":{"title":"Huge","ppq":480,"tracks":'
                    '[{"name":"Piano","program":0,"is_drum":false,"notes":[' + body + ']}]}}')


def peak_rss_mb(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def test_the_gui_refuses_a_huge_project_with_the_cli_sentence(files, qtbot, doc, tmp_path):
    """Scenario 13: a 1,000,000-note project: the GUI's open says the CLI's one sentence, memory stays bounded."""
    huge = tmp_path / "huge.cadenza"
    write_huge_project(huge)
    cli = subprocess.run([sys.executable, "-m", "app", "info", str(huge)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert cli.returncode == 1 and cli.stderr.startswith("error: ")
    sentence = cli.stderr.strip().removeprefix("error: ")
    assert sentence == f"Cannot read {huge}: it has 1000000 notes, more than the limit of {MAX_NOTES}."
    before = peak_rss_mb(resource.RUSAGE_SELF)
    files.open_path(huge, ask=False)
    qtbot.waitUntil(lambda: bool(files.warnings), timeout=60000)
    assert files.warnings == [sentence] and doc.path is None
    assert peak_rss_mb(resource.RUSAGE_SELF) - before < 150  # the editor's process never held the notes
    assert peak_rss_mb(resource.RUSAGE_CHILDREN) < before + 600  # nor did the reader (the CLI's own child included)


def test_the_bounded_reader_counts_before_building_notes(tmp_path, monkeypatch):
    """The limit triggers before a single Note is built (the CLI and the GUI share this reader)."""
    import app.core.project as project

    huge = tmp_path / "huge.cadenza"
    write_huge_project(huge, MAX_NOTES + 1)
    built = []
    monkeypatch.setattr(project, "Note", lambda *a, **k: built.append(1))
    with pytest.raises(LimitExceededError, match=f"it has {MAX_NOTES + 1} notes"):
        load_project(huge)
    assert built == []


def test_a_huge_autosave_is_refused_in_words_not_loaded(files, folder, qtbot, doc):
    """Scenario 14: recovery reads autosaves through the same bounded reader."""
    folder.mkdir(parents=True)
    huge = folder / "session-0123456789ab.cadenza"
    write_huge_project(huge)
    offered = []
    files.choose_recovery = lambda items: offered.extend(items) or items[0]
    files.offer_recovery()
    qtbot.waitUntil(lambda: bool(files.warnings), timeout=60000)
    assert offered[0].note_count == -1 and offered[0].describe().endswith("notes unknown")
    assert files.warnings == [f"Cannot read {huge}: it has 1000000 notes, more than the limit of {MAX_NOTES}."]
    assert huge.exists() and doc.score.note_count == 0  # kept: only Discard deletes it


SCENARIOS = 14  # recovery scenarios above (the parametrized reopen test counts as three)
