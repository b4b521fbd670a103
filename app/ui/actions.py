"""Every action of the editor in one registry: id, text, shortcut, tip, scope.

DAW habits: Space play/stop, Ctrl+Z / Ctrl+Shift+Z, Delete, Ctrl+D duplicate,
arrows move and transpose (Shift: by octave), Q quantize. Editing actions are
scoped to the piano roll (``"roll"``), so arrows and Delete keep working in
the ABC editor's text; the rest are window-wide.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget


@dataclass(frozen=True)
class Spec:
    id: str
    text: str
    shortcut: str | QKeySequence.StandardKey | None = None
    tip: str = ""
    scope: str = "window"  # "window" or "roll"
    checkable: bool = False
    icon: str = ""  # a QStyle.StandardPixmap name


SK = QKeySequence.StandardKey
SPECS = (
    # file
    Spec("new", "&New Sketch", SK.New),
    Spec("open", "&Open…", SK.Open),
    Spec("recover", "Recover &Unsaved Work…", None, "Open or discard unsaved work left by a Cadenza that closed badly"),
    Spec("save", "&Save", SK.Save),
    Spec("save_as", "Save &As…", "Ctrl+Shift+S"),
    Spec("export", "&Export…", "Ctrl+E", "Export MIDI, WAV/FLAC, ABC or MusicXML: the score, some tracks or the selection"),
    Spec("train_model", "&Train a Model…", None, "Train or fine-tune a model on a bundled corpus or your own files"),
    Spec("listening_test", "&Listening Test…", None, "Human or machine? A blind listening test of your models"),
    Spec("preferences", "&Preferences…", SK.Preferences),
    Spec("quit", "&Quit", SK.Quit),
    # edit
    Spec("undo", "&Undo", "Ctrl+Z"),
    Spec("redo", "&Redo", "Ctrl+Shift+Z"),
    Spec("cut", "Cu&t", "Ctrl+X", scope="roll"),
    Spec("copy", "&Copy", "Ctrl+C", scope="roll"),
    Spec("paste", "&Paste at Playhead", "Ctrl+V", scope="roll"),
    Spec("duplicate", "&Duplicate", "Ctrl+D", scope="roll"),
    Spec("delete", "De&lete", "Delete", scope="roll"),
    Spec("select_all", "Select &All", "Ctrl+A", scope="roll"),
    Spec("transpose_up", "Transpose Up", "Up", scope="roll"),
    Spec("transpose_down", "Transpose Down", "Down", scope="roll"),
    Spec("octave_up", "Octave Up", "Shift+Up", scope="roll"),
    Spec("octave_down", "Octave Down", "Shift+Down", scope="roll"),
    Spec("move_left", "Move Left by Grid", "Left", scope="roll"),
    Spec("move_right", "Move Right by Grid", "Right", scope="roll"),
    Spec("quantize", "&Quantize", "Q", scope="roll"),
    Spec("humanize", "&Humanize…", None, "Play the selection (or the track) expressively: new velocities and "
         "small timing offsets, the same notes"),
    Spec("tool_draw", "&Draw Tool", "D", "Click-drag to draw notes", scope="roll", checkable=True),
    Spec("tool_select", "&Select Tool", "S", "Select, move and resize notes (by grid steps, keeping a note's "
         "offset from the grid; Shift+drag: freely)", scope="roll", checkable=True),
    Spec("tool_erase", "&Erase Tool", "E", "Click or drag over notes to erase them", scope="roll", checkable=True),
    # transport
    Spec("play", "&Play / Stop", "Space", "Play from the playhead, or the selection; Space again stops",
         checkable=True, icon="SP_MediaPlay"),
    Spec("rewind", "Go to &Start", "Home", icon="SP_MediaSkipBackward"),
    Spec("record", "&Record", "R", "Record the MIDI input into the active track from the playhead, after a count-in; "
         "count-in, quantize, mode and ports in its menu", checkable=True, icon="SP_DialogYesButton"),
    Spec("loop", "&Loop", "L", "Loop the loop region set on the ruler (Shift+drag on the ruler)", checkable=True,
         icon="SP_BrowserReload"),
    Spec("follow", "&Follow Playhead", "F", "Scroll to keep the playhead in view", checkable=True),
    Spec("metronome", "&Metronome", "C", "Click on every beat while playing (never in exports); "
         "volume and accent in its menu", checkable=True),
    # view
    Spec("zoom_in", "Zoom &In", SK.ZoomIn),
    Spec("zoom_out", "Zoom &Out", SK.ZoomOut),
    # generation
    Spec("generate", "&Generate Variations", "Ctrl+G", "Generate variations with the chosen seed, model and sliders"),
    Spec("cancel_generation", "&Cancel Generation", None, "Stop the generation in progress"),
    Spec("regenerate_selection", "&Regenerate Selection", "Ctrl+R",
         "Regenerate the selected bars on their track (or the loop region on every track)"),
    Spec("continue_playhead", "C&ontinue from Playhead", "Ctrl+Shift+R",
         "Fill the next bars (the panel's Length) from the playhead's bar"),
    Spec("add_band", "Add a &Band…", None,
         "Write drums, bass, comping and strings around the melody (the selection or the active track) as new tracks"),
    # help
    Spec("about", "&About Cadenza", None, "Cadenza's version and licence"),
)


class Actions:
    """The QActions, created once per window: ``actions["play"]``."""

    def __init__(self, window: QWidget, roll: QWidget) -> None:
        self._by_id: dict[str, QAction] = {}
        for spec in SPECS:
            action = QAction(spec.text, window)
            if spec.shortcut is not None:
                action.setShortcut(QKeySequence(spec.shortcut))
            action.setCheckable(spec.checkable)
            if spec.icon:
                action.setIcon(window.style().standardIcon(getattr(QStyle.StandardPixmap, spec.icon)))
            shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{spec.tip or spec.text.replace('&', '').rstrip('…')}"
                              + (f" ({shortcut})" if shortcut else ""))
            if spec.scope == "roll":
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                roll.addAction(action)
            else:
                window.addAction(action)
            self._by_id[spec.id] = action

    def __getitem__(self, name: str) -> QAction:
        return self._by_id[name]

    def ids(self) -> list[str]:
        return list(self._by_id)
