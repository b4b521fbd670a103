"""The track list and the instrument picker: every change is one command, with redo/undo/redo."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.core.score import Note, Score, Track
from app.ui.dialogs.instrument_picker import DRUM_KITS, InstrumentPicker, gm_families, program_label
from app.ui.panels.track_colours import track_colour
from app.ui.panels.tracks import INSTRUMENT, MUTE, NAME, SOLO, VOLUME, TrackList, drop_destination


@pytest.fixture
def tracks(qtbot, doc):
    doc.replace_all(Score(tracks=(Track("Piano", 0, False, (Note(0, 60, 480),)),
                                  Track("Bass", 33, False, ()), Track("Drums", 0, True, ()))))
    widget = TrackList(doc)
    qtbot.addWidget(widget)
    return widget


def widget(tracks, row, column):
    return tracks.tree.itemWidget(tracks.tree.topLevelItem(row), column)


def round_trip(doc, before, view, expected, text=None):
    """Exactly one command was pushed; ``view(score) == expected`` after it; redo/undo/redo works."""
    assert doc.undo_stack.count() == 1
    if text is not None:
        assert doc.undo_stack.undoText() == text
    after = doc.score
    assert view(after) == expected and view(before) != expected
    doc.undo_stack.undo()
    assert doc.score is before
    doc.undo_stack.redo()
    assert doc.score is after
    doc.undo_stack.undo()
    assert doc.score is before
    doc.undo_stack.redo()
    assert view(doc.score) == expected


def names(doc):
    return [t.name for t in doc.score.tracks]


def names_of(score):
    return [t.name for t in score.tracks]


def test_rows_show_the_tracks(tracks):
    tree = tracks.tree
    assert tree.topLevelItemCount() == 3
    assert [tree.topLevelItem(i).text(NAME) for i in range(3)] == ["Piano", "Bass", "Drums"]
    assert widget(tracks, 1, INSTRUMENT).text() == "Electric Bass (finger)"
    assert widget(tracks, 2, INSTRUMENT).text() == "Standard kit"
    assert widget(tracks, 0, VOLUME).value() == 100
    assert tree.topLevelItem(1).data(NAME, Qt.ItemDataRole.DecorationRole) == track_colour(1)
    assert track_colour(0) != track_colour(1)


def test_add_and_add_drums(tracks, doc):
    before = doc.score
    tracks.add_button.click()
    round_trip(doc, before, names_of, ["Piano", "Bass", "Drums", "Track 4"], "Add track Track 4")
    assert doc.active_track == 3 and tracks.tree.currentItem() is tracks.tree.topLevelItem(3)
    doc.undo_stack.clear()
    before = doc.score
    tracks.add_drums_button.click()
    round_trip(doc, before, lambda s: (s.tracks[-1].name, s.tracks[-1].is_drum), ("Drums 2", True),
               "Add track Drums 2")
    assert widget(tracks, 4, INSTRUMENT).text() == "Standard kit"


def test_remove_the_selected_track(tracks, doc):
    doc.set_active_track(1)
    assert tracks.tree.currentItem() is tracks.tree.topLevelItem(1)
    before = doc.score
    tracks.remove_button.click()
    round_trip(doc, before, names_of, ["Piano", "Drums"], "Remove track Bass")
    assert tracks.tree.topLevelItemCount() == 2


def test_the_last_track_cannot_be_removed(qtbot, doc):
    widget_ = TrackList(doc)
    qtbot.addWidget(widget_)
    assert not widget_.remove_button.isEnabled()


def test_move_down_up_and_drop(tracks, doc):
    tracks.tree.setCurrentItem(tracks.tree.topLevelItem(0))  # a click on the row
    assert doc.active_track == 0
    before = doc.score
    tracks.down_button.click()
    round_trip(doc, before, names_of, ["Bass", "Piano", "Drums"], "Move track")
    assert doc.active_track == 1 and tracks.tree.topLevelItem(1).text(NAME) == "Piano"
    tracks.up_button.click()
    assert names(doc) == ["Piano", "Bass", "Drums"] and doc.undo_stack.count() == 2
    tracks.tree.row_dropped.emit(2, 0)  # what a drop of the Drums row above Piano reports
    assert names(doc) == ["Drums", "Piano", "Bass"] and doc.undo_stack.count() == 3
    assert not tracks.up_button.isEnabled()


def test_drop_destination():
    assert drop_destination(0, 3) == 2  # dragged below the last of three rows
    assert drop_destination(2, 0) == 0
    assert drop_destination(1, 1) == 1


def test_rename_in_place(tracks, doc):
    before = doc.score
    tracks.tree.topLevelItem(1).setText(NAME, "  Upright   bass ")  # what the item editor commits
    round_trip(doc, before, lambda s: s.tracks[1].name, "Upright bass", "Rename Bass to Upright bass")
    tracks.tree.topLevelItem(1).setText(NAME, "   ")
    assert doc.undo_stack.count() == 1 and tracks.tree.topLevelItem(1).text(NAME) == "Upright bass"


def test_program_from_the_picker(tracks, doc, monkeypatch):
    asked = []
    monkeypatch.setattr(InstrumentPicker, "pick", staticmethod(lambda cur, parent=None, drums=False:
                                                                asked.append((cur, drums)) or 40))
    before = doc.score
    widget(tracks, 1, INSTRUMENT).click()
    assert asked == [(33, False)]
    round_trip(doc, before, lambda s: s.tracks[1].program, 40, "Bass: Violin")
    assert widget(tracks, 1, INSTRUMENT).text() == "Violin"
    widget(tracks, 2, INSTRUMENT).click()
    assert asked[-1] == (0, True)


def test_cancelled_picker_pushes_nothing(tracks, doc, monkeypatch):
    monkeypatch.setattr(InstrumentPicker, "pick", staticmethod(lambda *a, **k: None))
    widget(tracks, 0, INSTRUMENT).click()
    assert doc.undo_stack.count() == 0


@pytest.mark.parametrize("column,field", [(MUTE, "mute"), (SOLO, "solo")])
def test_mute_and_solo(tracks, doc, column, field):
    before = doc.score
    widget(tracks, 0, column).click()
    round_trip(doc, before, lambda s: getattr(s.tracks[0], field), True, f"{field.title()} Piano")
    assert widget(tracks, 0, column).isChecked()
    doc.undo_stack.undo()
    assert not widget(tracks, 0, column).isChecked()


def test_a_volume_drag_is_one_command(tracks, doc):
    slider = widget(tracks, 1, VOLUME)
    before = doc.score
    slider.setSliderDown(True)
    for value in (90, 70, 64):
        slider.setValue(value)
    assert doc.undo_stack.count() == 0
    slider.setSliderDown(False)  # release
    round_trip(doc, before, lambda s: s.tracks[1].volume, 64, "Volume of Bass: 64")
    doc.undo_stack.undo()
    assert slider.value() == 100


def test_selection_follows_the_active_track(tracks, doc):
    doc.set_active_track(2)
    assert tracks.tree.currentItem() is tracks.tree.topLevelItem(2)
    tracks.tree.setCurrentItem(tracks.tree.topLevelItem(1))
    assert doc.active_track == 1


# -- the instrument picker ----------------------------------------------------------------

def test_picker_lists_16_families_of_8(qtbot):
    picker = InstrumentPicker(0)
    qtbot.addWidget(picker)
    assert picker.tree.topLevelItemCount() == 16 == len(gm_families())
    assert [picker.tree.topLevelItem(i).childCount() for i in range(16)] == [8] * 16
    assert picker.tree.topLevelItem(5).text(0) == "Strings"
    assert picker.selected_program() == 0


def test_picker_search_filters_and_returns_the_program(qtbot):
    picker = InstrumentPicker(0)
    qtbot.addWidget(picker)
    qtbot.keyClicks(picker.search, "viol")
    assert [program_label(p) for p in picker.visible_programs()] == ["Violin", "Viola"]
    assert picker.selected_program() == 40  # the first match is highlighted
    picker.search.clear()
    qtbot.keyClicks(picker.search, "organ")  # a family name shows the family, and other matches
    assert set(range(16, 24)) | {20} <= set(picker.visible_programs())
    picker.search.clear()
    qtbot.keyClicks(picker.search, "viola")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)  # Enter accepts
    assert picker.result() == QDialog.DialogCode.Accepted and picker.selected_program() == 41


def test_picker_double_click_accepts(qtbot):
    picker = InstrumentPicker(5)
    qtbot.addWidget(picker)
    item = picker.tree.topLevelItem(7).child(3)  # Brass: program 59, Muted Trumpet
    picker.tree.itemActivated.emit(item, 0)
    assert picker.result() == QDialog.DialogCode.Accepted and picker.selected_program() == 59


def test_picker_offers_drum_kits_for_drum_tracks(qtbot):
    picker = InstrumentPicker(25, drums=True)
    qtbot.addWidget(picker)
    assert picker.visible_programs() == [p for p, _ in DRUM_KITS]
    assert picker.selected_program() == 25
    assert program_label(25, True) == "TR-808 kit" and program_label(48, True) == "Orchestra kit"
    qtbot.keyClicks(picker.search, "jazz")
    assert picker.visible_programs() == [32]
