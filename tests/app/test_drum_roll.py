"""The piano roll on a drum track: GM drum names on the keys and in the velocity lane, one-step notes, drum-kit keys."""

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from app.audio.synth import DRUM_BANK, assign_channels
from app.core.drums import drum_name, drum_pitches, short_drum_name
from app.core.score import Note, Score, Track
from app.ui.pianoroll.keyboard import MIN_LABEL_ROW_PX
from app.ui.playback_controller import PlaybackController

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
GROOVE = (Note(0, 36, 120, 100), Note(0, 42, 120, 70), Note(480, 38, 120, 110), Note(480, 42, 120, 60))
MELODY = (Note(0, 60, 480, 90), Note(480, 64, 480, 80))


def band() -> Score:
    return Score(tracks=(Track("Drums", 0, True, GROOVE), Track("Piano", 0, False, MELODY)))


@pytest.fixture
def roll(make_roll, doc):
    widget = make_roll(band(), centre=40)
    doc.set_active_track(0)
    return widget


def at(roll, tick, pitch) -> QPoint:
    return QPoint(round(roll.view.tick_to_x(tick)), round(roll.view.pitch_to_y(pitch)))


def test_gm_percussion_map_comes_from_pretty_midi():
    assert drum_pitches() == tuple(range(35, 82))
    assert (drum_name(35), drum_name(36), drum_name(38), drum_name(81)) == (
        "Acoustic Bass Drum", "Bass Drum 1", "Acoustic Snare", "Open Triangle")
    assert drum_name(34) is None and drum_name(82) is None and short_drum_name(20) is None
    assert short_drum_name(42) == "Closed Hat" and short_drum_name(36) == "Kick 1"
    assert all(len(short_drum_name(p)) <= len(drum_name(p)) for p in drum_pitches())


def test_drum_track_keys_are_drum_names_and_pitched_keys_pitch_names(roll, doc):
    kb = roll.keyboard
    assert kb.is_drum()
    assert kb.key_name(36) == "Bass Drum 1" and kb.key_name(42) == "Closed Hi Hat"
    assert kb.key_name(30) == "F#1"  # outside the map: the pitch, plainly
    assert kb.key_label(36) == "Bass Drum 1" and kb.key_label(38) == "Acoustic Snare"
    assert kb.key_label(37) == "Side Stick"  # every drum row is labelled, not only the Cs
    kb.grab()  # paints the drum map without error
    doc.set_active_track(1)
    assert not kb.is_drum()
    assert kb.key_name(36) == "C2" and kb.key_label(36) == "C2" and kb.key_label(38) == ""
    kb.grab()
    doc.set_active_track(0)
    assert kb.is_drum()


def test_drum_keys_widen_then_shorten_or_hide_when_space_is_short(roll, doc):
    kb = roll.keyboard
    drum_width = kb.width()
    doc.set_active_track(1)
    assert kb.width() < drum_width  # the piano column is narrow again
    doc.set_active_track(0)
    assert kb.width() == drum_width
    metrics = kb.fontMetrics()
    kb.setFixedWidth(metrics.horizontalAdvance("Closed Hat") + 12)
    assert kb.key_label(42) == "Closed Hat"  # shortened, still whole
    assert kb.key_label(35) == "Kick"
    kb.setFixedWidth(40)
    label = kb.key_label(57)
    assert label != "Crash Cymbal 2" and metrics.horizontalAdvance(label) <= 40
    kb.grab()
    roll.view.zoom_vertical(0.1)  # rows at their smallest: no text, the tooltip names them
    assert roll.view.row_px < MIN_LABEL_ROW_PX and kb.key_label(36) == ""
    assert kb.key_name(36) == "Bass Drum 1"


def test_drawing_on_a_drum_track_makes_a_one_grid_step_note(roll, doc, qtbot):
    vp = roll.view.viewport()
    qtbot.mouseClick(vp, LEFT, NONE, at(roll, 1930, 46))
    step = roll.snap_ticks()
    assert step == 120
    assert Note(1920, 46, step, 90) in doc.score.tracks[0].notes
    roll.set_snap("1/8")
    qtbot.mouseClick(vp, LEFT, NONE, at(roll, 2890, 49))
    assert Note(2880, 49, 240, 90) in doc.score.tracks[0].notes


def test_velocity_lane_names_the_drums(roll, doc, qtbot):
    lane = roll.velocity_lane
    x = roll.view.tick_to_x(0)
    assert lane.tooltip_text(x) == "Closed Hi Hat: velocity 70\nBass Drum 1: velocity 100"
    assert lane.label_text() == ""
    qtbot.mouseMove(lane, QPoint(round(x), lane.height() // 2))
    qtbot.waitUntil(lambda: lane.label_text() == "Closed Hi Hat, Bass Drum 1", timeout=1000)
    QApplication.sendEvent(lane, QEvent(QEvent.Type.Leave))
    assert lane.label_text() == ""
    scene = roll.view.note_scene
    scene.set_selection([i for i in scene.note_items(0) if i.note.pitch == 38])
    assert lane.label_text() == "Acoustic Snare"
    lane.grab()
    doc.set_active_track(1)  # a pitched track: pitch names in the tooltip, no drum label
    assert lane.tooltip_text(roll.view.tick_to_x(480)) == "E4: velocity 80"
    assert lane.label_text() == ""


class FakePlayer(QObject):
    started, stopped = Signal(), Signal()
    position_changed, error_occurred = Signal(int), Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.previews = []

    def preview_note(self, pitch, program=0, is_drum=False) -> None:
        self.previews.append((pitch, program, is_drum))

    def release_note(self, pitch) -> None:
        pass


def test_clicking_a_drum_key_sounds_the_drum_kit(roll, doc, qtbot):
    player = FakePlayer()
    PlaybackController(doc, player, roll, QAction(), QAction(), roll)
    kb = roll.keyboard
    qtbot.mouseClick(kb, LEFT, NONE, QPoint(kb.width() // 2, round(roll.view.pitch_to_y(38))))
    assert player.previews == [(38, 0, True)]
    channels, programs = assign_channels((Track("preview", 0, True, (Note(0, 38, 240, 100),)),))
    assert channels == [9] and programs[9] == (DRUM_BANK, 0)  # channel 10, the drum bank
