"""Piano roll editing operations, ruler (playhead, loop), keyboard and velocity lane."""

import pytest
from test_pianoroll import BASS, PIANO, small_score  # noqa: F401 (one small score for both files)
from PySide6.QtCore import QPoint, Qt

from app.core.score import Note, Score, Track
from app.settings import SNAPS

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
NONE, SHIFT = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier
@pytest.fixture
def roll(make_roll):
    return make_roll(small_score(), centre=60)


def round_trip(doc, before, check) -> None:
    """The command just pushed: checked after, then undo / redo / undo / redo."""
    check(doc.score)
    for _ in range(2):
        doc.undo_stack.undo()
        assert doc.score == before
        doc.undo_stack.redo()
        check(doc.score)


def select(roll, *notes) -> None:
    scene = roll.view.note_scene
    scene.set_selection([i for i in scene.note_items(0) if i.note in notes])
    assert roll.selected_notes() == sorted(notes)


def notes0(score):
    return score.tracks[0].notes


def test_copy_then_paste_at_playhead(roll, doc):
    select(roll, PIANO[0], PIANO[1])
    roll.copy()
    assert doc.undo_stack.count() == 0
    roll.set_playhead(1920)
    before = doc.score
    roll.paste()
    pasted = (Note(1920, 60, 480, 100), Note(2400, 64, 240, 80))
    round_trip(doc, before, lambda s: notes0(s) == tuple(sorted(PIANO + pasted)))
    assert roll.selected_notes() == list(pasted)


def test_cut_removes_and_fills_the_clipboard(roll, doc):
    select(roll, PIANO[2])
    before = doc.score
    roll.cut()
    round_trip(doc, before, lambda s: notes0(s) == PIANO[:2])
    roll.set_playhead(0)
    roll.paste()
    assert Note(0, 67, 480, 60) in notes0(doc.score)


def test_paste_with_empty_clipboard_says_so(roll, doc, qtbot):
    with qtbot.waitSignal(roll.status_message, timeout=1000) as blocker:
        roll.paste()
    assert "paste" in blocker.args[0].lower() and doc.undo_stack.count() == 0


def test_duplicate_places_a_copy_after_the_selection(roll, doc):
    select(roll, PIANO[1])
    before = doc.score
    roll.duplicate()
    round_trip(doc, before, lambda s: notes0(s) == tuple(sorted(PIANO + (Note(720, 64, 240, 80),))))
    roll.duplicate()  # the copy is selected: Ctrl+D again continues the pattern
    assert Note(960, 64, 240, 80) in notes0(doc.score)


def test_delete_selection(roll, doc):
    select(roll, PIANO[0], PIANO[2])
    before = doc.score
    roll.delete_selection()
    round_trip(doc, before, lambda s: notes0(s) == (PIANO[1],) and s.tracks[1].notes == BASS)


def test_transpose_up_and_by_octave(roll, doc):
    select(roll, PIANO[0])
    before = doc.score
    roll.transpose(1)
    round_trip(doc, before, lambda s: Note(0, 61, 480, 100) in notes0(s))
    before = doc.score
    roll.transpose(-12)  # Shift+Down in the action registry
    round_trip(doc, before, lambda s: Note(0, 49, 480, 100) in notes0(s))
    assert roll.selected_notes() == [Note(0, 49, 480, 100)]


def test_out_of_range_transpose_is_refused_with_a_message(roll, doc, qtbot):
    roll.select_all()
    before = doc.score
    with qtbot.waitSignal(roll.status_message, timeout=1000) as blocker:
        roll.transpose(70)
    assert blocker.args == ["Can't transpose: a note would leave the MIDI range."]
    assert doc.score == before and doc.undo_stack.count() == 0


def test_move_by_grid(roll, doc, qtbot):
    select(roll, PIANO[1])
    before = doc.score
    roll.move_by_grid(2)
    round_trip(doc, before, lambda s: Note(720, 64, 240, 80) in notes0(s))
    select(roll, PIANO[0])
    with qtbot.waitSignal(roll.status_message, timeout=1000):
        roll.move_by_grid(-1)  # already at the start
    roll.set_snap("1/4")
    select(roll, Note(720, 64, 240, 80))
    roll.move_by_grid(-1)
    assert Note(240, 64, 240, 80) in notes0(doc.score)


def test_quantize_selection_or_whole_track(roll, doc):
    loose = (Note(130, 70, 350, 90), Note(1000, 72, 100, 90))
    doc.replace_all(Score(tracks=(Track("Piano", 0, False, loose),)))
    roll.set_snap("1/8")
    before = doc.score
    roll.quantize()  # nothing selected: the whole active track
    round_trip(doc, before, lambda s: notes0(s) == (Note(240, 70, 240, 90), Note(960, 72, 240, 90)))


def test_set_selection_velocity(roll, doc):
    select(roll, PIANO[0], PIANO[1])
    before = doc.score
    roll.set_selection_velocity(40)
    round_trip(doc, before, lambda s: [n.velocity for n in notes0(s)] == [40, 40, 60])
    assert roll.view.last_velocity == 40


def test_velocity_lane_drag_is_one_command(roll, doc, qtbot):
    lane, view = roll.velocity_lane, roll.view
    before = doc.score
    x0, x1 = round(view.tick_to_x(0)) + 1, round(view.tick_to_x(480))
    y = round(lane.velocity_to_y(30))
    qtbot.mousePress(lane, LEFT, NONE, QPoint(x0, y))
    qtbot.mouseMove(lane, QPoint((x0 + x1) // 2, y))
    qtbot.mouseMove(lane, QPoint(x1, y))
    qtbot.mouseRelease(lane, LEFT, NONE, QPoint(x1, y))
    assert doc.undo_stack.count() == 1
    round_trip(doc, before, lambda s: [abs(n.velocity - 30) <= 1 for n in notes0(s)] == [True, True, False])
    assert doc.score.tracks[1].notes == BASS  # the bass (not active) keeps its velocity


def test_ruler_click_places_the_playhead_on_the_grid(roll, qtbot):
    roll.set_snap("1/4")
    x = round(roll.view.tick_to_x(1000))
    with qtbot.waitSignal(roll.playhead_moved, timeout=1000) as blocker:
        qtbot.mouseClick(roll.ruler, LEFT, NONE, QPoint(x, 5))
    assert blocker.args == [960] and roll.playhead() == 960
    assert roll.view.note_scene.playhead.pos().x() == 960


def test_ruler_shift_drag_and_right_drag_set_the_loop(roll, qtbot):
    ruler, view = roll.ruler, roll.view
    x = lambda tick: round(view.tick_to_x(tick))  # noqa: E731
    with qtbot.waitSignal(roll.loop_changed, timeout=1000) as blocker:
        qtbot.mousePress(ruler, LEFT, SHIFT, QPoint(x(470), 5))
        qtbot.mouseMove(ruler, QPoint(x(1200), 5))
        qtbot.mouseMove(ruler, QPoint(x(1930), 5))
        qtbot.mouseRelease(ruler, LEFT, SHIFT, QPoint(x(1930), 5))
    assert blocker.args == [(480, 1920)] and roll.loop_region() == (480, 1920) and view.loop == (480, 1920)
    with qtbot.waitSignal(roll.loop_changed, timeout=1000):  # drag the end edge
        qtbot.mousePress(ruler, LEFT, NONE, QPoint(x(1920), 5))
        qtbot.mouseMove(ruler, QPoint(x(2400), 5))
        qtbot.mouseRelease(ruler, LEFT, NONE, QPoint(x(2400), 5))
    assert roll.loop_region() == (480, 2400)
    with qtbot.waitSignal(roll.loop_changed, timeout=1000):
        qtbot.mousePress(ruler, RIGHT, NONE, QPoint(x(0), 5))
        qtbot.mouseMove(ruler, QPoint(x(960), 5))
        qtbot.mouseRelease(ruler, RIGHT, NONE, QPoint(x(960), 5))
    assert roll.loop_region() == (0, 960)
    with qtbot.waitSignal(roll.loop_changed, timeout=1000) as blocker:
        qtbot.mouseClick(ruler, RIGHT, NONE, QPoint(x(3000), 5))
    assert blocker.args == [None] and roll.loop_region() is None
    roll.set_loop_region((0, 480))
    assert roll.loop_region() == (0, 480)
    with pytest.raises(ValueError):
        roll.set_loop_region((480, 0))


def test_keyboard_press_and_release_sound_keys(roll, qtbot):
    kb = roll.keyboard
    y = round(roll.view.pitch_to_y(61))
    with qtbot.waitSignal(roll.key_pressed, timeout=1000) as pressed:
        qtbot.mousePress(kb, LEFT, NONE, QPoint(5, y))
    with qtbot.waitSignal(roll.key_released, timeout=1000) as released:
        qtbot.mouseRelease(kb, LEFT, NONE, QPoint(5, y))
    assert pressed.args == [61] and released.args == [61]


def test_tools_and_snaps(roll):
    expected = {"1/1": 1920, "1/2": 960, "1/4": 480, "1/8": 240, "1/16": 120, "1/32": 60,
                "1/4T": 320, "1/8T": 160, "1/16T": 80, "off": 1}
    for name in SNAPS:
        roll.set_snap(name)
        assert roll.snap_ticks() == expected[name]
    with pytest.raises(ValueError):
        roll.set_snap("1/5")
    for tool in ("draw", "select", "erase"):
        roll.set_tool(tool)
    with pytest.raises(ValueError):
        roll.set_tool("pencil")


def test_score_reset_rebuilds_and_active_track_restyles(roll, doc):
    roll.select_all()
    doc.replace_all(Score(tracks=(Track("Solo", 0, False, (Note(0, 72, 240),)),)))
    assert [i.note for i in roll.view.note_scene.note_items()] == [Note(0, 72, 240)]
    assert roll.selected_notes() == []
