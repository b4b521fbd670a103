"""Piano roll with real mouse events: items and geometry, draw, move, resize, select, erase, zoom."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from app import commands
from app.core.score import Note, Score, Track
from app.ui.pianoroll import PianoRoll
from app.ui.pianoroll.scene import NoteItem

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
NONE, CTRL = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier
PIANO = (Note(0, 60, 480, 100), Note(480, 64, 240, 80), Note(960, 67, 480, 60))
BASS = (Note(0, 48, 960, 90),)


def small_score() -> Score:
    return Score(tracks=(Track("Piano", 0, False, PIANO), Track("Bass", 33, False, BASS)))


@pytest.fixture
def roll(make_roll):
    return make_roll(small_score(), centre=58)


def at(roll, tick, pitch) -> QPoint:
    return QPoint(round(roll.view.tick_to_x(tick)), round(roll.view.pitch_to_y(pitch)))


def drag(qtbot, widget, a: QPoint, b: QPoint, button=LEFT, modifier=NONE) -> None:
    qtbot.mousePress(widget, button, modifier, a)
    qtbot.mouseMove(widget, (a + b) / 2)
    qtbot.mouseMove(widget, b)
    qtbot.mouseRelease(widget, button, modifier, b)


def round_trip(doc, before, check) -> None:
    """The command just pushed: checked after, then undo / redo / undo / redo."""
    check(doc.score)
    doc.undo_stack.undo()
    assert doc.score == before
    doc.undo_stack.redo()
    check(doc.score)
    doc.undo_stack.undo()
    assert doc.score == before
    doc.undo_stack.redo()
    check(doc.score)


def wheel(widget, pos: QPoint, delta: int, modifiers=NONE, horizontal=False) -> None:
    angle = QPoint(delta, 0) if horizontal else QPoint(0, delta)
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(), angle, Qt.MouseButton.NoButton,
                        modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_notes_appear_as_items_with_their_geometry_and_track_style(roll):
    scene = roll.view.note_scene
    piano, bass = scene.note_items(0), scene.note_items(1)
    assert sorted(i.note for i in piano) == list(PIANO) and [i.note for i in bass] == list(BASS)
    for item in piano + bass:
        rect, n = item.rect(), item.note
        assert (rect.x(), rect.y(), rect.width(), rect.height()) == (n.start, 127 - n.pitch, n.duration, 1)
    assert all(i.zValue() == 1 and i.brush().color().alpha() == 255 for i in piano)
    assert all(i.zValue() == 0 and i.brush().color().alpha() < 255 for i in bass)  # dimmed
    assert piano[0].brush().color().hue() != bass[0].brush().color().hue()  # distinct track colours
    loud, soft = (next(i for i in piano if i.note.velocity == v) for v in (100, 60))
    assert loud.brush().color().value() > soft.brush().color().value()  # velocity as brightness
    vp = roll.view.viewport()
    assert roll.view.items(at(roll, 240, 60))[0] is next(i for i in piano if i.note.pitch == 60)
    assert vp.rect().contains(at(roll, 240, 60))


def test_draw_by_drag_snaps_start_and_length(roll, doc, qtbot):
    before = doc.score
    drag(qtbot, roll.view.viewport(), at(roll, 1450, 72), at(roll, 1930, 72))
    drawn = Note(1440, 72, 480, 90)  # start floored to the 1/16 cell, end rounded
    round_trip(doc, before, lambda s: s.tracks[0].notes == tuple(sorted(PIANO + (drawn,))))
    assert roll.selected_notes() == [drawn] and doc.undo_stack.count() == 1


def test_draw_click_makes_one_grid_step_and_respects_snap(roll, doc, qtbot):
    roll.set_snap("1/8T")
    assert roll.snap_ticks() == 160
    qtbot.mouseClick(roll.view.viewport(), LEFT, NONE, at(roll, 1700, 70))
    assert Note(1600, 70, 160, 90) in doc.score.tracks[0].notes


def test_move_selection_with_mouse_snapped(roll, doc, qtbot):
    roll.set_tool("select")
    before = doc.score
    drag(qtbot, roll.view.viewport(), at(roll, 200, 60), at(roll, 200 + 520, 62))
    moved = Note(480, 62, 480, 100)  # start 0 + 520 snaps to 480; two semitones up
    round_trip(doc, before, lambda s: s.tracks[0].notes == tuple(sorted(PIANO[1:] + (moved,))))
    assert roll.selected_notes() == [moved]


def test_resize_by_right_edge(roll, doc, qtbot):
    roll.set_tool("select")
    before = doc.score
    edge = at(roll, 480, 60) - QPoint(2, 0)
    drag(qtbot, roll.view.viewport(), edge, at(roll, 700, 60))
    round_trip(doc, before, lambda s: Note(0, 60, 720, 100) in s.tracks[0].notes)


def test_hover_shows_resize_cursor_near_the_right_edge(roll, qtbot):
    roll.set_tool("select")
    vp = roll.view.viewport()
    qtbot.mouseMove(vp, at(roll, 480, 60) - QPoint(2, 0))
    assert vp.cursor().shape() == Qt.CursorShape.SizeHorCursor
    qtbot.mouseMove(vp, at(roll, 200, 60))
    assert vp.cursor().shape() == Qt.CursorShape.SizeAllCursor


def test_rubber_band_and_ctrl_click_selection(roll, qtbot):
    roll.set_tool("select")
    with qtbot.waitSignal(roll.selection_changed, timeout=1000):
        drag(qtbot, roll.view.viewport(), at(roll, 300, 66), at(roll, 1500, 58))
    assert roll.selected_notes() == [PIANO[0], PIANO[1]]  # the bass note under the band is not editable
    qtbot.mouseClick(roll.view.viewport(), LEFT, CTRL, at(roll, 600, 64))
    assert roll.selected_notes() == [PIANO[0]]
    qtbot.mouseClick(roll.view.viewport(), LEFT, CTRL, at(roll, 1100, 67))
    assert roll.selected_notes() == [PIANO[0], PIANO[2]]
    qtbot.mouseClick(roll.view.viewport(), LEFT, NONE, at(roll, 3000, 80))
    assert roll.selected_notes() == []


def test_erase_drag_is_one_command(roll, doc, qtbot):
    roll.set_tool("erase")
    before = doc.score
    vp = roll.view.viewport()
    qtbot.mousePress(vp, LEFT, NONE, at(roll, 100, 60))
    qtbot.mouseMove(vp, at(roll, 300, 62))
    qtbot.mouseMove(vp, at(roll, 600, 64))
    qtbot.mouseRelease(vp, LEFT, NONE, at(roll, 600, 64))
    assert doc.undo_stack.count() == 1
    round_trip(doc, before, lambda s: s.tracks[0].notes == (PIANO[2],) and s.tracks[1].notes == BASS)


def test_other_tracks_are_dimmed_and_not_editable(roll, doc, qtbot):
    vp = roll.view.viewport()
    roll.set_tool("select")
    qtbot.mouseClick(vp, LEFT, NONE, at(roll, 500, 48))
    assert roll.selected_notes() == []
    roll.set_tool("erase")
    qtbot.mouseClick(vp, LEFT, NONE, at(roll, 500, 48))
    assert doc.score.tracks[1].notes == BASS and doc.undo_stack.count() == 0
    doc.set_active_track(1)
    scene = roll.view.note_scene
    assert all(i.zValue() == 1 for i in scene.note_items(1)) and all(i.zValue() == 0 for i in scene.note_items(0))
    qtbot.mouseClick(vp, LEFT, NONE, at(roll, 500, 48))
    assert doc.score.tracks[1].notes == ()


def test_double_click_in_select_tool_adds_a_note(roll, doc, qtbot):
    roll.set_tool("select")
    before = doc.score
    qtbot.mouseDClick(roll.view.viewport(), LEFT, NONE, at(roll, 2000, 75))
    assert doc.undo_stack.count() == 1
    round_trip(doc, before, lambda s: s.tracks[0].notes == PIANO + (Note(1920, 75, 120, 90),))


def test_dragging_one_of_several_selected_notes_moves_them_all(roll, doc, qtbot):
    roll.set_tool("select")
    roll.select_all()
    before = doc.score
    drag(qtbot, roll.view.viewport(), at(roll, 600, 64), at(roll, 600 + 240, 63))
    moved = tuple(Note(n.start + 240, n.pitch - 1, n.duration, n.velocity) for n in PIANO)
    round_trip(doc, before, lambda s: s.tracks[0].notes == moved and s.tracks[1].notes == BASS)
    assert roll.selected_notes() == list(moved) and doc.undo_stack.count() == 1


def test_ctrl_wheel_zooms_around_the_mouse_and_emits_view_changed(roll, qtbot):
    view, vp = roll.view, roll.view.viewport()
    roll.scroll_to_tick(960)
    point = at(roll, 1920, 60)
    tick = view.x_to_tick(point.x())
    old = roll.ticks_per_pixel()
    with qtbot.waitSignal(roll.view_changed, timeout=1000) as blocker:
        wheel(vp, point, 120, CTRL)
    assert roll.ticks_per_pixel() < old and blocker.args[1] == roll.ticks_per_pixel()
    assert abs(view.x_to_tick(point.x()) - tick) <= 2 * roll.ticks_per_pixel()
    with qtbot.waitSignal(roll.view_changed, timeout=1000) as blocker:
        roll.zoom_horizontal(0.5)
    assert blocker.args[1] == pytest.approx(roll.ticks_per_pixel())


def test_shift_wheel_zooms_rows_plain_wheel_scrolls_alt_wheel_scrolls_across(roll):
    view, vp = roll.view, roll.view.viewport()
    rows = view.row_px
    wheel(vp, QPoint(100, 100), 120, Qt.KeyboardModifier.ShiftModifier)
    assert view.row_px > rows
    y = view.pitch_to_y(60)
    wheel(vp, QPoint(100, 100), -120)
    assert view.pitch_to_y(60) < y
    first = view.first_tick()
    wheel(vp, QPoint(100, 100), -120, Qt.KeyboardModifier.AltModifier)
    assert view.first_tick() > first
    first = view.first_tick()
    wheel(vp, QPoint(100, 100), -120, horizontal=True)
    assert view.first_tick() > first


def test_playhead_is_one_item_and_follows_when_set(roll, qtbot):
    head = roll.view.note_scene.playhead
    roll.set_playhead(960)
    assert roll.playhead() == 960 and head.pos().x() == 960
    far = 480 * 4 * 40
    roll.set_playhead(far)
    assert 0 <= roll.view.tick_to_x(far) <= roll.view.viewport().width()
    roll.follow = False
    roll.set_playhead(0)
    assert roll.view.tick_to_x(0) < 0


def test_single_edit_updates_items_incrementally(roll, doc):
    scene = roll.view.note_scene
    kept = {id(i) for i in scene.note_items()}
    doc.undo_stack.push(commands.NotesCommand(doc, 0, [], [Note(1920, 70, 240)], "Add"))
    after = scene.note_items()
    assert len(after) == 5 and len(kept & {id(i) for i in after}) == 4
    doc.undo_stack.undo()
    assert len(scene.note_items()) == 4


def test_ten_thousand_notes_build_one_item_each(doc, qtbot):
    notes = tuple(Note(i * 60, 36 + i % 48, 90, 20 + i % 100) for i in range(10_000))
    doc.replace_all(Score(tracks=(Track("Many", 0, False, notes), Track("Other", 0, False, notes[:500]))))
    widget = PianoRoll(doc)
    qtbot.addWidget(widget)
    scene = widget.view.note_scene
    assert len(scene.note_items(0)) == 10_000 and len(scene.note_items(1)) == 500
    assert sum(isinstance(i, NoteItem) for i in scene.items()) == 10_500
    assert scene.sceneRect().width() >= notes[-1].end
    widget.select_all()
    assert len(widget.selected_notes()) == 10_000
