"""The Listening Test dialog driven with scripted answers: clips made first, results appended, a second listener."""

import csv
import json

import numpy as np
import pytest

from app.cli import main
from app.core.listening.sheet import AnswerKey, listener_order
from app.core.midi import write_midi
from plain_window import plain_window  # noqa: F401 (fixture)
from tests.test_eval_cli import melody


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENZA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CADENZA_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CADENZA_LISTENING_DIR", str(tmp_path / "listening"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(4)
    for i in range(80):  # enough for 4 held-out pieces
        write_midi(melody(rng, bars=4), data / f"p{i:02d}.mid")
    assert main(["train", "--model", "markov", "--data", str(data), "--out", str(tmp_path / "models" / "tiny-a")]) == 0
    return tmp_path


def test_a_whole_test_with_scripted_answers(folders, qtbot, runner):
    from PySide6.QtCore import Qt

    from app.ui.dialogs.listening_test import LISTEN, RESULTS, ListeningTestDialog

    opened = []
    dialog = ListeningTestDialog(runner, opened.append)
    qtbot.addWidget(dialog)
    names = [dialog.models.item(i).text() for i in range(dialog.models.count())]
    assert "tiny-a" in names
    dialog.make()
    assert "Tick at least one model" in dialog.setup_status.text()  # nothing ticked yet
    dialog.models.item(names.index("tiny-a")).setCheckState(Qt.CheckState.Checked)
    dialog.clips.setValue(4)
    dialog.bars.setValue(2)
    dialog.seconds.setValue(3)
    dialog.make()
    qtbot.waitUntil(lambda: dialog.key is not None or dialog.make_button.isEnabled(), timeout=120_000)
    assert dialog.key is not None, dialog.setup_status.text()
    assert dialog.pages.currentIndex() == LISTEN
    key = AnswerKey.read(dialog.folder)
    assert key.settings["clip_seconds"] == 3.0
    assert len(list(dialog.folder.glob("clip-*.wav"))) == 4  # every clip exists before the first is shown
    # the screen says only which clip of how many: no name, no source
    assert dialog.clip_label.text() == "Clip 1 of 4"
    assert not dialog.next_button.isEnabled()
    dialog.play_button.setChecked(True)  # the listener's first clip plays, with a moving playhead
    assert dialog._player.source().toLocalFile() == str(dialog.folder / dialog.order[0])
    qtbot.waitUntil(lambda: dialog.playhead.value() > 0, timeout=20_000)
    dialog.play_button.setChecked(False)
    first = list(dialog.order)
    truth = {c.name: c.source for c in key.clips}
    with qtbot.waitSignal(dialog.finished_test) as done:
        for i, name in enumerate(first):  # listener 1: right on every clip but the first
            right = truth[name]
            dialog.answer(right if i else ("machine" if right == "human" else "human"), 1 + i)
    summary = done.args[0]
    assert dialog.pages.currentIndex() == RESULTS
    assert (summary["overall"]["correct"], summary["overall"]["responses"]) == (3, 4)
    assert summary["models"]["tiny-a"]["responses"] == 2
    assert "75%" in dialog.results_text.toPlainText() and "350 responses" in dialog.results_text.toPlainText()
    results = folders / "listening"
    with open(results / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["clip"] for r in rows] == first
    assert [int(r["confidence"]) for r in rows] == [1, 2, 3, 4]
    assert [int(r["correct"]) for r in rows] == [0, 1, 1, 1]
    assert {r["listener"] for r in rows} == {"listener 1"} and rows[0]["test"] == str(dialog.folder)
    # the clips revealed: each opens in the editor from its MIDI
    assert dialog.reveal.rowCount() == 4
    dialog.open_clip(0)
    assert opened == [str(dialog.folder / "sources" / "clip-01.mid")] and (dialog.folder / "sources" / "clip-01.mid").exists()
    report = folders / "report.txt"
    dialog.export_report(report)
    text = report.read_text()
    assert all(name in text for name in first) and "machine" in text and "human" in text
    # a second listener: the same clips in their own order (drawn from the test's seed and their number; with
    # four clips and a seed from the clock it may happen to equal the first), appended to the same results
    with qtbot.waitSignal(dialog.test_ready):
        dialog.start(dialog.folder)
    assert dialog.order == listener_order(key, 2) and first == listener_order(key, 1)
    assert sorted(dialog.order) == sorted(first)
    with qtbot.waitSignal(dialog.finished_test):
        for name in list(dialog.order):
            dialog.answer("human", 5)
    recorded = json.loads((results / "results.json").read_text())
    assert [s["listener"] for s in recorded] == ["listener 1", "listener 2"]
    assert recorded[1]["summary"]["overall"]["correct"] == 2  # the two human clips
    with open(results / "results.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 8


def test_the_generate_menu_opens_the_dialog(plain_window, qtbot):
    from app.ui.dialogs.listening_test import SETUP, ListeningTestDialog

    generate_menu = next(m.menu() for m in plain_window.menuBar().actions() if m.text() == "&Generate")
    assert plain_window.actions["listening_test"] in generate_menu.actions()
    plain_window.actions["listening_test"].trigger()
    dialog = plain_window.findChild(ListeningTestDialog)
    assert dialog is not None and dialog.isVisible() and dialog.pages.currentIndex() == SETUP
    assert dialog.runner is plain_window.runner
    dialog.reject()
