"""The main window: it assembles the panels and connects their signals, nothing more.

Piano roll in the centre; the ABC editor, the track list and the spectrogram
as docks that can be moved and hidden; the transport bar; the status bar.
The logic lives in the controllers (files, playback) and the widgets.
torch is never imported here: the window shows before any model loads.
The first frame holds the piano roll, the transport and empty docks; the
docks' panels (tracks, ABC, generation, and the spectrogram with pyqtgraph and
numpy) are built one per event-loop turn after it is painted, or at once
when something asks for one (``window.tracks`` builds the track list).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, QTimer, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QWidget

from app import __version__
from app.commands import set_marker_command
from app.core import notices
from app.core.edits import extract
from app.document import Document
from app.services.files import OPEN_EXTS, Opened
from app.services.player import Player
from app.settings import Settings
from app.tasks import TaskRunner, leave_stuck_tasks
from app.ui import startup_probe
from app.ui.actions import Actions
from app.ui.audio_lab import AudioLabDock
from app.ui.dialogs.about import about_box
from app.ui.dialogs.preferences import PreferencesDialog
from app.ui.drag_out import DragOutButton
from app.ui.file_controller import FileController
from app.ui.humanize_runs import HumanizeRuns
from app.ui.pianoroll import PianoRoll
from app.ui.playback_controller import PlaybackController
from app.ui.recording_controller import RecordingController
from app.ui.later_panels import BUILDERS
from app.ui.theme import apply_theme
from app.ui.transport import TransportBar

if TYPE_CHECKING:
    from app.services.generation import GenerationService
    from app.services.spectrogram import SpectrogramService
    from app.ui.abc_editor.editor import AbcEditor
    from app.ui.dialogs.missing_soundfont import MissingSoundFont
    from app.ui.generation import GenerationDocks
    from app.ui.panels.tracks import TrackList
    from app.ui.spectrogram_view import SpectrogramView

_LEFT, _RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
DOCKS = (("abc", "ABC", _RIGHT), ("tracks", "Tracks", _LEFT),
         ("spectrogram", "Spectrogram", Qt.DockWidgetArea.BottomDockWidgetArea),
         ("generate", "Generate", _RIGHT), ("variations", "Variations", _LEFT), ("phrases", "Phrases", _LEFT))
LATER = ("tracks", "generation", "abc", "spectrogram", "missing_soundfont")  # built after the first paint, in order


class MainWindow(QMainWindow):
    """One document in one window."""

    warned = Signal(str)  # a warning said once per process (a temporary cache, a SoundFont fallback), any thread

    def __init__(self, settings: Settings | None = None, doc: Document | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.doc = doc or Document(parent=self)
        self.runner = TaskRunner(self)
        self.player = Player(self.settings, self)
        self.roll = PianoRoll(self.doc)
        self.setCentralWidget(self.roll)
        self.actions = Actions(self, self.roll)
        self._parts: dict[str, object] = {}  # the panels built so far (see LATER)
        self._later = "waiting"  # "waiting" for the first show, "building", or "closed"
        self.docks = {name: self._dock(name, title, area) for name, title, area in DOCKS}
        self.tabifyDockWidget(self.docks["abc"], self.docks["generate"])
        self.tabifyDockWidget(self.docks["variations"], self.docks["phrases"])
        self.docks["variations"].raise_()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.docks["tracks"], self.docks["abc"]], [330, 420], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["spectrogram"]], [170], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["tracks"], self.docks["variations"]], [180, 640], Qt.Orientation.Vertical)
        self.drag_button = DragOutButton(self._drag_content)
        self.transport = TransportBar(self.actions, self.drag_button, self)
        self.addToolBar(self.transport)
        self.files = FileController(self, self.doc, self.runner, self.settings, self._project_state,
                                    self._selection_by_track)
        self.playback = PlaybackController(self.doc, self.player, self.roll, self.actions["play"],
                                           self.actions["loop"], self)
        self.recording = RecordingController(self.doc, self.player, self.roll, self.actions["record"],
                                             self.playback, self, settings=self.settings)
        self.recording.attach(self.transport.widgetForAction(self.actions["record"]))
        self.humanize = HumanizeRuns(self.doc, self.roll, self.runner, self)
        self.audio_lab = AudioLabDock(self)  # its own dock; View > Audio Lab builds its panel
        self.device_label = QLabel()
        self.statusBar().addPermanentWidget(self.device_label)
        self._build_menus()
        self._connect()
        self.setAcceptDrops(True)
        self.resize(1400, 860)
        self._restore()
        self._on_doc_score_reset()
        self._update_title()

    # -- assembly -------------------------------------------------------------
    def _dock(self, name: str, title: str, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(QWidget())  # its panel replaces this after the first paint
        self.addDockWidget(area, dock)
        return dock

    # -- the panels built after the first paint (or when first used) ------------------------
    abc: AbcEditor = property(lambda self: self._part("abc"))
    tracks: TrackList = property(lambda self: self._part("tracks"))
    generation_ui: GenerationDocks = property(lambda self: self._part("generation"))
    generation: GenerationService = property(lambda self: self._part("generation").service)
    spectrogram_service: SpectrogramService = property(lambda self: self._part("spectrogram")[0])
    spectrogram: SpectrogramView = property(lambda self: self._part("spectrogram")[1])
    missing_soundfont: MissingSoundFont = property(lambda self: self._part("missing_soundfont"))

    def _part(self, name: str):
        if name not in self._parts:
            self._parts[name] = BUILDERS[name](self, self._status)
            if name == "spectrogram":
                QTimer.singleShot(0, self._align_spectrogram)  # once its dock has laid it out
        return self._parts[name]

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._later == "waiting":
            self._later = "building"
            QTimer.singleShot(0, self._build_next_part)  # after the first paint

    def _build_next_part(self) -> None:
        missing = [name for name in LATER if name not in self._parts]
        if missing and self._later == "building":
            self._part(missing[0])
            QTimer.singleShot(0, self._build_next_part)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        a = self.actions
        sections = {
            "&File": ["new", "open", "recent", "recover", "save", "save_as", None, "export", None, "preferences",
                      None, "quit"],
            "&Edit": ["undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete", "select_all", None,
                      "transpose_up", "transpose_down", "octave_up", "octave_down", "move_left", "move_right",
                      "quantize", "humanize", None, "tool_draw", "tool_select", "tool_erase"],
            "&Transport": ["play", "rewind", "record", "loop", "follow", "metronome"],
            "&Generate": ["generate", "cancel_generation", None, "regenerate_selection", "continue_playhead", "add_band",
                          None, "train_model", "listening_test"],
            "&View": ["zoom_in", "zoom_out", None, "docks"],
            "&Help": ["about"],
        }
        for title, names in sections.items():
            menu = bar.addMenu(title)
            menu.setToolTipsVisible(title == "&Generate")  # a disabled Regenerate Selection says why
            for name in names:
                if name is None:
                    menu.addSeparator()
                elif name == "recent":
                    self.recent_menu = menu.addMenu("Open &Recent")
                elif name == "docks":
                    for dock in (*self.docks.values(), self.audio_lab.dock):
                        menu.addAction(dock.toggleViewAction())
                else:
                    menu.addAction(a[name])
        self._fill_recent(self.settings.recent_files)

    def _connect(self) -> None:
        a, roll, doc = self.actions, self.roll, self.doc
        handlers = {
            "new": self._new_sketch, "open": self.files.open_dialog, "save": self.files.save,
            "recover": lambda: self.files.offer_recovery(asked=True),
            "save_as": self.files.save_as, "export": self.files.export_dialog, "preferences": self._preferences,
            "quit": self.close, "undo": doc.undo_stack.undo, "redo": doc.undo_stack.redo,
            "cut": roll.cut, "copy": roll.copy, "paste": roll.paste, "duplicate": roll.duplicate,
            "delete": roll.delete_selection, "select_all": roll.select_all, "quantize": roll.quantize,
            "transpose_up": lambda: roll.transpose(1), "transpose_down": lambda: roll.transpose(-1),
            "octave_up": lambda: roll.transpose(12), "octave_down": lambda: roll.transpose(-12),
            "move_left": lambda: roll.move_by_grid(-1), "move_right": lambda: roll.move_by_grid(1),
            "tool_draw": lambda: self._set_tool("draw"), "tool_select": lambda: self._set_tool("select"),
            "tool_erase": lambda: self._set_tool("erase"), "rewind": lambda: self._rewind(),
            "zoom_in": lambda: roll.zoom_horizontal(1.25), "zoom_out": lambda: roll.zoom_horizontal(0.8),
            "generate": lambda: self.generation_ui.panel.generate(),
            "cancel_generation": lambda: (self.generation_ui.panel.cancel(), self.generation_ui.band.cancel()),
            "regenerate_selection": lambda: self.generation_ui.regions.regenerate_selection(),
            "continue_playhead": lambda: self.generation_ui.regions.continue_from_playhead(),
            "add_band": lambda: self.generation_ui.band.open_dialog(self),
            "train_model": self._open_training, "about": lambda: about_box(self).open(),
            "listening_test": self._open_listening_test, "humanize": self.humanize.humanize,
        }
        for name, handler in handlers.items():
            a[name].triggered.connect(lambda _=False, h=handler: h())
        doc.undo_stack.canUndoChanged.connect(a["undo"].setEnabled)
        doc.undo_stack.canRedoChanged.connect(a["redo"].setEnabled)
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        a["follow"].setChecked(True)
        a["follow"].toggled.connect(lambda on: setattr(roll, "follow", on))
        doc.modified_changed.connect(lambda _: self._update_title())
        doc.path_changed.connect(lambda _: self._update_title())
        doc.score_reset.connect(self._on_doc_score_reset)
        doc.meta_changed.connect(lambda: self.transport.show_score(doc.score))
        roll.view_changed.connect(lambda *_: self._align_spectrogram())
        roll.installEventFilter(self)
        roll.set_context_actions([a["regenerate_selection"], a["continue_playhead"], None, a["cut"], a["copy"],
                                  a["paste"], a["duplicate"], a["delete"], None, a["select_all"], a["quantize"],
                                  a["humanize"]])
        dock = self.docks["spectrogram"]
        dock.dockLocationChanged.connect(lambda *_: self._align_spectrogram())
        dock.topLevelChanged.connect(lambda *_: self._align_spectrogram())
        roll.status_message.connect(self._status)
        self.files.status_message.connect(self._status)
        self.humanize.status_message.connect(self._status)
        self.recording.status_message.connect(self._status)
        self.recording.position_changed.connect(self._on_playback_position_changed)
        self.files.recent_changed.connect(self._fill_recent)
        self.files.opened.connect(self._on_files_opened)
        self.playback.status_message.connect(self._on_playback_status)
        self.playback.position_changed.connect(self._on_playback_position_changed)
        self.transport.tempo_edited.connect(  # the tempo and meter changes in force at the playhead
            lambda tick, bpm: doc.undo_stack.push(set_marker_command(doc, "tempo", tick, bpm)))
        self.transport.meter_edited.connect(
            lambda tick, n, d: doc.undo_stack.push(set_marker_command(doc, "meter", tick, (n, d))))
        self.transport.snap_chosen.connect(self._set_snap)
        self.transport.show_metronome(self.player.metronome)
        self.transport.metronome_changed.connect(self.player.set_metronome)
        self.warned.connect(self._status)  # queued to the UI thread when a worker warns
        self._tell_warning = self.warned.emit  # one object, to remove on close
        notices.add_listener(self._tell_warning)
        for message in notices.said():  # said before this window existed
            self._status(message)
        self._set_tool("draw")
        self._set_snap(self.settings.snap)

    # -- slots -----------------------------------------------------------------
    def _status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    def _on_playback_status(self, message: str) -> None:
        """Audio problems stay visible in the status bar (everything else keeps working)."""
        self.device_label.setText(message if "device" in message.lower() or "audio" in message.lower() else "")
        self._status(message)

    def _on_playback_position_changed(self, tick: int) -> None:
        self.transport.show_position(self.doc.score, tick)
        if "spectrogram" in self._parts:
            self.spectrogram.set_playhead(tick)

    def _on_doc_score_reset(self) -> None:
        self.transport.show_score(self.doc.score)
        if "spectrogram" in self._parts:
            self.spectrogram_service.set_score(self.doc.score)
        self._update_title()  # the path changes before the score: a title read then was the old score's

    def _new_sketch(self) -> None:
        """An empty sketch, untitled, with the playhead at the start and no loop (unless the musician cancels)."""
        before = self.doc.score
        self.files.new()
        if self.doc.score is not before:
            self.roll.set_loop_region(None)
            self._rewind()

    def _on_files_opened(self, opened: Opened) -> None:
        if opened.abc_text is not None:  # the editor takes the tune's position in the file, not its X:
            numbers = [n for n, _ in opened.tunes]
            self.abc.set_abc_text(opened.abc_text, numbers.index(opened.tune) if opened.tune in numbers else 0)
        state = opened.state or {}
        if "active_track" in state:
            self.doc.set_active_track(int(state["active_track"]))
        if state.get("loop"):
            self.roll.set_loop_region(tuple(state["loop"]))
        tick = int(state.get("playhead", 0))
        self.roll.set_playhead(tick)
        self._on_playback_position_changed(tick)  # the transport shows the position, tempo and meter there

    def _set_tool(self, name: str) -> None:
        self.roll.set_tool(name)
        for tool in ("draw", "select", "erase"):
            self.actions[f"tool_{tool}"].setChecked(tool == name)

    def _set_snap(self, name: str) -> None:
        self.roll.set_snap(name)
        self.transport.set_snap(name)
        self.settings.snap = name

    def _rewind(self) -> None:
        self.roll.set_playhead(0)
        self.roll.scroll_to_tick(0)
        self._on_playback_position_changed(0)

    def _open_training(self) -> None:
        from app.ui.training import open_training_dialog  # pyqtgraph's plot loads on first use, not at start

        open_training_dialog(self)

    def _open_listening_test(self) -> None:
        from app.ui.dialogs.listening_test import ListeningTestDialog

        dialog = ListeningTestDialog(self.runner, self.files.open_path, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self.player.available_devices(), self, recording=self.recording)
        if dialog.exec():
            self.files.autosave.timer.setInterval(self.settings.autosave_interval_s * 1000)
            self._status("Preferences saved; audio changes apply from the next play.")

    def _fill_recent(self, files: list[str]) -> None:
        self.recent_menu.clear()
        for path in files:
            self.recent_menu.addAction(path, lambda p=path: self.files.open_path(p))
        self.recent_menu.setEnabled(bool(files))

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.doc.title}[*] — Cadenza")
        self.setWindowModified(self.doc.modified)

    # -- state for project files and drags --------------------------------------
    def _project_state(self) -> dict:
        return {"active_track": self.doc.active_track, "loop": self.roll.loop_region(),
                "playhead": self.roll.playhead(), "snap": self.settings.snap}

    def _selection_by_track(self) -> dict[int, list]:
        notes = self.roll.selected_notes()
        return {self.doc.active_track: notes} if notes else {}

    def _drag_content(self, what: str):
        score, stem = self.doc.score, (self.doc.path.stem if self.doc.path else self.doc.score.title or "Cadenza")
        if what == "Active track" and score.tracks:
            track = score.tracks[self.doc.active_track]
            return extract(score, tracks=[self.doc.active_track]), f"{stem} - {track.name or 'track'}"
        if what == "Selection":
            chosen = self._selection_by_track()
            return (extract(score, notes=chosen), f"{stem} - selection") if chosen else None
        return score, stem

    def _align_spectrogram(self) -> None:
        """Same tick at the same screen x in the roll and the spectrogram, wherever the dock sits."""
        if "spectrogram" not in self._parts:
            return
        roll_x = self.roll.view.viewport().mapToGlobal(QPoint(0, 0)).x()
        spec_x = self.spectrogram.mapToGlobal(QPoint(0, 0)).x()
        margin = max(0, roll_x - spec_x)
        if margin != getattr(self.spectrogram, "_margin", None):
            self.spectrogram.set_left_margin(margin)
        self.spectrogram.set_view(self.roll.view.first_tick(), self.roll.ticks_per_pixel())

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show):
            QTimer.singleShot(0, self._align_spectrogram)  # after the layout has settled
        return super().eventFilter(watched, event)

    # -- window events ---------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and Path(urls[0].toLocalFile()).suffix.lower() in OPEN_EXTS:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.files.open_path(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()

    def _restore(self) -> None:
        if self.settings.window_geometry is not None:
            self.restoreGeometry(self.settings.window_geometry)
        if self.settings.window_state is not None:
            self.restoreState(self.settings.window_state)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.settings.window_geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.sync()
        notices.remove_listener(self._tell_warning)
        self._later = "closed"
        if "generation" in self._parts:
            self.generation_ui.shutdown()
        self.humanize.shutdown()
        self.audio_lab.shutdown()
        self.recording.shutdown()
        self.runner.shutdown(timeout_ms=250)  # first: a spectrogram may be rendering with the player's synth;
        # saves and exports are waited for in full, other results are dropped (a task stuck longer is left)
        self.player.shutdown()
        self.files.autosave.discard()
        event.accept()


def run_gui(files: list[str]) -> int:
    """Start the application: ``cadenza`` opens an empty sketch, ``cadenza FILE`` opens FILE."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Cadenza")
    app.setOrganizationName("Cadenza")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.cadenza.Cadenza")  # packaging/'s desktop entry: its icon on Wayland
    apply_theme(app)
    window = MainWindow()
    window.show()
    if files:
        from app.core.formats import resolve

        path = resolve(files[0])
        window.files.opened.connect(lambda _opened: window.files.mention_recoverable(path),
                                    Qt.ConnectionType.SingleShotConnection)  # other crashed work: say it waits
        QTimer.singleShot(0, lambda: window.files.open_path(path, ask=False))
    else:
        QTimer.singleShot(0, window.files.offer_recovery)
    startup_probe.install(app, window, opening_file=bool(files))  # only with CADENZA_STARTUP_PROBE set
    code = app.exec()
    leave_stuck_tasks(code)  # a cancelled task stuck in one long call (a model loading) must not hold the exit
    return code
