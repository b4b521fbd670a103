"""What to play: a score excerpt (and loop passes) as float32 blocks with their ticks.

:func:`play_blocks` turns a :class:`PlayRequest` (start tick, optional end
tick, optional loop region) into the blocks a player sends to the sound card.
Each pass over the music is a :class:`Segment`: it records where it starts in
the output stream (its first frame) and the tempo map of its excerpt, so a
player can map the frames actually played back to ticks with
:func:`tick_at`. A loop pass is cut exactly at the loop end sample (no release
tail) and the score is fetched again from ``score_provider`` before every pass,
so edits made while playing are heard at the next loop. With a metronome
(``metronome_provider``, also asked before every pass) the clicks of each pass
are mixed in on their own channel; exports never come through here.

:class:`FrameQueue` is the bounded, thread-safe buffer between the renderer
thread and the audio device: the renderer puts blocks, the device reads bytes
in the device's sample format.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Sequence

import numpy as np

from app.core.metronome import Metronome, click_notes
from app.core.score import Score
from app.core.timing import TempoMap

BLOCK_FRAMES = 1024


@dataclass(frozen=True)
class PlayRequest:
    """Play from ``start_tick``, up to ``end_tick`` (a selection's end) or to the
    end of the piece, or loop over ``loop`` = (start, end) ticks.

    With a loop, playback starts at ``start_tick`` when it lies before the loop
    end (else at the loop start) and then repeats the loop; ``end_tick`` is ignored.
    """

    start_tick: int = 0
    end_tick: int | None = None
    loop: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.start_tick < 0:
            raise ValueError(f"start tick {self.start_tick} is negative")
        if self.end_tick is not None and self.end_tick <= self.start_tick:
            raise ValueError(f"end tick {self.end_tick} is not after start tick {self.start_tick}")
        if self.loop is not None and not 0 <= self.loop[0] < self.loop[1]:
            raise ValueError(f"loop {self.loop} is not a (start, end) range of ticks")

    def passes(self) -> Iterator[tuple[int, int | None, bool]]:
        """``(start, end, exact)`` for each pass; ``exact``: cut at ``end``, no tail. Endless for a loop."""
        if self.loop is None:
            yield self.start_tick, self.end_tick, False
            return
        first, last = self.loop
        if self.start_tick < last:
            yield self.start_tick, last, True
        while True:
            yield first, last, True


@dataclass(frozen=True)
class Segment:
    """One pass over ``[start_tick, end_tick)`` beginning at frame ``first_frame`` of the stream.

    ``tempo`` is the tempo map of the excerpt (its tick 0 is ``start_tick``).
    """

    first_frame: int
    start_tick: int
    end_tick: int
    sample_rate: int
    tempo: TempoMap

    def tick_at(self, frame: int | float) -> float:
        """The tick sounding at stream frame ``frame`` (clamped to this pass; the release tail maps to its end)."""
        seconds = max(float(frame) - self.first_frame, 0.0) / self.sample_rate
        return min(self.start_tick + self.tempo.tick(seconds), float(self.end_tick))


@dataclass(frozen=True)
class Block:
    """``audio`` (frames, 2) float32 starting at stream frame ``first_frame``, within ``segment``."""

    audio: np.ndarray
    first_frame: int
    segment: Segment

    @property
    def frames(self) -> int:
        return len(self.audio)

    @property
    def ticks(self) -> tuple[float, float]:
        """The tick range this block covers: (tick at its first frame, tick just after its last)."""
        return self.segment.tick_at(self.first_frame), self.segment.tick_at(self.first_frame + self.frames)


def tick_at(segments: Sequence[Segment], frame: int | float) -> float:
    """The tick sounding at stream ``frame``, through the segment holding it (0 before any)."""
    starts = [s.first_frame for s in segments]
    i = bisect.bisect_right(starts, frame) - 1
    if i < 0:
        return float(segments[0].start_tick) if segments else 0.0
    return segments[i].tick_at(frame)


def _shift_changes(changes, offset: int) -> tuple:
    """Tempo or meter changes moved left by ``offset`` (the one in force at ``offset`` lands on 0)."""
    in_force = [c for c in changes if c.tick <= offset][-1:]
    later = [c for c in changes if c.tick > offset]
    return tuple(replace(c, tick=max(0, c.tick - offset)) for c in in_force + later)


def excerpt(score: Score, start: int, end: int | None = None) -> Score:
    """The notes of ``[start, end)`` moved so ``start`` is tick 0, tempo and meter changes with them.

    A note sounding across ``start`` starts (is struck) at ``start``; one
    sounding across ``end`` stops there. Track settings (program, volume,
    mute, solo) are kept, so the excerpt sounds as the piece does there.
    """
    stop = end if end is not None else max(score.end, start)
    tracks = []
    for track in score.tracks:
        notes = [replace(n, start=max(n.start, start) - start, duration=min(n.end, stop) - max(n.start, start))
                 for n in track.notes if n.end > start and n.start < stop]
        tracks.append(track.with_notes(notes))
    return replace(score, tracks=tuple(tracks), tempos=_shift_changes(score.tempos, start),
                   time_signatures=_shift_changes(score.time_signatures, start))


def _frames(tempo: TempoMap, ticks: int, sample_rate: int) -> int:
    """Frames from tick 0 to ``ticks`` (rounded as the synth rounds note times)."""
    return int(np.rint(tempo.seconds(ticks) * sample_rate))


def pass_clicks(score: Score, start: int, stop: int, metronome: Metronome | None) -> list[tuple[int, int, int]]:
    """The metronome's ``(tick, key, velocity)`` for ``[start, stop)`` of ``score``, in the excerpt's ticks."""
    if metronome is None:
        return []
    return [(tick - start, key, vel) for tick, key, vel in click_notes(score, start, stop, metronome)]


def _pass_audio(synth, part: Score, length: int, exact: bool, block_frames: int,
                clicks: list[tuple[int, int, int]]) -> Iterator[np.ndarray]:
    """The rendered ``part``: cut at ``length`` frames if ``exact``, padded with silence up to ``length``."""
    done = 0
    blocks = synth.render_blocks(part, block_frames, clicks=clicks)
    try:
        for block in blocks:
            if exact and done + len(block) >= length:
                if length > done:
                    yield block[:length - done]
                done = length
                break
            done += len(block)
            yield block
    finally:
        blocks.close()  # frees the synth (it stays locked while its generator lives)
    while done < length:
        n = min(block_frames, length - done)
        done += n
        yield np.zeros((n, 2), dtype=np.float32)


def play_blocks(synth, score_provider: Callable[[], Score], request: PlayRequest,
                block_frames: int = BLOCK_FRAMES,
                metronome_provider: Callable[[], Metronome | None] | None = None) -> Iterator[Block]:
    """The blocks to play for ``request``, rendered by ``synth`` (an :class:`app.audio.synth.Synth`).

    ``score_provider()`` is called once per pass (in the calling thread), so
    edits between loop passes are heard at the next one. A loop never ends:
    the consumer stops iterating (and closes the generator) when playback stops.
    ``metronome_provider()`` (also once per pass) gives the metronome's settings,
    or None for no clicks.
    """
    frame, rate = 0, synth.sample_rate
    for start, end, exact in request.passes():
        score = score_provider()
        stop = end if end is not None else max(score.end, start)
        part = excerpt(score, start, stop)
        tempo = TempoMap(part)
        length = _frames(tempo, stop - start, rate)
        if not exact and not any(t.notes for t in part.tracks) and end is None:
            return  # nothing left to play after the start
        metronome = metronome_provider() if metronome_provider is not None else None
        clicks = pass_clicks(score, start, stop, metronome)
        segment = Segment(frame, start, stop, rate, tempo)
        for audio in _pass_audio(synth, part, length, exact, block_frames, clicks):
            yield Block(audio, frame, segment)
            frame += len(audio)
        if exact and length == 0:
            return  # an empty loop would spin forever


class FrameQueue:
    """A bounded FIFO of float32 stereo frames between a renderer thread and an audio device.

    :meth:`put` blocks while more than ``capacity`` frames wait (until
    :meth:`close`); :meth:`read` never blocks and converts to the device's
    sample format ('float32' or 'int16'). :meth:`finish` marks the end of the
    stream; :meth:`fade_out` ends it early with a short fade.
    """

    def __init__(self, capacity: int, sample_format: str = "float32") -> None:
        if sample_format not in ("float32", "int16"):
            raise ValueError(f"sample format {sample_format!r} is not float32 or int16")
        self.capacity, self.sample_format = int(capacity), sample_format
        self.bytes_per_frame = 8 if sample_format == "float32" else 4
        self._blocks: deque[np.ndarray] = deque()
        self._queued = self.pushed = self.read_frames = 0
        self._cond = threading.Condition()
        self.finished = self.closed = False

    @property
    def queued(self) -> int:
        """Frames waiting to be read."""
        return self._queued

    @property
    def drained(self) -> bool:
        """True when the stream has ended and every frame has been read."""
        with self._cond:
            return self.finished and self._queued == 0

    def put(self, audio: np.ndarray, timeout: float | None = None) -> bool:
        """Append (frames, 2) float32 ``audio``, waiting for room; False if closed (or timed out)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self.closed or self.finished or self._queued < self.capacity, timeout)
            if not ok or self.closed or self.finished:
                return False
            self._blocks.append(np.asarray(audio, dtype=np.float32))
            self._queued += len(audio)
            self.pushed += len(audio)
            return True

    def finish(self) -> None:
        """No more frames will come."""
        with self._cond:
            self.finished = True
            self._cond.notify_all()

    def close(self) -> None:
        """Stop: wake a waiting :meth:`put` (which returns False) and drop what is queued."""
        with self._cond:
            self.closed = self.finished = True
            self._blocks.clear()
            self._queued = 0
            self._cond.notify_all()

    def fade_out(self, frames: int) -> None:
        """Keep only the next ``frames`` frames, faded to silence, then end the stream."""
        with self._cond:
            audio = self._take(min(frames, self._queued))
            if len(audio):
                audio = audio * np.linspace(1.0, 0.0, len(audio), dtype=np.float32)[:, None]
            self._blocks.clear()
            self._blocks.append(audio)
            self._queued = len(audio)
            self.finished = True
            self._cond.notify_all()

    def read(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of queued audio in the sample format (b'' when nothing waits)."""
        with self._cond:
            audio = self._take(min(max_bytes // self.bytes_per_frame, self._queued))
            self.read_frames += len(audio)
            self._cond.notify_all()
        if self.sample_format == "int16":
            return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return np.clip(audio, -1.0, 1.0).astype("<f4").tobytes()

    def _take(self, frames: int) -> np.ndarray:
        """Remove and return the next ``frames`` frames (caller holds the lock)."""
        parts, need = [], frames
        while need > 0 and self._blocks:
            head = self._blocks[0]
            if len(head) <= need:
                parts.append(self._blocks.popleft())
                need -= len(head)
            else:
                parts.append(head[:need])
                self._blocks[0] = head[need:]
                need = 0
        self._queued -= frames - need
        return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.float32)
