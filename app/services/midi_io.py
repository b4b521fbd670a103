"""The application's MIDI link: Cadenza's ports kept open, what arrives handed to the UI thread, playback sent out.

:class:`MidiIO` opens the MIDI system once (:mod:`app.audio.midi_ports`):
the input ("Cadenza in", or the port the musician picked) stays open so a
DAW's connection to it survives, and the output ("Cadenza out", or a picked
port) is opened when playback is sent there. The input hands each stamped
message on from a plain thread of its own (see
:class:`app.audio.midi_ports.MidiInput`); this only puts it on a plain
queue, and only while someone listens (a recording). A 5 ms timer on the UI thread
drains that queue into :attr:`MidiIO.messages_received`; the stamps, not the
drain, give the timing.

MIDI thru (:meth:`MidiIO.set_thru`): each message is also played, on the
input's own thread the moment it arrives, by a live synth
(:class:`app.audio.live_synth.LiveSynth`, loaded off the UI thread) in the
instrument of the track being recorded into, whether or not anything plays
or records.

:class:`MidiSender` plays a score on the output from a plain Python thread,
each message sent at its moment on the monotonic clock; stopping it sends
All Notes Off on every channel.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.audio import midi_ports
from app.core.errors import CadenzaError
from app.core.score import Score
from app.core.timing import TempoMap

if TYPE_CHECKING:
    from app.audio.live_synth import LiveSynth

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 5
SETTLE_S = 0.012  # two JACK cycles of 256 frames at 48 kHz, with room
SETTLE_TIMEOUT_S = 0.03
SENDER_JOIN_S = 0.5


class MidiIO(QObject):
    """Cadenza's MIDI input and output; :attr:`status` is '' or the one sentence saying why MIDI is off."""

    messages_received = Signal(list)  # [MidiMessage], on the UI thread, while listening
    ports_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._api: int | None = None
        self.status = ""
        self._input: midi_ports.MidiInput | None = None
        self._output: midi_ports.MidiOutput | None = None
        self.output_port: str | None = None  # None: Cadenza's virtual "Cadenza out"
        self.send_playback = False
        self._listening = False
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._sender: MidiSender | None = None
        self.thru_wanted = False
        self.thru_status = ""  # '' or why thru is off (no sound server, no SoundFont...)
        self.thru_instrument: Callable[[], tuple[int, bool]] | None = None  # (program, is_drum), any thread
        self._thru: LiveSynth | None = None
        self._thru_lock = threading.Lock()  # the input's thread plays it while the UI thread may close it
        self._thru_loader: threading.Thread | None = None
        self._drain = QTimer(self)
        self._drain.setInterval(DRAIN_INTERVAL_MS)
        self._drain.timeout.connect(self.drain)

    # -- the system and its ports --------------------------------------------
    def start(self) -> bool:
        """Find the MIDI system and open the input; False (and :attr:`status` set) when there is none."""
        if self._api is not None:
            return True
        try:
            self._api = midi_ports.midi_api()
            self._input = midi_ports.MidiInput(self._api, self._on_port_message)
        except CadenzaError as exc:
            self._api, self.status = None, str(exc)
            return False
        self.status = ""
        self.ports_changed.emit()
        return True

    def available(self) -> bool:
        return self._api is not None

    def system_name(self) -> str:
        return midi_ports.api_name(self._api) if self._api is not None else ""

    def input_ports(self) -> list[str]:
        return midi_ports.input_ports(self._api) if self._api is not None else []

    def output_ports(self) -> list[str]:
        return midi_ports.output_ports(self._api) if self._api is not None else []

    def input_port(self) -> str:
        return self._input.port_name if self._input is not None else ""

    def choose_input(self, port: str | None) -> None:
        """Listen to ``port`` (None: Cadenza's own "Cadenza in"); raises a CadenzaError when it is gone."""
        if not self.start():
            raise midi_ports.NoMidiSystem(self.status)
        new = midi_ports.MidiInput(self._api, self._on_port_message, port)
        old, self._input = self._input, new
        if old is not None:
            old.close()
        with self._thru_lock:
            if self._thru is not None:
                self._thru.all_notes_off()  # keys held on the old input would hang
        self.ports_changed.emit()

    def choose_output(self, port: str | None) -> None:
        """Send to ``port`` from the next play on (None: Cadenza's own "Cadenza out")."""
        self.output_port = port
        if self._output is not None and self._output.port_name != (port or midi_ports.VIRTUAL_OUT):
            self.stop_sending()
            self._output.close()
            self._output = None
        self.ports_changed.emit()

    def output(self) -> midi_ports.MidiOutput:
        """The open output port (opened on first use); raises a CadenzaError without one."""
        if not self.start():
            raise midi_ports.NoMidiSystem(self.status)
        if self._output is None:
            self._output = midi_ports.MidiOutput(self._api, self.output_port)
        return self._output

    # -- listening (the input, for a recording) -------------------------------
    def settle(self, until: float) -> None:
        """Let what was played by ``until`` arrive: messages still in the MIDI system's current cycles
        (:data:`SETTLE_S`) or not yet polled; blocks the caller at most :data:`SETTLE_TIMEOUT_S`."""
        if self._input is not None:
            self._input.wait_until_handed_on(until + SETTLE_S, SETTLE_TIMEOUT_S)

    def listen(self, on: bool) -> None:
        """Queue what arrives (and deliver it through :attr:`messages_received`) while ``on``."""
        self._listening = on
        if on:
            self._drain.start()
        else:
            self.drain()
            self._drain.stop()

    # -- MIDI thru ---------------------------------------------------------------
    def set_thru(self, on: bool, soundfont: str | None = None, sample_rate: int = 44100, device: str = "") -> None:
        """Sound what arrives on the input at once while ``on`` (the live synth loads in a thread of its own),
        on ``device`` (the sound server's name for it; '' for the default output)."""
        self.thru_wanted = bool(on)
        if not on:
            with self._thru_lock:
                thru, self._thru = self._thru, None
            if thru is not None:  # stopping FluidSynth's audio driver takes over a second: not on the UI thread
                threading.Thread(target=thru.close, name="cadenza-thru-close", daemon=True).start()
            return
        if self._thru is not None or (self._thru_loader is not None and self._thru_loader.is_alive()):
            return
        if not self.start():
            return
        self._thru_loader = threading.Thread(target=self._load_thru, args=(soundfont, sample_rate, device),
                                             name="cadenza-thru-load", daemon=True)
        self._thru_loader.start()

    def _load_thru(self, soundfont: str | None, sample_rate: int, device: str) -> None:
        from app.audio.live_synth import LiveSynth

        try:
            synth = LiveSynth(soundfont or None, sample_rate, device=device)
        except CadenzaError as exc:
            self.thru_status = str(exc)
            return
        if self.thru_instrument is not None:
            synth.set_instrument(*self.thru_instrument())  # its samples load now, not at the first key
        with self._thru_lock:
            keep = self.thru_wanted and self._api is not None
            if keep:
                self.thru_status, self._thru = "", synth
        if not keep:
            synth.close()

    def prepare_thru_instrument(self) -> None:
        """Load the samples of :attr:`thru_instrument` now (in a thread), so the next key does not wait for them."""
        thru, instrument = self._thru, self.thru_instrument
        if thru is not None and instrument is not None:
            threading.Thread(target=lambda: thru.set_instrument(*instrument()), name="cadenza-thru-program",
                             daemon=True).start()

    def thru_ready(self, timeout: float = 0.0) -> bool:
        """Whether the live synth is up (waiting up to ``timeout`` seconds for it to load)."""
        loader = self._thru_loader
        if loader is not None and timeout > 0:
            loader.join(timeout)
        return self._thru is not None

    def _on_port_message(self, message: midi_ports.MidiMessage) -> None:
        """On the input's thread: no Qt; the live synth (MIDI thru), then the queue."""
        with self._thru_lock:
            thru = self._thru
            if thru is not None:
                if self.thru_instrument is not None and message.data[:1] and message.data[0] & 0xF0 == 0x90:
                    thru.set_instrument(*self.thru_instrument())
                thru.play(message.data)
        if self._listening:
            self._queue.put(message)

    def drain(self) -> None:
        """Deliver what has arrived so far (on the UI thread)."""
        batch = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if batch:
            self.messages_received.emit(batch)

    # -- sending playback ------------------------------------------------------
    def send(self, score: Score, start: int, end: int | None = None, loop: tuple[int, int] | None = None) -> bool:
        """Play ``[start, end)`` of ``score`` on the output port, or from ``start`` round ``loop`` until stopped.

        Returns False (and sets :attr:`status`) when there is no output.
        """
        self.stop_sending()
        try:
            output = self.output()
        except CadenzaError as exc:
            self.status = str(exc)
            return False
        if loop is None:
            self._sender = MidiSender(output, midi_ports.playback_messages(score, start, end))
        else:
            tempo = TempoMap(score)
            self._sender = MidiSender(output, midi_ports.playback_messages(score, start, loop[1]),
                                      tempo.seconds(loop[1]) - tempo.seconds(start),
                                      midi_ports.playback_messages(score, *loop),
                                      tempo.seconds(loop[1]) - tempo.seconds(loop[0]))
        return True

    def send_key(self, score: Score, track: int, pitch: int, down: bool) -> None:
        """A piano-key preview on the output (when playback is sent there): note-on, or note-off."""
        if not self.send_playback or self._api is None:
            return
        try:
            output = self.output()
        except CadenzaError as exc:
            self.status = str(exc)
            return
        for data in midi_ports.key_messages(score, track, pitch, down):
            output.send(data)

    def stop_sending(self) -> None:
        if self._sender is not None:
            self._sender.stop()
            self._sender = None

    def close(self) -> None:
        """Stop sending and close every port (on quit)."""
        self.listen(False)
        self.stop_sending()
        self.set_thru(False)
        if self._thru_loader is not None:
            self._thru_loader.join()
        for port in (self._input, self._output):
            if port is not None:
                port.close()
        self._input = self._output = None
        self._api = None


Timed = list[tuple[float, tuple[int, ...]]]


class MidiSender:
    """Sends timed messages on a port from its own thread, starting now; :meth:`stop` silences the port.

    ``messages`` play once; then, when given, ``loop`` (seconds from the
    loop's start) plays over and over, the first pass ``length`` seconds in
    and each pass ``loop_length`` long.
    """

    def __init__(self, output: midi_ports.MidiOutput, messages: Timed, length: float = 0.0,
                 loop: Timed | None = None, loop_length: float = 0.0) -> None:
        self._output, self._messages, self._length = output, messages, length
        self._loop, self._loop_length = loop, loop_length
        self._stop = threading.Event()
        self.origin = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="cadenza-midi-out", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if not self._play(self._messages, self.origin) or not self._loop or self._loop_length <= 0:
            return
        origin = self.origin + self._length
        while self._play(self._loop, origin):
            origin += self._loop_length

    def _play(self, messages: Timed, origin: float) -> bool:
        """Send ``messages`` at ``origin`` + their seconds; False when stopped."""
        for at, data in messages:
            wait = origin + at - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return False
            if self._stop.is_set():
                return False
            self._output.send(data)
        return True

    def finished(self) -> bool:
        return not self._thread.is_alive()

    def stop(self) -> None:
        """Stop and send All Notes Off on every channel."""
        self._stop.set()
        self._thread.join(SENDER_JOIN_S)
        self._output.all_notes_off()
