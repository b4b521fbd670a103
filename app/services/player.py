"""Playback: the synth's blocks streamed into a QAudioSink, and the playhead they drive.

A worker thread (a plain Python thread, never the UI thread) owns the
rendering: it walks :func:`app.audio.stream.play_blocks` and fills a
:class:`~app.audio.stream.FrameQueue` about half a second ahead. The
QAudioSink runs in pull mode: it reads that queue through a small QIODevice
(on the UI thread, a memory copy per read), and is started as soon as the
first block is queued, not after rendering the piece. The playhead follows the
frames the sink reports as processed (``processedUSecs``), mapped back to
ticks through the segments the stream reports, so loops and tempo changes
keep it exact; ``position_changed`` is emitted from a 30 Hz timer.

The metronome (:attr:`Player.metronome`, from the settings) clicks in plays
asked for ``with_metronome`` (the sketch's playback and loop, not auditions or
key previews); a change is heard from the next loop pass or play.

Where it is heard: :attr:`Player.synth_silent` (Play through "MIDI out"
alone, set by the recording controller) keeps the sound card running on
silence, so the playhead still follows the device's clock while a MIDI
output plays the music; :meth:`Player.stretch` names what the current play
plays, for the controller to send the same stretch to MIDI out (it keeps a
recording's count-in audible and unsent).

The synth renders at the output's rate: the preferred rate from the settings
when the device takes it, else the device's own preferred rate (no
resampling). Samples go out as float32 when the device takes it, else int16.
The player's synth is the application's one FluidSynth (the SoundFont loaded
once): :meth:`Player.synth` lends it to the spectrogram, which gives way to
playback (see :attr:`app.audio.synth.Synth.contended`). QtMultimedia and the
stream (numpy) are imported at the first play or device query, so making a
Player costs the window's first frame nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QIODevice, QObject, QTimer, Signal

from app.core.errors import CadenzaError
from app.core.metronome import Metronome
from app.core.score import Note, Score, Track
from app.settings import Settings

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink

    from app.audio.stream import FrameQueue, PlayRequest, Segment

log = logging.getLogger(__name__)

NO_DEVICE = "No audio output device was found; playback is off, everything else works."
POSITION_INTERVAL_MS = 33  # about 30 Hz
AHEAD_S = 0.5  # how far rendering runs ahead of the sound card
BLOCK_FRAMES = 1024
PREVIEW_TICKS = 960  # a held piano key sounds at most this long (1 s at the default 120 bpm)
PREVIEW_FADE_S = 0.03
STOP_JOIN_S = 0.5  # stop() waits this long for the render thread (it ends within one block)
SHUTDOWN_JOIN_S = 5.0


def _multimedia():
    """PySide6.QtMultimedia, imported at the first play or device query (not before the window shows)."""
    from PySide6 import QtMultimedia

    return QtMultimedia


def _stream():
    """app.audio.stream (and numpy with it), imported at the first play."""
    from app.audio import stream

    return stream


class _PullDevice(QIODevice):
    """The QIODevice a QAudioSink pulls from: reads never block, an empty queue is an underrun."""

    def __init__(self, queue: FrameQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue = queue

    def readData(self, maxlen: int) -> bytes:  # noqa: N802 (Qt override)
        return self._queue.read(maxlen)

    def writeData(self, data) -> int:  # noqa: N802
        return -1

    def bytesAvailable(self) -> int:  # noqa: N802
        return self._queue.queued * self._queue.bytes_per_frame + super().bytesAvailable()

    def isSequential(self) -> bool:  # noqa: N802
        return True


class _WorkerEvents(QObject):
    """Signals the render thread emits; they reach the Player queued, on the UI thread."""

    first_block_queued = Signal(int)  # run number
    failed = Signal(int, str)


@dataclass
class _Run:
    """One play (or key preview): its queue, thread, sink and the segments played so far."""

    number: int
    device: QAudioDevice
    audio_format: QAudioFormat
    queue: FrameQueue
    preview_pitch: int | None = None
    with_metronome: bool = False
    silent: bool = False  # played through MIDI out alone: the sound card gets silence
    segments: list[Segment] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    sink: QAudioSink | None = None
    io: _PullDevice | None = None

    @property
    def rate(self) -> int:
        return self.audio_format.sampleRate()

    def played_frames(self) -> int:
        """Frames the sink has played (0 before it starts)."""
        return 0 if self.sink is None else int(self.sink.processedUSecs() * self.rate // 1_000_000)


class Player(QObject):
    """Plays scores (and piano-key previews) on the output device chosen in the settings."""

    started = Signal()
    stopped = Signal()  # at the end of the piece, on stop(), or after an error
    position_changed = Signal(int)  # tick
    error_occurred = Signal(str)  # one sentence

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._run: _Run | None = None
        self._runs = 0
        self._position = 0
        self._synth = None
        self._synth_lock = threading.Lock()
        self.synth_silent = False  # True: Play through "MIDI out" alone (see the module docstring)
        self._stretch: tuple | None = None  # (score_provider, start, end, loop) of a play MIDI out may get
        self.metronome = self.metronome_from_settings()
        self._threads: set[threading.Thread] = set()
        self._events = _WorkerEvents(self)
        self._events.first_block_queued.connect(self._on_worker_first_block_queued)
        self._events.failed.connect(self._on_worker_failed)
        self._timer = QTimer(self)
        self._timer.setInterval(POSITION_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- public API -----------------------------------------------------------
    def available_devices(self) -> list[str]:
        """Descriptions of the audio outputs (what the preferences offer)."""
        return [d.description() for d in _multimedia().QMediaDevices.audioOutputs()]

    def device_name(self) -> str:
        """The description of the output playback uses ('' when there is none)."""
        device = self._device()
        return device.description() if device is not None else ""

    def device_id(self) -> str:
        """The sound server's name for the output chosen in the settings ('' for the default one)."""
        if not self._settings.audio_device:
            return ""
        device = self._device()
        return bytes(device.id()).decode(errors="replace") if device is not None else ""

    def metronome_from_settings(self) -> Metronome:
        """The metronome as the settings have it."""
        s = self._settings
        return Metronome(s.metronome_enabled, s.metronome_volume / 100.0, s.metronome_accent)

    def set_metronome(self, metronome: Metronome) -> None:
        """Use ``metronome`` from the next pass on (and store it in the settings)."""
        self.metronome = metronome  # one reference swap: the render thread reads it between passes
        self._settings.metronome_enabled = metronome.enabled
        self._settings.metronome_volume = round(metronome.volume * 100)
        self._settings.metronome_accent = metronome.accent

    def is_playing(self) -> bool:
        """True from play() until stopped (previews of single keys do not count)."""
        return self._run is not None and self._run.preview_pitch is None

    def position(self) -> int:
        """The playhead tick: where the sound is now, or where it was when playback stopped."""
        return self._position

    def play(self, score_provider: Callable[[], Score], start_tick: int, end_tick: int | None = None,
             loop: tuple[int, int] | None = None, with_metronome: bool = False) -> None:
        """Play from ``start_tick`` to ``end_tick`` (or the end), or loop over ``loop``.

        ``score_provider()`` is called on the render thread at the start and
        at each loop pass, so it must only return the current (immutable) Score.
        ``with_metronome``: the metronome clicks when it is on. With
        :attr:`synth_silent` the sound card gets silence (MIDI out plays it, see :meth:`stretch`).
        """
        self.stop()
        self._position = int(start_tick)
        request = _stream().PlayRequest(int(start_tick), end_tick, loop)
        run = self._begin(score_provider, request, with_metronome=with_metronome, silent=self.synth_silent)
        if run is None:
            self.stopped.emit()
        else:
            self._stretch = (score_provider, int(start_tick), end_tick, loop)

    def plays_metronome(self) -> bool:
        """True while a play asked for the metronome (the sketch's playback) and the metronome is on."""
        run = self._run
        return run is not None and run.with_metronome and self.metronome.enabled

    def stretch(self) -> tuple | None:
        """``(score_provider, start, end, loop)`` of the play now running (None for a key preview or none)."""
        return self._stretch if self.is_playing() else None

    def stop(self) -> None:
        """Stop at once (the sound and the render thread)."""
        run = self._run
        if run is None:
            return
        if run.preview_pitch is None and run.sink is not None:
            self._position = int(_stream().tick_at(run.segments, run.played_frames()))
        self._end(run)
        if run.preview_pitch is None:
            self.stopped.emit()

    def preview_note(self, pitch: int, program: int = 0, is_drum: bool = False) -> None:
        """Sound one key (a piano-keyboard click) unless a piece is playing (or MIDI out alone plays keys)."""
        if self.is_playing() or self.synth_silent:
            return
        self.stop()
        note = Note(0, max(0, min(127, int(pitch))), PREVIEW_TICKS, 100)
        score = Score(tracks=(Track("preview", int(program), bool(is_drum), (note,)),))
        self._begin(lambda: score, _stream().PlayRequest(0), preview_pitch=note.pitch)

    def release_note(self, pitch: int) -> None:
        """End the preview of ``pitch`` with a short fade."""
        run = self._run
        if run is None or run.preview_pitch != pitch:
            return
        if run.sink is None:
            self._end(run)  # released before it sounded (the synth was still loading)
            return
        run.stop.set()
        run.queue.fade_out(int(PREVIEW_FADE_S * run.rate))

    def playback_rate(self) -> int:
        """The sample rate playback renders at on the chosen output (the settings' rate without one)."""
        device = self._device()
        fmt = self._format(device) if device is not None else None
        return fmt.sampleRate() if fmt is not None else int(self._settings.sample_rate)

    def synth(self, rate: int):
        """The player's long-lived Synth at ``rate`` (made, or remade for another rate or SoundFont).

        Any thread may call this and render with it (renders take turns); the
        spectrogram asks for it at :meth:`playback_rate`, so playback keeps it.
        """
        from app.audio.soundfonts import find_soundfont
        from app.audio.synth import Synth

        with self._synth_lock:
            wanted = find_soundfont(self._settings.soundfont or None)
            if self._synth is not None and (self._synth.sample_rate != rate or self._synth.soundfont != wanted):
                self._synth.close()
                self._synth = None
            if self._synth is None:
                self._synth = Synth(wanted, sample_rate=rate)
            return self._synth

    def shutdown(self) -> None:
        """Stop and free the synthesizer (on close); leaves no thread running."""
        self.stop()
        for thread in list(self._threads):
            thread.join(SHUTDOWN_JOIN_S)
        with self._synth_lock:
            if self._synth is not None:
                self._synth.close()
                self._synth = None

    # -- starting and ending a run -------------------------------------------
    def _device(self) -> QAudioDevice | None:
        """The output named in the settings, else the default one, else None."""
        outputs = _multimedia().QMediaDevices.audioOutputs()
        if not outputs:
            return None
        wanted = self._settings.audio_device
        for device in outputs:
            if wanted and device.description() == wanted:
                return device
        default = _multimedia().QMediaDevices.defaultAudioOutput()
        return default if not default.isNull() else outputs[0]

    def _format(self, device: QAudioDevice) -> QAudioFormat | None:
        """Stereo at the preferred rate if the device takes it (else its own rate), float32 or int16."""
        audio_format = _multimedia().QAudioFormat
        for rate in (self._settings.sample_rate, device.preferredFormat().sampleRate()):
            for sample_format in (audio_format.SampleFormat.Float, audio_format.SampleFormat.Int16):
                fmt = audio_format()
                fmt.setChannelCount(2)
                fmt.setSampleRate(int(rate))
                fmt.setSampleFormat(sample_format)
                if 8000 <= rate <= 192000 and device.isFormatSupported(fmt):
                    return fmt
        return None

    def _begin(self, score_provider: Callable[[], Score], request: PlayRequest,
               preview_pitch: int | None = None, with_metronome: bool = False, silent: bool = False) -> _Run | None:
        device = self._device()
        if device is None:
            self.error_occurred.emit(NO_DEVICE)
            return None
        fmt = self._format(device)
        if fmt is None:
            self.error_occurred.emit(f"The audio device {device.description()} takes no stereo float or "
                                     "16-bit format; playback is off, everything else works.")
            return None
        self._runs += 1
        sample_format = "float32" if fmt.sampleFormat() == _multimedia().QAudioFormat.SampleFormat.Float else "int16"
        queue = _stream().FrameQueue(int(AHEAD_S * fmt.sampleRate()), sample_format)
        run = _Run(self._runs, device, fmt, queue, preview_pitch, with_metronome, silent)
        run.thread = threading.Thread(target=self._render, args=(run, score_provider, request),
                                      name=f"cadenza-playback-{run.number}", daemon=True)
        self._run = run
        self._threads.add(run.thread)
        run.thread.start()
        return run

    def _end(self, run: _Run) -> None:
        """Silence ``run`` and wait for its render thread (it stops within one block)."""
        if self._run is run:
            self._run = None
            self._stretch = None
            self._timer.stop()
        run.stop.set()
        run.queue.close()
        if run.sink is not None:
            run.sink.stateChanged.disconnect()
            run.sink.stop()
            run.sink.deleteLater()
            run.io.close()
            run.io.deleteLater()
        if run.thread is not None and run.thread is not threading.current_thread():
            run.thread.join(STOP_JOIN_S)  # a thread still loading the SoundFont ends by itself

    # -- render thread ----------------------------------------------------------
    def _render(self, run: _Run, score_provider: Callable[[], Score], request: PlayRequest) -> None:
        """Fill ``run.queue`` until the music ends or the run stops (render thread)."""
        try:
            synth = self.synth(run.rate)
            if run.stop.is_set():
                return
            clicks = (lambda: self.metronome) if run.with_metronome else None
            blocks = _stream().play_blocks(synth, score_provider, request, BLOCK_FRAMES, clicks)
            try:
                for block in blocks:
                    if not run.segments or run.segments[-1] is not block.segment:
                        run.segments.append(block.segment)
                    audio = block.audio if not run.silent else 0 * block.audio  # the clock runs on silence
                    if run.stop.is_set() or not run.queue.put(audio):
                        break
                    if run.queue.pushed == block.frames:
                        self._events.first_block_queued.emit(run.number)
            finally:
                blocks.close()
            if run.queue.pushed == 0 and not run.stop.is_set():
                self._events.first_block_queued.emit(run.number)  # nothing to play: end at once
        except CadenzaError as exc:
            self._events.failed.emit(run.number, str(exc))
        except Exception as exc:  # a bug: log it with its traceback, show one sentence
            log.exception("playback render failed")
            self._events.failed.emit(run.number, f"Playback failed ({type(exc).__name__}: {exc}).")
        finally:
            run.queue.finish()
            self._threads.discard(threading.current_thread())

    # -- slots (UI thread) ------------------------------------------------------
    def _on_worker_first_block_queued(self, number: int) -> None:
        run = self._run
        if run is None or run.number != number or run.sink is not None:
            return
        run.io = _PullDevice(run.queue, self)
        run.io.open(QIODevice.OpenModeFlag.ReadOnly)
        run.sink = _multimedia().QAudioSink(run.device, run.audio_format, self)
        run.sink.stateChanged.connect(self._on_sink_state_changed)  # no argument: PySide 6.12 cannot convert it
        run.sink.start(run.io)
        if run.sink.error() == _multimedia().QtAudio.Error.OpenError:
            self._fail(run, f"The audio device {run.device.description()} could not be opened; "
                            "playback is off, everything else works.")
            return
        self._timer.start()
        if run.preview_pitch is None:
            self.started.emit()

    def _on_worker_failed(self, number: int, message: str) -> None:
        run = self._run
        if run is not None and run.number == number:
            self._fail(run, message)

    def _on_sink_state_changed(self) -> None:
        run = self._run
        if run is None or run.sink is None or run.sink is not self.sender():
            return
        state, error = run.sink.state(), run.sink.error()
        audio = _multimedia().QtAudio
        if state == audio.State.StoppedState and error in (audio.Error.IOError, audio.Error.FatalError,
                                                           audio.Error.OpenError):
            self._fail(run, f"The audio device {run.device.description()} stopped working; playback stopped.")
        elif state == audio.State.IdleState and run.queue.drained:
            self._finish(run)

    def _on_timer_timeout(self) -> None:
        run = self._run
        if run is None or run.sink is None:
            return
        if run.preview_pitch is None:
            tick = int(_stream().tick_at(run.segments, run.played_frames()))
            if tick != self._position:
                self._position = tick
                self.position_changed.emit(tick)
        audio = _multimedia().QtAudio
        if run.queue.drained and run.sink.state() in (audio.State.IdleState, audio.State.StoppedState):
            self._finish(run)

    def _finish(self, run: _Run) -> None:
        """The music has ended: the playhead goes to the last frame played, then stopped."""
        preview = run.preview_pitch is not None
        if not preview and run.segments:
            self._position = int(_stream().tick_at(run.segments, run.queue.pushed))
            self.position_changed.emit(self._position)
        self._end(run)
        if not preview:
            self.stopped.emit()

    def _fail(self, run: _Run, message: str) -> None:
        preview = run.preview_pitch is not None
        self._end(run)
        self.error_occurred.emit(message)
        if not preview:
            self.stopped.emit()
