"""The piano roll's grid no longer pulls notes onto it: a played (or humanized) note keeps its exact ticks.

Opening a file shows notes where they are; moving or resizing by the mouse or the arrow keys goes by
whole grid steps, keeping each note's offset from the grid; Shift moves freely; a paste at the playhead
keeps the phrase's offset; drawing still snaps; Quantize (Q) is what puts notes on the grid.
"""

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.core.midi import write_midi
from app.core.score import Note, Score, Track
from app.services.files import open_file

LEFT, NONE, SHIFT = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier
STEP = 120  # 1/16 at 480 ppq
PLAYED = (Note(247, 62, 200, 57), Note(731, 65, 470, 101))  # 7 and 11 ticks after a grid line


@pytest.fixture
def roll(make_roll, tmp_path):
    """A roll on a MIDI file of played notes, opened the way File > Open reads it; the select tool."""
    write_midi(Score(tracks=(Track("Piano", 0, False, PLAYED),)), tmp_path / "played.mid")
    widget = make_roll(open_file(tmp_path / "played.mid").score, centre=64)
    widget.set_tool("select")
    return widget


def at(roll, tick, pitch) -> QPoint:
    return QPoint(round(roll.view.tick_to_x(tick)), round(roll.view.pitch_to_y(pitch)))


def move(widget, pos: QPoint, modifier) -> None:
    """A mouse move with the left button held and ``modifier`` (qtbot's moves carry no modifiers)."""
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.NoButton,
                        LEFT, modifier)
    QApplication.sendEvent(widget, event)


def drag(qtbot, widget, a: QPoint, b: QPoint, modifier=NONE) -> None:
    qtbot.mousePress(widget, LEFT, modifier, a)
    move(widget, (a + b) / 2, modifier)
    move(widget, b, modifier)
    qtbot.mouseRelease(widget, LEFT, modifier, b)


def notes(doc) -> tuple:
    return doc.score.tracks[0].notes


def test_an_opened_file_keeps_and_shows_its_exact_ticks(roll, doc):
    assert notes(doc) == PLAYED
    items = sorted(roll.view.note_scene.note_items(0), key=lambda i: i.note)
    assert [(i.rect().x(), i.rect().width()) for i in items] == [(247, 200), (731, 470)]


def test_a_drag_by_a_grid_step_keeps_the_offset_and_shift_drags_freely(roll, doc, qtbot):
    vp = roll.view.viewport()
    drag(qtbot, vp, at(roll, 300, 62), at(roll, 300 + STEP, 62))
    assert notes(doc)[0] == Note(247 + STEP, 62, 200, 57)  # not 360: 7 ticks after the line, as before
    a, b = at(roll, 420, 62), at(roll, 420 + 50, 62)
    free = round(roll.view.x_to_tick(b.x()) - roll.view.x_to_tick(a.x()))
    drag(qtbot, vp, a, b, SHIFT)
    assert free % STEP and notes(doc)[0] == Note(367 + free, 62, 200, 57)
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert notes(doc) == PLAYED  # each drag one undo step


def test_arrow_keys_and_a_resize_move_by_grid_steps_and_quantize_snaps(roll, doc, qtbot):
    roll.view.note_scene.set_selection([i for i in roll.view.note_scene.note_items(0) if i.note == PLAYED[1]])
    roll.move_by_grid(1)
    assert notes(doc)[1] == Note(731 + STEP, 65, 470, 101)
    edge = at(roll, 851 + 470, 65) - QPoint(2, 0)
    drag(qtbot, roll.view.viewport(), edge, edge + QPoint(round(2 * STEP / roll.view.tpp), 0))
    assert notes(doc)[1] == Note(851, 65, 470 + 2 * STEP, 101)  # the end keeps its offset too
    roll.quantize()
    assert notes(doc)[1] == Note(840, 65, 720, 101)


def test_a_pasted_phrase_keeps_its_offset_from_the_grid(roll, doc):
    roll.select_all()
    roll.copy()
    roll.set_playhead(1920)
    roll.paste()
    assert set(notes(doc)) == set(PLAYED) | {Note(n.start - 240 + 1920, n.pitch, n.duration, n.velocity)
                                             for n in PLAYED}  # 247 lands on 1927, not on 1920


def test_drawing_still_snaps_to_the_grid(roll, doc, qtbot):
    roll.set_tool("draw")
    qtbot.mouseClick(roll.view.viewport(), LEFT, NONE, at(roll, 1990, 70))
    assert Note(1920, 70, STEP, roll.view.last_velocity) in notes(doc)
