"""Record (R) and the MIDI menu on the transport's record button.

Pressing Record counts in and records the MIDI input into the active track
from the playhead (:class:`app.services.recording.Recorder`); pressing it
again (or Stop) ends the take, pushed as one undoable command. The record
button's menu holds the count-in, input quantize, overdub/replace, the input
and output ports, and whether playback is also sent to the MIDI output. The
MIDI system is opened the first time Record is pressed or the menu is shown,
so a window without MIDI costs nothing; without a MIDI system the menu and
the status bar say so in one sentence and everything else works.

The menu and the MIDI section of Preferences both change these through this
controller, which applies them to the running :class:`MidiIO` and recorder and
keeps them in :class:`app.settings.Settings`: the stored ports are opened when
the MIDI system first opens, and a stored port that is not there any more
quietly gives way to Cadenza's own (which the pickers then show).

MIDI thru (on by default) and Play through (FluidSynth, MIDI out or both)
are kept here too. With thru on, or playback going to MIDI out, the MIDI
system opens just after the window does, so a key played on the input is
heard at once (in the active track's instrument) while stopped, playing or
recording (a window never shown, as in most tests, opens it when Record or
the menu asks, and thru starts then). Play through reaches every play that
the player may send (the sketch, auditions, variations, seeds, key
previews; never a count-in):
with "MIDI out" alone the player runs silent and keeps the playhead; without
a MIDI system, everything is heard through FluidSynth.

Loop recording: with Loop on, Record records over the loop region pass after
pass (:class:`app.services.recording.Recorder`); the takes land as one
undoable step, the last in the track and the earlier ones as muted tracks
"Take 1", "Take 2"... just after it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.audio import midi_ports
from app.commands import NotesCommand, add_track_command
from app.core.errors import CadenzaError
from app.core.metronome import click_track
from app.core.score import Track
from app.services import recording
from app.services.midi_io import MidiIO
from app.settings import PLAY_THROUGH, Settings

OWN_PORT = None  # Cadenza's own virtual port in the port menus
OWN_INPUT = "Cadenza in (other programs play into it)"
OWN_OUTPUT = "Cadenza out (other programs listen to it)"
PLAY_THROUGH_LABELS = {"fluidsynth": "FluidSynth", "midi": "MIDI Out", "both": "Both"}


class RecordingController(QObject):
    """Connects the Record action, the recorder, the MIDI link and the player."""

    status_message = Signal(str)
    position_changed = Signal(int)  # the playhead while recording

    def __init__(self, doc, player, roll, record_action: QAction, playback, parent: QObject | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.doc, self.player, self.roll, self.playback = doc, player, roll, playback
        self.record_action = record_action
        self.settings = settings
        self.midi = MidiIO(self)
        self.recorder = recording.Recorder(doc, self.midi, player, self)
        self._ports_restored = settings is None
        self._shut = False
        if settings is not None:
            options = self.recorder.options
            options.count_in, options.quantize, options.mode = (settings.record_count_in, settings.record_quantize,
                                                                settings.record_mode)
        self.play_through = settings.play_through if settings is not None else "fluidsynth"
        self.thru = settings.midi_thru if settings is not None else False
        self.midi.thru_instrument = self._active_instrument
        for signal in (doc.active_track_changed, doc.tracks_changed, doc.score_reset):
            signal.connect(self.midi.prepare_thru_instrument)
        self.midi.ports_changed.connect(self._restore_ports)
        self.midi.ports_changed.connect(self._apply_play_through)
        self.midi.ports_changed.connect(self._start_thru)
        self._apply_play_through()
        self.recorder.take_recorded.connect(self._on_recorder_take_recorded)
        self.recorder.takes_recorded.connect(self._on_recorder_takes_recorded)
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
        roll.installEventFilter(self)  # the MIDI system opens once the window shows (see eventFilter)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        """When the piano roll (so the window) first shows: open MIDI for thru or MIDI out, just after."""
        if watched is self.roll and event.type() == QEvent.Type.Show:
            self.roll.removeEventFilter(self)
            if self.thru or self.play_through != "fluidsynth":
                QTimer.singleShot(0, self._start_midi)
        return False

    def _start_midi(self) -> None:
        """Open the MIDI system (and, with thru on, load the live synth in the background)."""
        if not self._shut:  # the window may have closed before this deferred start ran
            self.midi.start()  # emits ports_changed, which starts thru

    def _start_thru(self) -> None:
        if self.thru and not self._shut and self.midi.available():
            self.midi.set_thru(True, self.settings.soundfont if self.settings else None,
                               self.settings.sample_rate if self.settings else 44100, self.player.device_id())

    def _active_instrument(self) -> tuple[int, bool]:
        """(program, is_drum) of the track recorded into (any thread: the score is immutable)."""
        tracks, index = self.doc.score.tracks, self.doc.active_track
        track = tracks[min(max(index, 0), len(tracks) - 1)] if tracks else None
        return (track.program, track.is_drum) if track is not None else (0, False)

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
            loop = self.roll.loop_region() if self.playback.loop_action.isChecked() else None
            self.player.synth_silent = False  # the count-in and the music under a take are always heard
            if not self.recorder.start(self.roll.playhead(), loop):
                self.record_action.setChecked(False)
                self._apply_play_through()
        elif not checked:
            self.recorder.stop()
            self._apply_play_through()

    def _on_recorder_position_changed(self, tick: int) -> None:
        self.roll.set_playhead(tick)
        self.position_changed.emit(tick)

    def _on_recorder_counting_in(self, seconds: float) -> None:
        if seconds > 0:
            self.status_message.emit(f"Count-in: {self.recorder.options.count_in} bar(s)…")

    def _on_recorder_take_recorded(self, track: int, old: list, take: list) -> None:
        self.doc.undo_stack.push(NotesCommand(self.doc, track, old, take, f"Record {len(take)} notes"))
        self.status_message.emit(f"Recorded {len(take)} notes.")

    def _on_recorder_takes_recorded(self, track: int, old: list, takes: list) -> None:
        """Loop recording: the last take in the track, the earlier ones muted tracks after it; one undo step."""
        part = self.doc.score.tracks[track]
        stack = self.doc.undo_stack
        stack.beginMacro(f"Record {len(takes)} takes")
        stack.push(NotesCommand(self.doc, track, old, takes[-1], f"Record {len(takes[-1])} notes"))
        for number, take in enumerate(takes[:-1], start=1):
            kept = Track(f"Take {number}", part.program, part.is_drum, tuple(take), part.volume, mute=True)
            stack.push(add_track_command(self.doc, kept, track + number))
        stack.endMacro()
        self.status_message.emit(f"Recorded {len(takes)} takes; the last is in the track, "
                                 f"the others are muted tracks named Take 1 to Take {len(takes) - 1}.")

    # -- send playback to MIDI out --------------------------------------------
    def _on_player_started(self) -> None:
        """A play began (the sketch, an audition, a variation): send the same stretch to MIDI out."""
        stretch = self.player.stretch()
        if not self.midi.send_playback or stretch is None or self.recorder.is_recording():
            return
        provider, start, end, loop = stretch
        score = provider()
        clicks = click_track(score, self.player.metronome) if self.player.synth_silent and self.player.plays_metronome() \
            else None
        if clicks is not None:  # MIDI out alone: the sound card is silent, so the clicks go out with the music
            score = score.with_tracks(score.tracks + (clicks,))
        if not self.midi.send(score, start, end, loop):
            self.status_message.emit(self.midi.status)

    def _on_roll_key(self, pitch: int, down: bool) -> None:
        """A piano key is also heard on MIDI out while playback is sent there."""
        self.midi.send_key(self.doc.score, self.doc.active_track, pitch, down)

    def _on_player_stopped(self) -> None:
        self.midi.stop_sending()  # all notes off

    def _on_play_triggered(self) -> None:
        """Play/Stop (Space) while recording ends the take."""
        if self.recorder.is_recording():
            self.record_action.setChecked(False)
            self.recorder.stop()
            self._apply_play_through()

    # -- the menu ---------------------------------------------------------------
    def _fill_menu(self) -> None:
        menu = self.menu
        menu.clear()
        options = self.recorder.options
        self._choices(menu.addMenu("&Count-in"), [(f"{n} bar" + ("s" if n != 1 else "") if n else "None", n)
                                                   for n in recording.COUNT_INS], options.count_in,
                      lambda n: self.set_option("count_in", n))
        self._choices(menu.addMenu("Input &Quantize"), [(q if q != "off" else "Off", q) for q in recording.QUANTIZES],
                      options.quantize, lambda q: self.set_option("quantize", q))
        self._choices(menu.addMenu("&Mode"), [("Overdub", "overdub"), ("Replace", "replace")], options.mode,
                      lambda m: self.set_option("mode", m))
        menu.addSeparator()
        if not self.midi.start():
            menu.addAction(self.midi.status).setEnabled(False)
            return
        menu.addAction(f"MIDI system: {self.midi.system_name()}").setEnabled(False)
        self._choices(menu.addMenu("&Input Port"), self.input_choices(), self.input_port(), self.choose_input)
        self._choices(menu.addMenu("&Output Port"), self.output_choices(), self.midi.output_port,
                      self.choose_output)
        send = menu.addAction("&Send Playback to MIDI Out")
        send.setCheckable(True)
        send.setChecked(self.midi.send_playback)
        send.toggled.connect(self.set_send_playback)
        self._choices(menu.addMenu("Play &Through"), [(PLAY_THROUGH_LABELS[p], p) for p in PLAY_THROUGH],
                      self.play_through, self.set_play_through)
        thru = menu.addAction("MIDI &Thru (hear what you play)")
        thru.setCheckable(True)
        thru.setChecked(self.thru)
        thru.toggled.connect(self.set_thru)
        if self.midi.thru_status:
            menu.addAction(self.midi.thru_status).setEnabled(False)

    def _choices(self, menu: QMenu, items: list, current, choose) -> None:
        group = QActionGroup(menu)
        for text, value in items:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(value == current)
            action.triggered.connect(lambda _checked=False, v=value: choose(v))
            group.addAction(action)

    # -- the choices, shared by the menu and Preferences (applied at once, kept in the settings) -------------
    def input_choices(self) -> list[tuple[str, str | None]]:
        """(label, port) for the input pickers: Cadenza's own port (None), then what the MIDI system offers."""
        return [(OWN_INPUT, OWN_PORT)] + [(p, p) for p in self.midi.input_ports()]

    def output_choices(self) -> list[tuple[str, str | None]]:
        return [(OWN_OUTPUT, OWN_PORT)] + [(p, p) for p in self.midi.output_ports()]

    def input_port(self) -> str | None:
        """The input listened to now (None: Cadenza's own)."""
        port = self.midi.input_port()
        return None if port in ("", midi_ports.VIRTUAL_IN) else port

    def choose_input(self, port: str | None) -> bool:
        """Listen to ``port`` (None: Cadenza's own) and keep the choice; False (status said) when it is gone."""
        try:
            self.midi.choose_input(port)
        except CadenzaError as exc:
            self.status_message.emit(str(exc))
            return False
        if self.settings is not None:
            self.settings.midi_input_port = port
        return True

    def choose_output(self, port: str | None) -> None:
        """Send to ``port`` (None: Cadenza's own) from the next play on, and keep the choice."""
        self.midi.choose_output(port)
        if self.settings is not None:
            self.settings.midi_output_port = port

    def set_send_playback(self, on: bool) -> None:
        """Also (or no longer) send to MIDI out: Play through "both" (or "fluidsynth")."""
        if bool(on) != (self.play_through != "fluidsynth"):
            self.set_play_through("both" if on else "fluidsynth")

    def set_play_through(self, value: str) -> None:
        """Play through "fluidsynth", "midi" or "both" from the next play on, and keep it."""
        if value not in PLAY_THROUGH:
            raise ValueError(f"play through {value!r} is not one of {PLAY_THROUGH}")
        self.play_through = value
        if self.settings is not None:
            self.settings.play_through = value
        if value != "fluidsynth":
            self.midi.start()
        self._apply_play_through()

    def _apply_play_through(self) -> None:
        """The player is silent only for MIDI out alone, and only when there is a MIDI system."""
        self.midi.send_playback = self.play_through != "fluidsynth"
        self.player.synth_silent = self.play_through == "midi" and self.midi.available()

    def set_thru(self, on: bool) -> None:
        """Hear (or stop hearing) what is played on the input at once, and keep the choice."""
        self.thru = bool(on)
        if self.settings is not None:
            self.settings.midi_thru = self.thru
        if self.thru:
            self._start_midi()
            self._start_thru()
        else:
            self.midi.set_thru(False)

    def set_option(self, name: str, value) -> None:
        """Set the recorder's ``count_in``, ``quantize`` or ``mode`` and keep it."""
        setattr(self.recorder.options, name, value)
        if self.settings is not None:
            setattr(self.settings, f"record_{name}", value)

    def _restore_ports(self) -> None:
        """When the MIDI system first opens: the stored ports, each only when it is there (else Cadenza's own)."""
        if self._ports_restored or not self.midi.available():
            return
        self._ports_restored = True
        wanted_in, wanted_out = self.settings.midi_input_port, self.settings.midi_output_port
        if wanted_in and wanted_in in self.midi.input_ports():
            try:
                self.midi.choose_input(wanted_in)
            except CadenzaError:
                pass  # gone between listing and opening: Cadenza's own stays
        self.midi.choose_output(wanted_out if wanted_out and wanted_out in self.midi.output_ports() else OWN_PORT)

    def shutdown(self) -> None:
        """Stop recording and sending, close the ports (on close)."""
        self._shut = True
        if self.recorder.is_recording():
            self.recorder.stop()
        self.midi.close()
