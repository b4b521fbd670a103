"""The window on a bad day: a write-protected file is not replaced (Save As is offered), and a spectrogram
that cannot be made says why in the view instead of leaving it blank."""

from __future__ import annotations

import stat
import sys

import pytest
from PySide6.QtWidgets import QWidget

from app import commands
from app.core.project import load_project, save_project
from app.core.score import Note, Score, Track
from app.services.player import Player
from app.services.spectrogram import SpectrogramService
from app.ui.file_controller import FileController
from app.ui.spectrogram_view import SpectrogramView
from pulse import pulse_server  # noqa: F401 (the session fixture)


@pytest.fixture
def files(doc, runner, settings, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    window = QWidget()
    qtbot.addWidget(window)
    fc = FileController(window, doc, runner, settings, lambda: {}, lambda: {})
    fc.warnings, fc.offers = [], []
    fc.warn = lambda title, message: fc.warnings.append(message)
    yield fc
    fc.autosave.discard()


def sketch(title: str = "Sketch") -> Score:
    return Score(tracks=(Track("Lead", 0, False, (Note(0, 72, 480), Note(480, 74, 240))),), title=title)


def protected_project(tmp_path) -> tuple:
    path = tmp_path / "song.cadenza"
    save_project(sketch("the saved one"), path)
    path.chmod(0o444)
    return path, path.read_bytes()


def edit(doc, path) -> None:
    doc.replace_all(sketch("the saved one"), path)
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(960, 76, 480)], "Draw"))


def test_saving_over_a_write_protected_file_offers_save_as(files, doc, qtbot, tmp_path):
    path, before = protected_project(tmp_path)
    edit(doc, path)
    files.ask_save_as = lambda message: files.offers.append(message) or True
    files.ask_path = lambda *a: str(tmp_path / "song copy.cadenza")
    with qtbot.waitSignal(files.saved, timeout=20000):
        assert files.save()
    assert files.offers == ["song.cadenza is read-only; save it under another name."]
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert doc.path == tmp_path / "song copy.cadenza" and not doc.modified
    assert load_project(doc.path)[0] == doc.score


def test_declining_the_offer_saves_nothing_and_keeps_the_edits(files, doc, tmp_path):
    path, before = protected_project(tmp_path)
    edit(doc, path)
    files.ask_save_as = lambda message: files.offers.append(message) and False
    files.ask_path = lambda *a: pytest.fail("no file dialog after Cancel")
    assert files.save(wait=True) is False
    assert path.read_bytes() == before and doc.modified and files.warnings == []
    assert [p.name for p in tmp_path.iterdir() if "song" in p.name] == ["song.cadenza"]  # no temp file, no .bak


def test_exporting_over_a_write_protected_file_says_so(files, doc, qtbot, tmp_path):
    target = tmp_path / "take.mid"
    target.write_bytes(b"keep me")
    target.chmod(0o444)
    doc.replace_all(sketch())
    files.export(target)
    qtbot.waitUntil(lambda: bool(files.warnings), timeout=20000)
    assert files.warnings == ["take.mid is read-only; save it under another name."]
    assert target.read_bytes() == b"keep me"


@pytest.fixture
def player(qapp, settings):
    p = Player(settings)
    yield p
    p.shutdown()


def test_a_spectrogram_that_cannot_be_made_says_why_in_the_view(qtbot, runner, player, monkeypatch):
    view = SpectrogramView(SpectrogramService(runner, player), left_margin_px=60)
    qtbot.addWidget(view)
    view.resize(600, 200)
    view.show()
    monkeypatch.setitem(sys.modules, "librosa", None)  # the analysis library cannot be imported
    try:
        with qtbot.waitSignal(view.failed, timeout=30000) as blocker:
            view.service.set_score(sketch())
        reason = blocker.args[0]
        assert reason == ("The spectrogram could not be computed: "
                          "The audio analysis library (librosa) is not installed.")
        assert view.message() == reason and view.notice.isVisible() and view.spectrogram() is None
        assert "Traceback" not in reason
        monkeypatch.undo()  # librosa is back: the next score gets its spectrogram and the reason goes
        with qtbot.waitSignal(view.computed, timeout=60000):
            view.service.set_score(sketch("another"))
        assert view.message() == "" and view.spectrogram() is not None
    finally:
        runner.shutdown()  # before the player frees its synth
