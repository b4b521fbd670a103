"""MIDI ports through python-rtmidi: list them, open an input, Cadenza's own virtual ports.

No Qt here. The MIDI system is JACK when a JACK server answers, else the ALSA
sequencer (``/dev/snd/seq``), else CoreMIDI or Windows MultiMedia where those
are the platform's; with none, :func:`midi_api` raises :class:`NoMidiSystem`,
whose message is the one sentence the controls show.

Cadenza's virtual ports are "Cadenza in" (other programs play into it) and
"Cadenza out" (other programs listen to it), each on a client of the same
name (rtmidi opens one client per port, and JACK client names are unique):
under JACK they are ``Cadenza in:Cadenza in`` / ``Cadenza out:Cadenza out``. An input stamps each
message on the ``time.monotonic()`` clock with the moment it arrived (see
:class:`MidiInput`) and hands it on, from a thread of its own, to
``on_message`` (which must only queue it).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from app.core.errors import CadenzaError
from app.core.score import Score, audible_tracks

CLIENT = "Cadenza"
VIRTUAL_IN = "Cadenza in"
VIRTUAL_OUT = "Cadenza out"
PREVIEW_VELOCITY = 100  # a piano-key preview, as the synth plays it
POLL_S = 0.002  # how often the input's queue is looked at
NO_MIDI = ("No MIDI system was found (no JACK server, no ALSA sequencer); "
           "MIDI input and output are off, everything else works.")


class NoMidiSystem(CadenzaError):
    """There is no MIDI system to open ports on."""

    def __init__(self, message: str = NO_MIDI) -> None:
        super().__init__(message)


class MidiPortError(CadenzaError):
    """A named port is not there (unplugged, or the other program quit)."""


@dataclass(frozen=True, slots=True)
class MidiMessage:
    """Raw MIDI bytes and the ``time.monotonic()`` second they arrived."""

    time: float
    data: tuple[int, ...]


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence what the JACK and ALSA C libraries print while a system is probed."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            sys.stderr.flush()
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _rtmidi():
    import rtmidi

    return rtmidi


def _candidates() -> list[int]:
    rt = _rtmidi()
    compiled = rt.get_compiled_api()
    order = [rt.API_UNIX_JACK, rt.API_LINUX_ALSA, rt.API_MACOSX_CORE, rt.API_WINDOWS_MM]
    return [api for api in order if api in compiled]


def midi_api() -> int:
    """The rtmidi API to use (JACK first when its server runs); raises :class:`NoMidiSystem`."""
    rt = _rtmidi()
    for api in _candidates():
        if api == rt.API_LINUX_ALSA and not os.path.exists("/dev/snd/seq"):
            continue
        try:
            with quiet_stderr():
                rt.MidiOut(api, f"{CLIENT} probe").delete()
        except rt.SystemError:
            continue
        return api
    raise NoMidiSystem()


def api_name(api: int) -> str:
    """"JACK", "ALSA sequencer"... for the preferences."""
    rt = _rtmidi()
    return {rt.API_UNIX_JACK: "JACK", rt.API_LINUX_ALSA: "ALSA sequencer", rt.API_MACOSX_CORE: "CoreMIDI",
            rt.API_WINDOWS_MM: "Windows MIDI"}.get(api, rt.get_api_display_name(api))


def _own(name: str) -> bool:
    return name.startswith((f"{VIRTUAL_IN}:", f"{VIRTUAL_OUT}:"))


def _other_ports(api: int, kind: str) -> list[str]:
    with quiet_stderr():
        probe = getattr(_rtmidi(), kind)(api, f"{CLIENT} list")
    try:
        return [p for p in probe.get_ports() if not _own(p)]
    finally:
        probe.delete()


def input_ports(api: int) -> list[str]:
    """Ports one can listen to (other programs' outputs and keyboards; not Cadenza's own)."""
    return _other_ports(api, "MidiIn")


def output_ports(api: int) -> list[str]:
    """Ports one can play into (synths, DAW inputs; not Cadenza's own)."""
    return _other_ports(api, "MidiOut")


def _open(port, api_ports: list[str], name: str | None, virtual: str) -> None:
    if name is None:
        port.open_virtual_port(virtual)
        return
    if name not in api_ports:
        raise MidiPortError(f"The MIDI port “{name}” is not there any more; "
                            "pick another in the record button's menu.")
    port.open_port(api_ports.index(name), virtual)


class MidiInput:
    """An open input: Cadenza's virtual "Cadenza in", or ``port`` (a name from :func:`input_ports`).

    No Python runs on the MIDI system's thread (under JACK a realtime one:
    waiting there for the GIL would make it miss cycles and drop messages):
    rtmidi queues each message with its delta time, measured there, and a
    plain thread of ours polls that queue every :data:`POLL_S`. A message's
    ``time`` is the sum of the deltas (the system's clock) plus the smallest
    offset to ``time.monotonic()`` seen at a poll so far (a poll is only ever
    late), so neither the poll interval nor the GIL moves the stamps.
    """

    def __init__(self, api: int, on_message: Callable[[MidiMessage], None], port: str | None = None) -> None:
        rt = _rtmidi()
        self.port_name = port or VIRTUAL_IN
        self._on_message = on_message
        self._in = rt.MidiIn(api, VIRTUAL_IN, queue_size_limit=4096)
        self._in.ignore_types(sysex=True, timing=True, active_sense=True)
        try:
            _open(self._in, self._in.get_ports(), port, VIRTUAL_IN)
        except BaseException:
            self._in.delete()
            raise
        self._clock = 0.0  # seconds since the first message, on the MIDI system's clock
        self._offset = float("inf")  # time.monotonic() - self._clock, the smallest seen
        self.polled_at = time.monotonic()  # the last moment rtmidi's queue was found empty
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="cadenza-midi-in", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        """Our thread: hand on what rtmidi has queued, stamped (no Qt here)."""
        while not self._stop.is_set():
            polled = time.monotonic()
            event = self._in.get_message()
            if event is None:
                self.polled_at = polled
                self._stop.wait(POLL_S)
                continue
            message, delta = event
            now = time.monotonic()
            self._clock += delta
            self._offset = min(self._offset, now - self._clock)
            self._on_message(MidiMessage(self._offset + self._clock, tuple(message)))

    def wait_until_handed_on(self, moment: float, timeout: float) -> bool:
        """Block until everything that reached rtmidi by ``moment`` has been handed on (False on timeout)."""
        deadline = time.monotonic() + timeout
        while self.polled_at < moment:
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S / 2)
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join()  # within one poll: it must not touch the port once deleted
        self._in.close_port()
        self._in.delete()


class MidiOutput:
    """An open output: Cadenza's virtual "Cadenza out", or ``port`` (a name from :func:`output_ports`)."""

    def __init__(self, api: int, port: str | None = None) -> None:
        self.port_name = port or VIRTUAL_OUT
        self._out = _rtmidi().MidiOut(api, VIRTUAL_OUT)
        try:
            _open(self._out, self._out.get_ports(), port, VIRTUAL_OUT)
        except BaseException:
            self._out.delete()
            raise

    def send(self, data: tuple[int, ...] | list[int]) -> None:
        self._out.send_message(list(data))

    def all_notes_off(self) -> None:
        """All Notes Off and All Sound Off on every channel, and the sustain pedal up."""
        for channel in range(16):
            self._out.send_message([0xB0 | channel, 64, 0])
            self._out.send_message([0xB0 | channel, 123, 0])
            self._out.send_message([0xB0 | channel, 120, 0])

    def close(self) -> None:
        self._out.close_port()
        self._out.delete()


def playback_messages(score: Score, start: int = 0, end: int | None = None) -> list[tuple[float, tuple[int, ...]]]:
    """``(seconds from start, MIDI bytes)`` to play ``[start, end)`` of ``score`` on an output port.

    Each audible track plays on the channel the synth gives it (drums on
    channel 10) after a program change and its volume (CC 7), sent at 0 s.
    Note-offs come before note-ons at the same moment, so a repeated key is
    struck again.
    """
    from app.audio.synth import assign_channels
    from app.core.timing import TempoMap

    stop = end if end is not None else score.end
    tempo = TempoMap(score)
    origin = tempo.seconds(start)
    audible = audible_tracks(score.tracks)
    channels, programs = assign_channels(score.tracks)
    setup: list[tuple[float, int, tuple[int, ...]]] = []
    for channel, (_bank, program) in sorted(programs.items()):
        setup.append((0.0, 0, (0xC0 | channel, program)))
    events: list[tuple[float, int, tuple[int, ...]]] = []
    for track, channel, heard in zip(score.tracks, channels, audible):
        if channel < 0 or not heard:
            continue
        setup.append((0.0, 0, (0xB0 | channel, 7, track.volume)))
        for n in track.notes:
            if n.end <= start or n.start >= stop:
                continue
            on = tempo.seconds(max(n.start, start)) - origin
            off = tempo.seconds(min(n.end, stop)) - origin
            events.append((on, 2, (0x90 | channel, n.pitch, n.velocity)))
            events.append((off, 1, (0x80 | channel, n.pitch, 0)))
    events.sort(key=lambda e: (e[0], e[1]))
    return [(t, data) for t, _order, data in setup + events]


def key_messages(score: Score, track: int, pitch: int, down: bool) -> list[tuple[int, ...]]:
    """A piano-key preview of ``pitch`` on track ``track``: its program change and note-on, or the note-off.

    The key sounds on the channel playback gives the track (drums on
    channel 10; channel 1 for an empty melodic track).
    """
    from app.audio.synth import DRUM_CHANNEL, assign_channels

    part = score.tracks[track] if 0 <= track < len(score.tracks) else None
    channel = assign_channels(score.tracks)[0][track] if part is not None and part.notes else -1
    if channel < 0:
        channel = DRUM_CHANNEL if part is not None and part.is_drum else 0
    pitch = max(0, min(127, int(pitch)))
    if not down:
        return [(0x80 | channel, pitch, 0)]
    return [(0xC0 | channel, part.program if part is not None else 0), (0x90 | channel, pitch, PREVIEW_VELOCITY)]
