"""One long-lived FluidSynth that renders a Score to float32 stereo blocks.

The SoundFont is loaded once. Each render first resets the synthesizer
completely (same score, same samples, whatever played before), then renders
block by block, up to each event's sample offset before applying it, so notes
land where the tempo map puts them (on FluidSynth's 64-frame grid), not on
block edges. Only the note events are prepared up front, so the first block
is ready in milliseconds. After the last note-off the release tail is
rendered until it stays below -70 dBFS (at most ``TAIL_CAP_S`` seconds), and
the silent samples after it are trimmed.

One synth may serve several renderers (the player and the spectrogram share
one): renders take turns under its lock. A render that can wait passes
``cancelled`` and gives way while :attr:`Synth.contended` says a render that
cannot wait (playback) is waiting.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from app.core.errors import AudioError, SoundFontError
from app.core.quiet_import import quiet_import
from app.core.score import DRUM_CHANNEL, Score, Track, audible_tracks
from app.core.timing import TempoMap

from app.audio.soundfonts import find_soundfont

DEFAULT_GAIN = 0.5
MIDI_CHANNELS = 256  # a FluidSynth may have more than 16 channels
DRUM_BANK = 128
SILENCE = 10 ** (-70 / 20)  # -70 dBFS: below this the release tail is over
QUIET_WINDOW_S = 0.05  # this long below SILENCE (more than a 20 Hz period) ends the tail
TAIL_CAP_S = 4.0  # longest tail rendered after the last note-off
FLUID_BUFSIZE = 64  # FluidSynth renders (and applies events) in blocks of this many frames
NOTE_OFF, NOTE_ON = 0, 1  # at the same sample, note-offs come first (re-struck notes)
MELODIC_CHANNELS = tuple(c for c in range(MIDI_CHANNELS) if c % 16 != DRUM_CHANNEL)
METRONOME_CHANNEL = 16 + DRUM_CHANNEL  # a drum channel no track gets (tracks use 9 and MELODIC_CHANNELS)
CLICK_S = 0.1  # a metronome click's note-off comes this long after its note-on
WAIT_POLL_S = 0.05  # a render that can wait checks ``cancelled`` this often while the synth is busy

INSTALL_HINT = ("The FluidSynth library could not be loaded: install libfluidsynth3 "
                "(Debian/Ubuntu: apt install libfluidsynth3; macOS: brew install fluid-synth).")


def _load_fluidsynth():
    """Import pyfluidsynth (quietly), turning a missing libfluidsynth into one clear AudioError."""
    try:
        return quiet_import("fluidsynth")
    except (ImportError, OSError):
        raise AudioError(INSTALL_HINT) from None


def _bind(module, name: str, restype, *argtypes):
    """The C function ``name`` from pyfluidsynth's loaded library, or None if this build lacks it."""
    lib = getattr(module, "_fl", None)
    if lib is None or not hasattr(lib, name):
        return None
    return ctypes.CFUNCTYPE(restype, *argtypes)((name, lib))


def _bind_write_float(module):
    """``fluid_synth_write_float(synth, len, lout, loff, lincr, rout, roff, rincr)`` or None."""
    c_int, ptr = ctypes.c_int, ctypes.c_void_p
    return _bind(module, "fluid_synth_write_float", c_int, ptr, c_int, ptr, c_int, c_int, ptr, c_int, c_int)


@dataclass(frozen=True)
class RenderPlan:
    """One render: ``(sample, kind, channel, key, velocity)`` events sorted by sample,
    the sample of the last note-off, and (bank, preset) per channel."""

    events: list[tuple[int, int, int, int, int]]
    end_sample: int
    programs: dict[int, tuple[int, int]]
    volumes: dict[int, int] = field(default_factory=dict)  # channel -> CC 7


def assign_channels(tracks: tuple[Track, ...]) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """MIDI channel per track (-1 for an empty one) and (bank, preset) per used channel.

    Drums share channel 9 (bank 128, the first drum track's kit). Melodic
    tracks get channels 0-15 without 9, one each; with more than 15 they share
    one channel per GM program instead.
    """
    by_program = sum(1 for t in tracks if not t.is_drum and t.notes) > 15
    drum_kit = next((t.program for t in tracks if t.is_drum and t.notes), 0)
    channels: list[int] = []
    programs: dict[int, tuple[int, int]] = {}
    shared: dict[int, int] = {}  # program (or track number) -> melodic channel
    for track in tracks:
        if not track.notes:
            chan = -1
        elif track.is_drum:
            chan = DRUM_CHANNEL
            programs[chan] = (DRUM_BANK, drum_kit)
        elif by_program and track.program in shared:
            chan = shared[track.program]
        else:
            chan = MELODIC_CHANNELS[len(shared)]
            programs[chan] = (0, track.program)
            shared[track.program if by_program else len(shared)] = chan
        channels.append(chan)
    return channels, programs


def _click_rows(clicks: Sequence[tuple[int, int, int]], tempo: TempoMap, sample_rate: int) -> list[np.ndarray]:
    """Note-on and note-off rows of metronome ``clicks`` ((tick, key, velocity)) on their own channel."""
    table = np.array(clicks, dtype=np.int64).reshape(-1, 3)  # (clicks, 3)
    on = np.rint(tempo.seconds_array(table[:, 0]) * sample_rate).astype(np.int64)
    off = on + max(1, int(CLICK_S * sample_rate))
    keys, vels = np.clip(table[:, 1], 0, 127), np.clip(table[:, 2], 1, 127)
    chans = np.full(len(table), METRONOME_CHANNEL, dtype=np.int64)
    return [np.stack([on, np.full_like(on, NOTE_ON), chans, keys, vels], axis=1),
            np.stack([off, np.full_like(off, NOTE_OFF), chans, keys, 0 * vels], axis=1)]


def plan_render(score: Score, sample_rate: int, clicks: Sequence[tuple[int, int, int]] = ()) -> RenderPlan:
    """Turn ``score`` into sorted note events at sample offsets (pitch 0-127, velocity 1-127).

    ``clicks`` (metronome ``(tick, key, velocity)``, live playback only) sound on
    :data:`METRONOME_CHANNEL` with the standard drum kit, through the same tempo map.
    """
    channels, programs = assign_channels(score.tracks)
    volumes = {}
    for track, chan in zip(score.tracks, channels):
        volumes.setdefault(chan, track.volume)
    tempo = TempoMap(score)
    rows = []
    for track, chan, sounds in zip(score.tracks, channels, audible_tracks(score.tracks)):
        if not track.notes or not sounds:
            continue
        notes = np.array([(n.start, n.end, n.pitch, n.velocity) for n in track.notes], dtype=np.int64)
        on = np.rint(tempo.seconds_array(notes[:, 0]) * sample_rate).astype(np.int64)  # (n,)
        off = np.maximum(np.rint(tempo.seconds_array(notes[:, 1]) * sample_rate).astype(np.int64), on + 1)
        keys, vels = np.clip(notes[:, 2], 0, 127), np.clip(notes[:, 3], 1, 127)
        chans = np.full(len(notes), chan, dtype=np.int64)
        rows.append(np.stack([on, np.full_like(on, NOTE_ON), chans, keys, vels], axis=1))
        rows.append(np.stack([off, np.full_like(off, NOTE_OFF), chans, keys, 0 * vels], axis=1))
    if len(clicks):
        programs[METRONOME_CHANNEL] = (DRUM_BANK, 0)
        rows.extend(_click_rows(clicks, tempo, sample_rate))
    if not rows:
        return RenderPlan([], 0, programs, volumes)
    table = np.concatenate(rows)  # (events, 5)
    table = table[np.lexsort((table[:, 1], table[:, 0]))]  # by sample, note-offs first
    return RenderPlan(table.tolist(), int(table[-1, 0]), programs, volumes)


class Synth:
    """A FluidSynth with one SoundFont loaded, rendering Scores to float32 stereo blocks.

    Make one and keep it. Renders are serialised by a lock (several renderers
    may share one synth); call :meth:`close` (or use ``with``) when done.
    """

    def __init__(self, soundfont: str | Path | None = None, sample_rate: int = 44100,
                 gain: float = DEFAULT_GAIN) -> None:
        if not 8000 <= int(sample_rate) <= 192000:
            raise AudioError(f"The sample rate {sample_rate} Hz is outside 8000-192000 Hz.")
        self._path = find_soundfont(soundfont)
        module = _load_fluidsynth()
        self._sample_rate, self._gain = int(sample_rate), float(gain)
        self._fs = module.Synth(gain=self._gain, samplerate=float(sample_rate), channels=MIDI_CHANNELS)
        if not self._fs.synth:
            raise AudioError("FluidSynth could not create a synthesizer.")
        self._sfid = self._fs.sfload(str(self._path))
        if self._sfid < 0:
            self._fs.delete()
            raise SoundFontError(f"FluidSynth could not load the SoundFont {self._path}.")
        self._write_float = _bind_write_float(module)
        self._set_gain = _bind(module, "fluid_synth_set_gain", None, ctypes.c_void_p, ctypes.c_float)
        self._set_rate = _bind(module, "fluid_synth_set_sample_rate", None, ctypes.c_void_p, ctypes.c_float)
        self._lock = threading.Lock()
        self._waiting = 0  # renders blocked in _acquire that cannot wait (see contended)
        self._waiting_lock = threading.Lock()
        self._owner: int | None = None
        self._closed = self._deleted = False
        self._frames_written = 0
        self._sounding: dict[tuple[int, int], int] = {}

    @property
    def sample_rate(self) -> int:
        """Frames per second of the rendered audio."""
        return self._sample_rate

    @property
    def soundfont(self) -> Path:
        """The SoundFont file this synth plays."""
        return self._path

    @property
    def contended(self) -> bool:
        """True while a render that cannot wait (one without ``cancelled``) waits for this synth.

        A render that can wait (the spectrogram) checks this between blocks,
        stops, and starts again once the other has the synth.
        """
        return self._waiting > 0

    def render_blocks(self, score: Score, block_frames: int = 1024,
                      cancelled: Callable[[], bool] | None = None,
                      clicks: Sequence[tuple[int, int, int]] = ()) -> Iterator[np.ndarray]:
        """Yield the rendered ``score`` as float32 arrays of shape (frames, 2).

        Every block has ``block_frames`` frames except the last, which may be
        shorter; an empty score yields nothing. The synth is locked from the
        first block until the generator finishes or is closed. While another
        thread renders, this one waits for it; with ``cancelled``, it checks
        that while it waits and yields nothing once it returns True.
        ``clicks``: metronome clicks mixed in (live playback only, never exports;
        see :func:`app.core.metronome.click_notes`).
        """
        if block_frames < 1:
            raise ValueError(f"block_frames {block_frames} must be positive")
        if not self._acquire(cancelled):
            return
        try:
            plan = plan_render(score, self._sample_rate, clicks)
            if plan.events:
                self._reset(plan.programs, plan.volumes)
                yield from self._stream(plan, block_frames)
        finally:
            self._release()

    def render(self, score: Score) -> np.ndarray:
        """The whole rendered ``score`` as one float32 array of shape (frames, 2)."""
        blocks = list(self.render_blocks(score, block_frames=8192))
        return np.concatenate(blocks) if blocks else np.zeros((0, 2), dtype=np.float32)

    def close(self) -> None:
        """Free the synthesizer; waits for a render running in another thread to end."""
        self._closed = True
        if self._owner == threading.get_ident():
            return  # a suspended render in this thread frees it when it ends
        with self._lock:
            self._delete()

    def __enter__(self) -> "Synth":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _acquire(self, cancelled: Callable[[], bool] | None = None) -> bool:
        """Lock the synth for one render; False if ``cancelled`` returned True while waiting."""
        if self._owner == threading.get_ident():
            raise AudioError("This synthesizer is already rendering in this thread; "
                             "finish or close that render first.")
        if cancelled is not None:
            while not self._lock.acquire(timeout=WAIT_POLL_S):
                if cancelled():
                    return False
        elif not self._lock.acquire(blocking=False):
            with self._waiting_lock:
                self._waiting += 1
            try:
                self._lock.acquire()
            finally:
                with self._waiting_lock:
                    self._waiting -= 1
        if self._closed:
            self._lock.release()
            raise AudioError("The synthesizer has been closed.")
        self._owner = threading.get_ident()
        return True

    def _release(self) -> None:
        self._owner = None
        if self._closed:
            self._delete()
        self._lock.release()

    def _delete(self) -> None:
        if not self._deleted:
            self._deleted = True
            self._fs.delete()

    def _reset(self, programs: dict[int, tuple[int, int]], volumes: dict[int, int] | None = None) -> None:
        """Forget everything earlier renders left behind, then select this render's programs."""
        self._discard(-self._frames_written % FLUID_BUFSIZE)  # use up a part-rendered internal block
        self._silence()
        self._clear_voice_slots()
        if self._set_rate is not None:  # rebuilds reverb and chorus, modulation phases included
            self._set_rate(self._fs.synth, float(self._sample_rate))
        self._sounding.clear()
        for chan, (bank, preset) in sorted(programs.items()):
            if self._fs.program_select(chan, self._sfid, bank, preset) != 0:
                self._fs.program_select(chan, self._sfid, bank, 0)
        for chan, volume in sorted((volumes or {}).items()):
            if chan >= 0:
                self._fs.cc(chan, 7, int(volume))

    def _silence(self) -> None:
        """Reset all channels and stop every voice, releasing ones too (system_reset leaves those)."""
        self._fs.system_reset()
        self._fs.all_sounds_off(-1)  # only works after the reset, not before it
        self._discard(FLUID_BUFSIZE)  # lets the mixer free the stopped voices

    def _clear_voice_slots(self) -> None:
        """Make every voice slot as if never used (about 2 ms).

        FluidSynth ramps a new voice's output gain from the last gain of the
        slot it reuses, so the first 64 frames of a note depend on what played
        before; sounding every slot once at gain 0 zeroes that memory.
        """
        if self._set_gain is None:
            return
        self._set_gain(self._fs.synth, 0.0)
        polyphony = int(self._fs.get_setting("synth.polyphony") or 256)
        for chan in range(16):
            self._fs.program_select(chan, self._sfid, 0, 0)
        for chan, key in ((c, k) for c in range(16) for k in range(128)):
            self._fs.noteon(chan, key, 100)
            if self._fs.get_active_voice_count() >= polyphony:
                break
        self._discard(FLUID_BUFSIZE)
        self._silence()
        self._set_gain(self._fs.synth, self._gain)

    def _discard(self, frames: int) -> None:
        if frames:
            self._write(np.empty((frames, 2), dtype=np.float32))

    def _write(self, out: np.ndarray) -> None:
        """Render ``len(out)`` frames into the C-contiguous (frames, 2) float32 view ``out``."""
        frames = len(out)
        if self._write_float is not None:
            ptr = out.ctypes.data
            self._write_float(self._fs.synth, frames, ptr, 0, 2, ptr, 1, 2)
        else:
            out[:] = self._fs.get_samples(frames).reshape(frames, 2) / np.float32(32768.0)
        self._frames_written += frames

    def _apply(self, kind: int, chan: int, key: int, vel: int) -> None:
        """Send one note event; a key struck again while sounding is released by its last note-off."""
        count = self._sounding.get((chan, key), 0)
        if kind == NOTE_ON:
            self._sounding[(chan, key)] = count + 1
            self._fs.noteon(chan, key, vel)
        elif count > 0:
            self._sounding[(chan, key)] = count - 1
            if count == 1:
                self._fs.noteoff(chan, key)

    def _fill(self, block: np.ndarray, start: int, events: list, i: int) -> int:
        """Render ``block`` (starting at sample ``start``) applying events at their offsets."""
        frames, done = len(block), 0
        while i < len(events) and events[i][0] < start + frames:
            sample, kind, chan, key, vel = events[i]
            if sample - start > done:
                self._write(block[done:sample - start])
                done = sample - start
            self._apply(kind, chan, key, vel)
            i += 1
        if done < frames:
            self._write(block[done:])
        return i

    def _stream(self, plan: RenderPlan, block_frames: int) -> Iterator[np.ndarray]:
        """Blocks up to the last note-off, then the release tail, trimmed where it falls silent."""
        end, sr = plan.end_sample, self._sample_rate
        quiet_needed, cap = int(QUIET_WINDOW_S * sr), end + int(TAIL_CAP_S * sr)
        pos = i = quiet = 0
        pending: list[np.ndarray] = []  # tail blocks from the last one with sound on
        while True:
            block = np.empty((block_frames, 2), dtype=np.float32)
            i = self._fill(block, pos, plan.events, i)
            start, pos = pos, pos + block_frames
            if pos <= end:
                yield block
                continue
            loud = np.flatnonzero(np.abs(block).max(axis=1) >= SILENCE)
            keep = max(int(loud[-1]) + 1 if len(loud) else 0, end - start)
            if keep > 0:
                yield from pending
                pending, quiet = [block], block_frames - keep
            else:
                pending.append(block)
                quiet += block_frames
            if quiet >= quiet_needed or pos >= cap:
                break
        audio = np.concatenate(pending)
        audio = audio[:len(audio) - quiet]
        for s in range(0, len(audio), block_frames):
            yield audio[s:s + block_frames]
