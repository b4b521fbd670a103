"""Tempo, meter and key markers on the ruler's lane: added by double-click, moved by drag, edited, removed,
each one undoable; the grid and the metronome follow the meter map."""

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QPushButton, QToolTip

from app.commands import set_marker_command
from app.core.abc.write import write_abc
from app.core.metronome import click_schedule
from app.core.midi import read_midi, write_midi
from app.core.score import KeyChange, Note, Score, TempoChange, TimeSignature, Track
from app.ui.pianoroll.grid import bars_between
from app.ui.pianoroll.marker_lane import COLOURS, Marker
from app.ui.pianoroll.painting import grid_lines
from models.common.note_tokens import bar_steps, continuation_context
from plain_window import plain_window  # noqa: F401 (a fixture)

LEFT, RIGHT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier


def sketch(**maps) -> Score:
    return Score(tracks=(Track("Piano", notes=(Note(0, 60, 480), Note(1920, 64, 480))),), **maps)


def lane_y(ruler) -> int:
    return ruler.bar_h + ruler.lane_h // 2


def flag_of(ruler, kind: str, tick: int):
    return next(f for f in ruler.flags() if (f.marker.kind, f.marker.tick) == (kind, tick))


def undo_redo(doc, before, after, text: str) -> None:
    assert doc.undo_stack.undoText() == text
    for _ in range(2):
        doc.undo_stack.undo()
        assert doc.score == before
        doc.undo_stack.redo()
        assert doc.score == after


def test_double_click_on_the_lane_adds_a_tempo_change(make_roll, doc, qtbot):
    roll = make_roll(sketch(tempos=(TempoChange(0, 120.0),)))
    ruler, before = roll.ruler, doc.score
    assert [f.marker.label for f in ruler.flags()] == ["4/4", "♩=120"]  # no key yet: no key flag
    x = round(roll.view.tick_to_x(3840 + 40))  # near bar 3, snapped to the 1/16 grid
    qtbot.mouseDClick(ruler, LEFT, NONE, QPoint(x, lane_y(ruler)))
    dialog = ruler.marker_dialog
    assert dialog.isVisible() and dialog.kind() == "tempo" and dialog.value() == 120.0  # the tempo in force
    dialog.bpm.setValue(96.0)
    dialog.accept()
    after = doc.score
    assert after.tempos == (TempoChange(0, 120.0), TempoChange(3840, 96.0))
    undo_redo(doc, before, after, "Add tempo change")
    flag = flag_of(ruler, "tempo", 3840)
    assert flag.marker.label == "♩=96" and flag.x == pytest.approx(roll.view.tick_to_x(3840))
    image = ruler.grab().toImage()  # drawn as a flag of the tempo colour
    assert image.pixelColor(round(flag.rect.right()) - 2, round(flag.rect.center().y())) == COLOURS["tempo"]
    centre = flag.rect.center().toPoint()
    QApplication.sendEvent(ruler, QHelpEvent(QEvent.Type.ToolTip, centre, ruler.mapToGlobal(centre)))
    assert QToolTip.text() == "Tempo 96 BPM from bar 3: double-click to edit, drag to move, right-click to remove"


def test_double_click_adds_a_key_change_and_a_flag_edits_it(make_roll, doc, qtbot):
    roll = make_roll(sketch(key="C major"))
    ruler = roll.ruler
    qtbot.mouseDClick(ruler, LEFT, NONE, QPoint(round(roll.view.tick_to_x(1920)), lane_y(ruler)))
    dialog = ruler.marker_dialog
    dialog.kind_box.setCurrentIndex(2)  # Key
    dialog.key.setCurrentText("G major")
    dialog.accept()
    assert doc.score.keys == (KeyChange(0, "C major"), KeyChange(1920, "G major"))
    assert doc.undo_stack.undoText() == "Add key change"
    assert flag_of(ruler, "key", 1920).marker.label == "G maj"
    flag = flag_of(ruler, "key", 1920)  # a double-click on the flag opens it, its kind fixed
    qtbot.mouseDClick(ruler, LEFT, NONE, flag.rect.center().toPoint())
    dialog = ruler.marker_dialog
    assert not dialog.kind_box.isEnabled() and dialog.value() == "G major"
    dialog.key.setCurrentText("E minor")
    dialog.accept()
    assert doc.score.key_at(1920) == "E minor" and doc.undo_stack.undoText() == "Edit key change"
    doc.undo_stack.undo()
    assert doc.score.key_at(1920) == "G major"


def test_drag_moves_a_meter_change_to_a_bar_line(make_roll, doc, qtbot):
    roll = make_roll(sketch(time_signatures=(TimeSignature(0, 2, 4), TimeSignature(1920, 4, 4))))
    ruler, view, before = roll.ruler, roll.view, doc.score
    start = flag_of(ruler, "meter", 1920).rect.center().toPoint()
    qtbot.mousePress(ruler, LEFT, NONE, start)
    qtbot.mouseMove(ruler, QPoint(start.x() + round(view.tick_to_x(2700) - view.tick_to_x(1920)), start.y()))
    assert ruler._moving_flag().marker == Marker("meter", 2880, (4, 4))  # shown where it would land
    qtbot.mouseRelease(ruler, LEFT, NONE, start)
    after = doc.score
    assert after.time_signatures == (TimeSignature(0, 2, 4), TimeSignature(2880, 4, 4))  # 2/4 bar 4
    undo_redo(doc, before, after, "Move meter change")


def test_drag_moves_a_tempo_change_on_the_grid_and_the_opening_one_stays(make_roll, doc, qtbot):
    roll = make_roll(sketch(tempos=(TempoChange(0, 120.0), TempoChange(1920, 90.0))))
    ruler, view, before = roll.ruler, roll.view, doc.score
    start = flag_of(ruler, "tempo", 1920).rect.center().toPoint()
    dx = round(view.tick_to_x(2400 + 50) - view.tick_to_x(1920))
    qtbot.mousePress(ruler, LEFT, NONE, start)
    qtbot.mouseMove(ruler, start + QPoint(dx, 0))
    qtbot.mouseRelease(ruler, LEFT, NONE, start + QPoint(dx, 0))
    after = doc.score
    assert after.tempos == (TempoChange(0, 120.0), TempoChange(2400, 90.0))  # on the 1/16 grid
    undo_redo(doc, before, after, "Move tempo change")
    opening = flag_of(ruler, "tempo", 0).rect.center().toPoint()  # a drag of an opening change does nothing
    qtbot.mousePress(ruler, LEFT, NONE, opening)
    qtbot.mouseMove(ruler, opening + QPoint(200, 0))
    qtbot.mouseRelease(ruler, LEFT, NONE, opening + QPoint(200, 0))
    assert doc.score == after and doc.undo_stack.count() == 1


def test_remove_from_the_flag_menu_and_the_editor(make_roll, doc, qtbot):
    roll = make_roll(sketch(tempos=(TempoChange(0, 120.0), TempoChange(1920, 90.0)),
                            time_signatures=(TimeSignature(0, 4, 4), TimeSignature(3840, 3, 4))))
    ruler, before = roll.ruler, doc.score
    qtbot.mouseClick(ruler, RIGHT, NONE, flag_of(ruler, "tempo", 1920).rect.center().toPoint())
    edit, remove = ruler.marker_menu.actions()
    assert remove.text() == "&Remove Tempo Change" and remove.isEnabled()
    remove.trigger()
    ruler.marker_menu.close()
    assert doc.score.tempos == (TempoChange(0, 120.0),) and doc.undo_stack.undoText() == "Remove tempo change"
    qtbot.mouseClick(ruler, RIGHT, NONE, flag_of(ruler, "meter", 0).rect.center().toPoint())
    assert not ruler.marker_menu.actions()[1].isEnabled()  # the opening meter cannot go
    ruler.marker_menu.close()
    ruler.edit_marker(flag_of(ruler, "meter", 3840).marker)
    remove_button = [b for b in ruler.marker_dialog.findChildren(QPushButton) if b.text() == "Remove"]
    remove_button[0].click()
    assert doc.score.time_signatures == (TimeSignature(0, 4, 4),)
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.score == before


def test_the_grid_bars_and_metronome_follow_a_meter_change(make_roll, doc):
    roll = make_roll(sketch(time_signatures=(TimeSignature(0, 3, 4),)))
    doc.undo_stack.push(set_marker_command(doc, "meter", 2880, (4, 4), "Add"))
    view = roll.view
    starts = [start for _, start, _ in bars_between(view.spans, 0, 7000)]
    assert starts == [0, 1440, 2880, 4800, 6720]  # two bars of 3/4, then 4/4
    bars, beats, _ = grid_lines(view.spans, 0, 7000, view.tpp, roll.grid.step())
    assert bars == starts and 960 in beats and 2880 + 480 * 3 in beats and 1440 + 1440 not in beats
    downbeats = [c.tick for c in click_schedule(doc.score, 0, 7000) if c.downbeat]
    assert downbeats == starts
    assert [c.tick for c in click_schedule(doc.score, 2880, 4800)] == [2880, 3360, 3840, 4320]
    doc.undo_stack.undo()
    assert [start for _, start, _ in bars_between(view.spans, 0, 5000)] == [0, 1440, 2880, 4320]


def test_transport_fields_edit_the_changes_in_force_at_the_playhead(plain_window):
    window, doc = plain_window, plain_window.doc
    doc.replace_all(sketch(tempos=(TempoChange(0, 120.0), TempoChange(1920, 90.0)),
                           time_signatures=(TimeSignature(0, 4, 4), TimeSignature(3840, 3, 4))))
    transport = window.transport
    window.roll.ruler.playhead_moved.emit(2400)  # the musician clicks the ruler in the second tempo region
    assert transport.tempo.value() == 90.0 and transport.meter.text() == "4/4"
    transport.tempo.setValue(100.0)
    transport.tempo.editingFinished.emit()
    assert doc.score.tempos == (TempoChange(0, 120.0), TempoChange(1920, 100.0))  # not the opening one
    assert doc.undo_stack.undoText() == "Edit tempo change"
    window.roll.ruler.playhead_moved.emit(4000)  # in the 3/4 region
    assert transport.meter.text() == "3/4" and transport.tempo.value() == 100.0
    transport.meter.setText("6/8")
    transport.meter.editingFinished.emit()
    assert doc.score.time_signatures == (TimeSignature(0, 4, 4), TimeSignature(3840, 6, 8))
    doc.undo_stack.undo()
    assert transport.meter.text() == "3/4"
    doc.undo_stack.undo()
    assert doc.score.tempos[1] == TempoChange(1920, 90.0) and transport.tempo.value() == 90.0
    window.roll.ruler.playhead_moved.emit(0)
    assert transport.tempo.value() == 120.0 and transport.meter.text() == "4/4"


def test_midi_and_abc_exports_carry_the_edited_maps(doc, tmp_path):
    doc.replace_all(sketch(key="C major"))
    for kind, tick, value in (("tempo", 1920, 96.0), ("meter", 3840, (3, 4)), ("key", 3840, "G major")):
        doc.undo_stack.push(set_marker_command(doc, kind, tick, value, "Add"))
    score = doc.score.with_tracks([doc.score.tracks[0].with_notes([Note(0, 60, 480), Note(5280, 67, 480)])])
    write_midi(score, tmp_path / "maps.mid")
    back = read_midi(tmp_path / "maps.mid")
    assert [(t.tick, round(t.bpm, 3)) for t in back.tempos] == [(0, 120.0), (1920, 96.0)]
    assert back.time_signatures == (TimeSignature(0, 4, 4), TimeSignature(3840, 3, 4))
    assert back.keys == (KeyChange(0, "C major"), KeyChange(3840, "G major"))
    abc = write_abc(score)
    assert "[Q:1/4=96]" in abc and "[M:3/4]" in abc and "[K:G]" in abc


def test_a_continuation_starts_in_the_key_meter_and_tempo_in_force_at_the_seed_end(doc):
    doc.replace_all(sketch(key="C major"))
    for kind, tick, value in (("tempo", 960, 96.0), ("meter", 1920, (3, 4)), ("key", 1920, "E minor")):
        doc.undo_stack.push(set_marker_command(doc, kind, tick, value, "Add"))
    like = continuation_context(doc.score)  # what the note models continue in (bar lengths, key)
    assert (like.tempos, like.time_signatures, like.key) == ((TempoChange(0, 96.0),), (TimeSignature(0, 3, 4),),
                                                            "E minor")
    assert bar_steps(like) == 36  # 3/4 at 12 steps a quarter
