"""Save As and Export start in the musician's folders, never in Cadenza's own (where the seeds live)."""

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.score import Note, Score, Track
from app.core.seeds import resolve
from app.ui.file_controller import FileController


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "Documents").mkdir(parents=True)
    return tmp_path / "home"


@pytest.fixture
def files(doc, runner, settings, home, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    window = QWidget()
    qtbot.addWidget(window)
    fc = FileController(window, doc, runner, settings, lambda: {}, lambda: {})
    fc.warn = lambda title, message: pytest.fail(message)
    yield fc
    fc.autosave.discard()


@pytest.fixture
def dialog(monkeypatch):
    """The Save dialog: records the folder it starts in and answers the next path it is given."""
    shown = {"starts": [], "answer": ""}

    def get_save_file_name(parent, caption, start, filters):
        shown["starts"].append(Path(start).parent)
        return shown["answer"], ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save_file_name))
    return shown


def a_seed_opened(files, doc, qtbot, name="rock-beat-in-a") -> Path:
    path = resolve(f"seed:{name}")
    with qtbot.waitSignal(files.opened, timeout=30000):
        files.open_path(path, ask=False)
    assert doc.path == path
    return path


def test_a_seed_never_saved_starts_in_documents(files, doc, qtbot, home, dialog):
    seed = a_seed_opened(files, doc, qtbot)
    assert files.settings.last_folder == str(seed.parent)  # opening a seed remembered the seeds folder...
    files.save_as()
    assert dialog["starts"] == [home / "Documents"]  # ...but saving never starts there


def test_the_documents_own_folder_then_the_last_save_folder(files, doc, qtbot, home, tmp_path, dialog):
    songs = tmp_path / "songs"
    songs.mkdir()
    doc.replace_all(Score(tracks=(Track("Lead", 0, False, (Note(0, 60, 480),)),)))
    dialog["answer"] = str(songs / "tune.cadenza")
    with qtbot.waitSignal(files.saved, timeout=30000):
        files.save_as()
    dialog["answer"] = ""
    files.save_as()  # the saved document: its own folder
    a_seed_opened(files, doc, qtbot)
    files.save_as()  # a seed: where the user last saved
    assert dialog["starts"] == [home / "Documents", songs, songs]


def test_an_export_moves_the_last_save_folder(files, doc, qtbot, tmp_path, dialog):
    a_seed_opened(files, doc, qtbot)
    bounces = tmp_path / "bounces"
    bounces.mkdir()
    with qtbot.waitSignal(files.status_message, timeout=30000, check_params_cb=lambda m: m.startswith("Exported")):
        files.export(bounces / "beat.mid")
    files.save_as()
    assert dialog["starts"] == [bounces]


def test_a_users_own_file_starts_in_its_folder(files, doc, qtbot, tmp_path, dialog):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "beat.mid").write_bytes(resolve("seed:rock-beat-in-a").read_bytes())
    files.settings.save_folder = str(tmp_path)
    with qtbot.waitSignal(files.opened, timeout=30000):
        files.open_path(mine / "beat.mid", ask=False)
    files.save_as()
    assert dialog["starts"] == [mine]
