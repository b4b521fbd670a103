"""MIDI thru: a live FluidSynth that sounds what is played on the MIDI input at once.

Playback renders about half a second ahead (:mod:`app.audio.stream` into the
player's queue), far too late for a key being played. This synth is the live
path beside it: FluidSynth's own audio driver (PulseAudio, else PipeWire,
ALSA, CoreAudio...) pulls short periods (:data:`PERIOD_FRAMES` x
:data:`PERIODS`) from it on FluidSynth's audio thread, and each MIDI message is
applied the moment the input's thread hands it on (FluidSynth's API is
thread-safe), so a note starts sounding within the next period. The sound
server mixes it with playback, so thru is heard while stopped, playing and
recording alike.

Every note played goes to one channel with the instrument of the track being
recorded into (:meth:`LiveSynth.set_instrument`): what is heard is what the
track will play. The SoundFont is loaded with dynamic sample loading, so only
the samples of the instruments in use are read (tens of milliseconds, not the
half second of a full load). No Qt here.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path

from app.audio.midi_ports import quiet_stderr
from app.audio.soundfonts import find_soundfont
from app.audio.synth import DEFAULT_GAIN, DRUM_BANK, _load_fluidsynth
from app.core.errors import AudioError
from app.core.score import DRUM_CHANNEL

DRIVERS = ("pulseaudio", "pipewire", "alsa", "coreaudio", "wasapi", "dsound")
PERIOD_FRAMES = 64
PERIODS = 2
MELODIC_CHANNEL = 0
NO_DRIVER = "No sound server took the live synth, so MIDI thru is off; playback works as before."


class LiveSynth:
    """A FluidSynth playing raw MIDI messages on a sound server as they come (see the module docstring)."""

    def __init__(self, soundfont: str | Path | None = None, sample_rate: int = 44100,
                 gain: float = DEFAULT_GAIN, device: str = "") -> None:
        module = _load_fluidsynth()
        self._module = module
        self.sample_rate = int(sample_rate)
        self._fs = module.Synth(gain=float(gain), samplerate=float(sample_rate), channels=16)
        self._fs.setting("synth.dynamic-sample-loading", 1)
        self._sfid = self._fs.sfload(str(find_soundfont(soundfont)))
        if self._sfid < 0:
            self._fs.delete()
            raise AudioError("FluidSynth could not load the SoundFont for MIDI thru.")
        self._lock = threading.Lock()  # instrument changes and close() (notes are played under the caller's lock)
        self._closed = False
        self._instrument: tuple[int, bool] | None = None
        self.channel = MELODIC_CHANNEL
        self.set_instrument(0, False)
        self.device = device  # the sound server's name for the output ('' for its default)
        self.driver = self._open_driver(device)
        self.note_ons: deque[tuple[float, int]] = deque(maxlen=1024)  # (monotonic second applied, key)

    @property
    def period_s(self) -> float:
        """The driver's buffer: what the sound card adds after a note is applied."""
        return PERIOD_FRAMES * PERIODS / self.sample_rate

    def _open_driver(self, device: str) -> str:
        fs = self._fs
        fs.setting("audio.period-size", PERIOD_FRAMES)
        fs.setting("audio.periods", PERIODS)
        for name in DRIVERS:
            fs.setting("audio.driver", name)
            if device and name == "pulseaudio":
                fs.setting("audio.pulseaudio.device", device)
            with quiet_stderr():
                driver = self._module.new_fluid_audio_driver(fs.settings, fs.synth)
            if driver:
                fs.audio_driver = driver  # pyfluidsynth's delete() frees it first
                return name
        fs.delete()
        raise AudioError(NO_DRIVER)

    def set_instrument(self, program: int, is_drum: bool) -> None:
        """Sound what comes next as GM ``program`` (a drum kit when ``is_drum``); held notes are released."""
        wanted = (int(program), bool(is_drum))
        with self._lock:
            if wanted == self._instrument or self._closed:
                return
            self._fs.all_notes_off(self.channel)
            self.channel = DRUM_CHANNEL if is_drum else MELODIC_CHANNEL
            bank = DRUM_BANK if is_drum else 0
            if self._fs.program_select(self.channel, self._sfid, bank, wanted[0]) != 0:
                self._fs.program_select(self.channel, self._sfid, bank, 0)
            self._instrument = wanted

    def play(self, data: tuple[int, ...]) -> None:
        """Apply one raw MIDI message (any channel) at once: notes, controllers (the sustain pedal...), pitch bend."""
        if len(data) < 2:
            return
        kind, chan, fs = data[0] & 0xF0, self.channel, self._fs
        value = data[2] if len(data) > 2 else 0
        if kind == 0x90 and value > 0:
            fs.noteon(chan, data[1], value)
            self.note_ons.append((time.monotonic(), data[1]))
        elif kind in (0x80, 0x90):
            fs.noteoff(chan, data[1])
        elif kind == 0xB0:
            fs.cc(chan, data[1], value)
        elif kind == 0xE0:
            fs.pitch_bend(chan, ((value << 7) | data[1]) - 8192)

    def all_notes_off(self) -> None:
        """Release every note and the sustain pedal."""
        self._fs.cc(self.channel, 64, 0)
        self._fs.all_notes_off(self.channel)

    def close(self) -> None:
        """Stop the audio driver and free the synth (over a second: FluidSynth's driver waits for its thread)."""
        with self._lock:
            self._closed = True
        self._fs.delete()
