"""Record (R) and the MIDI menu on the transport's record button.

Pressing Record counts in and records the MIDI input into the active track
from the playhead (:class:`app.services.recording.Recorder`); pressing it
again (or Stop) ends the take, pushed as one undoable command. The record
button's menu holds the count-in, input quantize, overdub/replace, the input
and output ports, and whether playback is also sent to the MIDI output. The
MIDI system is opened the first time Record is pressed or the menu is shown,
so a window without MIDI costs nothing; without a MIDI system the menu and
the status bar say so in one sentence and everything else works.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.commands import NotesCommand
from app.core.errors import CadenzaError
from app.services import recording
from app.services.midi_io import MidiIO

OWN_PORT = None  # Cadenza's own virtual port in the port menus


class RecordingController(QObject):
    """Connects the Record action, the recorder, the MIDI link and the player."""

    status_message = Signal(str)
    position_changed = Signal(int)  # the playhead while recording

    def __init__(self, doc, player, roll, record_action: QAction, playback, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.player, self.roll, self.playback = doc, player, roll, playback
        self.record_action = record_action
        self.midi = MidiIO(self)
        self.recorder = recording.Recorder(doc, self.midi, player, self)
        self.recorder.take_recorded.connect(self._on_recorder_take_recorded)
        self.recorder.status_message.connect(self.status_message)
        self.recorder.counting_in.connect(self._on_recorder_counting_in)
        self.recorder.position_changed.connect(self._on_recorder_position_changed)
        self.recorder.recording_started.connect(lambda _origin: self.status_message.emit("Recording…"))
        record_action.triggered.connect(self._on_record_triggered)
        player.started.connect(self._on_player_started)
        player.stopped.connect(self._on_player_stopped)
        playback.play_action.triggered.connect(self._on_play_triggered)
        roll.key_pressed.connect(lambda pitch: self._on_roll_key(pitch, True))
        roll.key_released.connect(lambda pitch: self._on_roll_key(pitch, False))
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._fill_menu)

    def attach(self, button: QWidget | None) -> None:
        """Give the transport's record button its menu."""
        if isinstance(button, QToolButton):
            button.setMenu(self.menu)
            button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)

    # -- record ---------------------------------------------------------------
    @Slot(bool)
    def _on_record_triggered(self, checked: bool) -> None:
        if checked and not self.recorder.is_recording():
            if self.playback.is_playing():
                self.playback.stop()
            if not self.recorder.start(self.roll.playhead()):
                self.record_action.setChecked(False)
        elif not checked:
            self.recorder.stop()

    def _on_recorder_position_changed(self, tick: int) -> None:
        self.roll.set_playhead(tick)
        self.position_changed.emit(tick)

    def _on_recorder_counting_in(self, seconds: float) -> None:
        if seconds > 0:
            self.status_message.emit(f"Count-in: {self.recorder.options.count_in} bar(s)…")

    def _on_recorder_take_recorded(self, track: int, old: list, take: list) -> None:
        self.doc.undo_stack.push(NotesCommand(self.doc, track, old, take, f"Record {len(take)} notes"))
        self.status_message.emit(f"Recorded {len(take)} notes.")

    # -- send playback to MIDI out --------------------------------------------
    def _on_player_started(self) -> None:
        """The sketch's playback began: send the same stretch (selection, or loop passes) to MIDI out."""
        if not (self.midi.send_playback and self.playback.is_playing()):
            return
        notes = self.roll.selected_notes()
        loop = self.roll.loop_region() if self.playback.loop_action.isChecked() and not notes else None
        end = max(n.end for n in notes) if notes else None
        if not self.midi.send(self.doc.score, self.player.position(), end, loop):
            self.status_message.emit(self.midi.status)

    def _on_roll_key(self, pitch: int, down: bool) -> None:
        """A piano key is also heard on MIDI out while playback is sent there."""
        self.midi.send_key(self.doc.score, self.doc.active_track, pitch, down)

    def _on_player_stopped(self) -> None:
        self.midi.stop_sending()

    def _on_play_triggered(self) -> None:
        """Play/Stop (Space) while recording ends the take."""
        if self.recorder.is_recording():
            self.record_action.setChecked(False)
            self.recorder.stop()

    # -- the menu ---------------------------------------------------------------
    def _fill_menu(self) -> None:
        menu = self.menu
        menu.clear()
        options = self.recorder.options
        self._choices(menu.addMenu("&Count-in"), [(f"{n} bar" + ("s" if n != 1 else "") if n else "None", n)
                                                   for n in recording.COUNT_INS], options.count_in,
                      lambda n: setattr(options, "count_in", n))
        self._choices(menu.addMenu("Input &Quantize"), [(q if q != "off" else "Off", q) for q in recording.QUANTIZES],
                      options.quantize, lambda q: setattr(options, "quantize", q))
        self._choices(menu.addMenu("&Mode"), [("Overdub", "overdub"), ("Replace", "replace")], options.mode,
                      lambda m: setattr(options, "mode", m))
        menu.addSeparator()
        if not self.midi.start():
            menu.addAction(self.midi.status).setEnabled(False)
            return
        menu.addAction(f"MIDI system: {self.midi.system_name()}").setEnabled(False)
        ins = [("Cadenza in (other programs play into it)", OWN_PORT)] + [(p, p) for p in self.midi.input_ports()]
        current_in = self.midi.input_port()
        self._choices(menu.addMenu("&Input Port"), ins, None if current_in == "Cadenza in" else current_in,
                      self._choose_input)
        outs = [("Cadenza out (other programs listen to it)", OWN_PORT)] + [(p, p) for p in self.midi.output_ports()]
        self._choices(menu.addMenu("&Output Port"), outs, self.midi.output_port, self._choose_output)
        send = menu.addAction("&Send Playback to MIDI Out")
        send.setCheckable(True)
        send.setChecked(self.midi.send_playback)
        send.toggled.connect(lambda on: setattr(self.midi, "send_playback", on))

    def _choices(self, menu: QMenu, items: list, current, choose) -> None:
        group = QActionGroup(menu)
        for text, value in items:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(value == current)
            action.triggered.connect(lambda _checked=False, v=value: choose(v))
            group.addAction(action)

    def _choose_input(self, port: str | None) -> None:
        try:
            self.midi.choose_input(port)
        except CadenzaError as exc:
            self.status_message.emit(str(exc))

    def _choose_output(self, port: str | None) -> None:
        self.midi.choose_output(port)

    def shutdown(self) -> None:
        """Stop recording and sending, close the ports (on close)."""
        if self.recorder.is_recording():
            self.recorder.stop()
        self.midi.close()
