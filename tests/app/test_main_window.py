"""The assembled window: docks, title, opening by drop, drag-out MIDI, persistence, start-up without torch."""

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app import commands
from app.core.formats import load_score
from app.core.score import Note

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def window(qtbot, settings, tmp_path, monkeypatch):
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    w = MainWindow(settings)
    w.files.warn = lambda title, message: w.warnings.append(message)
    w.files.ask_save = lambda: "discard"
    w.warnings = []
    qtbot.addWidget(w)
    w.show()
    yield w
    w.doc.mark_saved()
    w.close()


def test_panels_are_docks_and_the_roll_is_central(window):
    assert window.centralWidget() is window.roll
    assert set(window.docks) == {"abc", "tracks", "spectrogram", "generate", "variations", "phrases"}
    for dock in window.docks.values():
        assert dock.widget() is not None and dock.toggleViewAction().isCheckable()
    shortcuts = {window.actions[n].shortcut().toString() for n in ("play", "undo", "redo", "duplicate", "quantize")}
    assert shortcuts == {"Space", "Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+D", "Q"}


def test_title_shows_the_modified_state(window, qtbot):
    assert window.windowTitle().startswith("Untitled") and not window.isWindowModified()
    window.doc.undo_stack.push(commands.NotesCommand(window.doc, 0, [], [Note(0, 60, 480)], "Draw"))
    assert window.isWindowModified()
    window.actions["undo"].trigger()
    assert not window.isWindowModified() and window.doc.score.note_count == 0
    window.actions["redo"].trigger()
    assert window.doc.score.note_count == 1


def test_dropping_a_file_opens_it(window, qtbot):
    path = DATA / "midi" / "multitrack.mid"
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.files.opened, timeout=20000):
        window.dropEvent(event)
    assert window.doc.score == load_score(path)
    assert window.windowTitle().startswith("multitrack.mid")


def test_drag_out_carries_a_midi_file_of_the_score_or_track(window):
    score = load_score(DATA / "midi" / "multitrack.mid")
    window.doc.replace_all(score)
    data = window.drag_button.mime_data()
    (url,) = data.urls()
    dragged = load_score(url.toLocalFile())
    assert url.toLocalFile().endswith(".mid") and dragged.note_count == score.note_count
    window.doc.set_active_track(1)
    window.drag_button.set_what("Active track")
    one = load_score(window.drag_button.mime_data().urls()[0].toLocalFile())
    assert [n.pitch for n in one.all_notes()] == [n.pitch for n in score.tracks[1].notes]


def test_layout_persists(qtbot, settings, tmp_path, monkeypatch):
    from app.ui.main_window import MainWindow

    monkeypatch.setenv("CADENZA_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    first.docks["spectrogram"].hide()
    first.close()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    again.show()
    assert again.docks["spectrogram"].isHidden() and not again.docks["abc"].isHidden()
    again.close()


def test_the_window_module_does_not_import_torch():
    code = "import sys, app.ui.main_window; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "False", out.stderr[-400:]


def test_opening_a_midi_file_puts_its_notes_in_the_scene(window, qtbot):
    path = DATA / "midi" / "multitrack.mid"
    with qtbot.waitSignal(window.files.opened, timeout=20000):
        window.files.open_path(path)
    score = load_score(path)
    scene = window.roll.view.note_scene
    for index, track in enumerate(score.tracks):
        items = sorted(scene.note_items(index), key=lambda i: (i.note.start, i.note.pitch))
        assert [i.note for i in items] == sorted(track.notes, key=lambda n: (n.start, n.pitch))
        for item in items:  # x in ticks, one row per pitch
            rect = item.rect()
            assert (rect.x(), rect.width(), rect.y()) == (item.note.start, item.note.duration, 127 - item.note.pitch)


def test_tempo_box_edits_the_tempo_as_one_undoable_step(window):
    window.transport.tempo.setValue(132.0)
    window.transport.tempo.editingFinished.emit()
    assert window.doc.score.tempos[0].bpm == 132.0
    window.doc.undo_stack.undo()
    assert window.doc.score.tempos[0].bpm == 120.0 and window.transport.tempo.value() == 120.0


def test_play_starts_at_the_selection_or_the_playhead_or_the_loop(window, monkeypatch):
    calls = []
    monkeypatch.setattr(window.player, "play", lambda provider, start, end=None, loop=None, **_:
                        calls.append((provider().note_count, start, end, loop)))
    notes = [Note(0, 60, 480), Note(960, 64, 480), Note(1920, 67, 960)]
    window.doc.undo_stack.push(commands.NotesCommand(window.doc, 0, [], notes, "Draw"))
    window.roll.clear_selection()
    window.roll.set_playhead(960)
    window.playback.play()
    window.roll.view.note_scene.set_selection([i for i in window.roll.view.note_scene.note_items(0)
                                               if i.note.start == 960])
    window.playback.play()
    window.roll.clear_selection()
    window.roll.set_loop_region((1920, 3840))
    window.actions["loop"].setChecked(True)
    window.playback.play()
    assert calls == [(3, 960, None, None), (3, 960, 1440, None), (3, 1920, None, (1920, 3840))]


def test_spectrogram_is_aligned_with_the_piano_roll(window, qtbot):
    from PySide6.QtCore import QPoint

    window.doc.undo_stack.push(commands.NotesCommand(window.doc, 0, [], [Note(0, 69, 1920)], "Draw"))
    window.roll.zoom_horizontal(1.7)
    qtbot.waitUntil(lambda: window.spectrogram.spectrogram() is not None, timeout=60000)  # the first render also imports librosa
    for tick in (480, 1920):
        roll_x = window.roll.view.viewport().mapToGlobal(QPoint(0, 0)).x() + window.roll.view.tick_to_x(tick)
        spec_x = window.spectrogram.mapToGlobal(QPoint(0, 0)).x() + window.spectrogram.tick_to_x(tick)
        assert abs(roll_x - spec_x) <= 1.5, (tick, roll_x, spec_x)


def test_preferences_are_kept(window, settings):
    from app.ui.dialogs.preferences import PreferencesDialog

    dialog = PreferencesDialog(settings, ["Speakers", "Headphones"], window)
    dialog.device.setCurrentText("Headphones")
    dialog.rate.setCurrentIndex(1)
    dialog.autosave.setValue(30)
    dialog.accept()
    assert (settings.audio_device, settings.sample_rate, settings.autosave_interval_s) == ("Headphones", 48000, 30)


def test_piano_roll_notes_take_the_track_list_colours(window):
    from app.ui.panels.track_colours import track_colour
    from app.ui.pianoroll.style import track_color

    for index in range(12):
        assert abs(track_color(index, 100).hueF() - track_colour(index).hueF()) < 0.01
    assert len({round(track_color(i).hueF(), 2) for i in range(6)}) == 6


def test_a_warning_from_a_worker_thread_reaches_the_status_bar(window, qtbot):
    import threading

    from app.core import notices

    message = "The cache folder /x cannot be written; a temporary folder is used instead (test)."
    threading.Thread(target=notices.warn_once, args=(message,)).start()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message, timeout=5000)


def test_an_export_says_what_notation_changed(window, qtbot, tmp_path):
    messages = []
    window.files.status_message.connect(messages.append)
    window.doc.undo_stack.push(commands.NotesCommand(window.doc, 0, [], [Note(0, 60, 480), Note(480, 62, 3)], "Draw"))
    window.files.export(tmp_path / "song.musicxml")
    qtbot.waitUntil(lambda: any(m.startswith("Exported song.musicxml.") for m in messages), timeout=30000)
    done = next(m for m in messages if m.startswith("Exported"))
    assert "lengthened" in done and (tmp_path / "song.musicxml").is_file()


def test_opening_a_big_file_says_how_far_it_is(window, qtbot, tmp_path):
    import mido

    track = mido.MidiTrack()
    for i in range(150_000):  # about 3 s of reading: the progress comes about once a second
        track += [mido.Message("note_on", note=40 + i % 48, velocity=80, time=0),
                  mido.Message("note_off", note=40 + i % 48, velocity=0, time=60)]
    big = tmp_path / "big.mid"
    mido.MidiFile(tracks=[track], ticks_per_beat=480).save(big)
    messages = []
    window.files.status_message.connect(messages.append)
    window.files.open_path(big)
    qtbot.waitUntil(lambda: window.doc.score.note_count == 150_000, timeout=120000)
    assert any(m.startswith("Reading big.mid (") and m.endswith(" s") for m in messages), messages
