"""Recording from the MIDI input into the active track: count-in, the take, one undoable step.

Timing: the recording's origin is a ``time.monotonic()`` second, the moment
the playhead's tick is reached after the count-in; each message carries the
second it arrived (stamped off the UI thread, see
:class:`app.audio.midi_ports.MidiInput`), so a note's tick is the tempo map's tick at
``seconds(playhead) + (arrival - origin)``: tempo changes are followed, and
how late the UI thread looks at the queue does not matter.

The count-in is one or two bars of clicks (accent on beat one) at the meter
and tempo of the playhead, played before the score from the playhead by the
:class:`~app.services.player.Player` when there is one; the player's
position then re-anchors the origin to the frames the audio device has
taken, so the take lines up with the clicks as they are heard. When recording
stops, the take (quantized if asked) is handed on by
:attr:`Recorder.take_recorded`, for the window to push as one
:class:`~app.commands.NotesCommand` (services sit beside commands):
overdub adds it to the track, replace
first removes the track's notes that start between the playhead and the
moment recording stopped (or the take's last note-off, if later).

Loop recording (:meth:`Recorder.start` with a loop region) works as in a
DAW's cycle recording: recording begins at the loop's start (after the
count-in) and the player keeps cycling over the loop; each pass is a take
(:func:`loop_takes`). When recording stops, :attr:`Recorder.takes_recorded`
hands on all of them: the window puts the last take in the track (overdub or
replace, over the loop region) and keeps each earlier one as a muted track
"Take 1", "Take 2"... after it, with the same instrument, as one undoable
step; unmuting a take (or soloing it) auditions it, and undo removes them all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Iterable

from PySide6.QtCore import QObject, QTimer, Signal

from app.audio.midi_ports import MidiMessage
from app.core import edits
from app.core.metronome import Metronome, click_notes
from app.core.score import Note, Score, Track
from app.core.timing import TempoMap, bar_lines, signature_at

QUANTIZES = ("off", "1/8", "1/16", "1/8T", "1/16T")
MODES = ("overdub", "replace")
COUNT_INS = (0, 1, 2)  # bars
MIN_TAKE_TICKS = 1
NO_TRACK = "Add a track to record into first."


def quantize_step(name: str, ppq: int) -> int:
    """Ticks of an input-quantize grid: "1/8" is half a quarter, "1/8T" a third of one; 0 for "off"."""
    if name not in QUANTIZES:
        raise ValueError(f"quantize {name!r} is not one of {QUANTIZES}")
    if name == "off":
        return 0
    division = int(name.rstrip("T").split("/")[1])
    step = 4 * ppq / division
    return max(1, round(step * 2 / 3 if name.endswith("T") else step))


def played_notes(messages: Iterable[MidiMessage], origin: float,
                 until: float | None = None) -> list[tuple[float, float, int, int]]:
    """``(on, off, pitch, velocity)`` of the notes played, in seconds after ``origin``.

    Note-on/off pairs on any channel; a key struck again without a release
    ends the earlier note there; a key still down at ``until`` (the moment
    recording stopped, else the last message) ends then; messages before
    ``origin`` (during the count-in) are ignored.
    """
    held: dict[int, tuple[float, int]] = {}  # pitch -> (on, velocity)
    notes: list[tuple[float, float, int, int]] = []
    last = origin
    for m in sorted(messages, key=lambda m: m.time):
        if m.time < origin or len(m.data) < 3:
            continue
        last = max(last, m.time)
        at, (kind, pitch, velocity) = m.time - origin, (m.data[0] & 0xF0, m.data[1], m.data[2])
        if kind == 0x90 and velocity > 0:
            if pitch in held:  # struck again without a release
                notes.append((held[pitch][0], at, pitch, held.pop(pitch)[1]))
            held[pitch] = (at, velocity)
        elif kind in (0x80, 0x90) and pitch in held:
            notes.append((held[pitch][0], at, pitch, held.pop(pitch)[1]))
    end = (until if until is not None else last) - origin
    notes.extend((on, max(on, end), pitch, velocity) for pitch, (on, velocity) in held.items())
    return sorted(notes)


def take_notes(messages: Iterable[MidiMessage], score: Score, start: int, origin: float,
               until: float | None = None) -> list[Note]:
    """The notes played (see :func:`played_notes`), placed from tick ``start`` at second ``origin``."""
    tempo = TempoMap(score)
    base = tempo.seconds(start)
    return sorted(_note(round(tempo.tick(base + on)), velocity, pitch, round(tempo.tick(base + off)))
                  for on, off, pitch, velocity in played_notes(messages, origin, until))


def loop_takes(messages: Iterable[MidiMessage], score: Score, loop: tuple[int, int], origin: float,
               until: float | None = None) -> list[list[Note]]:
    """One take per pass over ``loop`` (recording began at its start at second ``origin``): the notes
    struck in each pass, a note held over the loop's end cut there; passes with no notes are left out."""
    tempo = TempoMap(score)
    first, length = tempo.seconds(loop[0]), tempo.seconds(loop[1]) - tempo.seconds(loop[0])
    if length <= 0:
        return []
    passes: dict[int, list[Note]] = {}
    for on, off, pitch, velocity in played_notes(messages, origin, until):
        number = int(on // length)
        into = on - number * length
        start = min(round(tempo.tick(first + into)), loop[1] - MIN_TAKE_TICKS)
        end = min(round(tempo.tick(first + into + off - on)), loop[1])
        passes.setdefault(number, []).append(_note(start, velocity, pitch, end))
    return [sorted(passes[n]) for n in sorted(passes)]


def _note(on: int, velocity: int, pitch: int, off: int) -> Note:
    return Note(start=on, pitch=pitch, duration=max(MIN_TAKE_TICKS, off - on), velocity=velocity)


def replaced_notes(track: Track, start: int, end: int) -> list[Note]:
    """The track's notes a replace-mode take removes: those starting in ``[start, end)``."""
    return [n for n in track.notes if start <= n.start < end]


def count_in_score(score: Score, start: int, bars: int) -> tuple[Score, int, int]:
    """What the player plays for a recording from ``start``: ``(score, play from, the playhead's tick in it)``.

    ``bars`` bars of clicks (accent on beat one, on a drum track of their
    own, at the meter and tempo of the bar holding ``start``) come before
    ``score`` from ``start`` on. The bar lines stay where the piece has them,
    so a playhead in mid-bar counts in from the same beat of the bar
    ``bars`` bars earlier, and the metronome (when on) goes on in step.
    """
    from app.audio.stream import excerpt

    sig = signature_at(score, start)
    bar_start = [b.tick for b in bar_lines(score, start + 1) if b.tick <= start][-1]
    lead = bars * sig.bar_ticks(score.ppq)
    frame, part = excerpt(score, bar_start), excerpt(score, start)
    count_end = lead + start - bar_start
    meter = Score(tracks=(), ppq=score.ppq, tempos=frame.tempos[:1], time_signatures=(replace(sig, tick=0),))
    clicks = click_notes(meter, 0, count_end, Metronome(enabled=True, volume=1.0, accent=True)) if lead else []
    click_track = Track("Count-in", 0, True, tuple(Note(start=t, pitch=k, duration=score.ppq // 4, velocity=v)
                                                    for t, k, v in clicks))
    shifted = tuple(t.with_notes([replace(n, start=n.start + count_end) for n in t.notes]) for t in part.tracks)
    tempos = frame.tempos[:1] + tuple(replace(t, tick=t.tick + lead) for t in frame.tempos[1:])
    sigs = (replace(sig, tick=0),) + tuple(replace(s, tick=s.tick + lead) for s in frame.time_signatures[1:])
    played = replace(part, tracks=shifted + ((click_track,) if clicks else ()), tempos=tempos, time_signatures=sigs)
    return played, start - bar_start, count_end


@dataclass
class RecordOptions:
    """What the record button's menu sets."""

    count_in: int = 1  # bars: 0, 1 or 2
    quantize: str = "off"
    mode: str = "overdub"


class Recorder(QObject):
    """Records the MIDI input into the document's active track (see the module docstring)."""

    counting_in = Signal(float)  # seconds until recording begins
    recording_started = Signal(float)  # the origin, a time.monotonic() second
    take_recorded = Signal(int, list, list)  # track index, notes it replaces, the take: push it as one command
    takes_recorded = Signal(int, list, list)  # loop recording: track index, notes replaced, [take] (the last is kept)
    recording_stopped = Signal(int)  # notes in the take
    position_changed = Signal(int)  # the playhead in the document's ticks while recording
    status_message = Signal(str)

    def __init__(self, doc, midi, player=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.midi, self.player = doc, midi, player
        self.options = RecordOptions()
        self.origin: float | None = None
        self.start_tick = 0
        self.loop: tuple[int, int] | None = None
        self._messages: list[MidiMessage] = []
        self._recording = False
        self._played: Score | None = None  # what the player plays: the count-in, then the score
        self._lead = 0
        self._heard = False  # the origin has been set from the sound the player reports
        self._begin_timer = QTimer(self)
        self._begin_timer.setSingleShot(True)
        self._begin_timer.timeout.connect(self._on_begin_timer_timeout)
        midi.messages_received.connect(self._on_midi_messages_received)
        if player is not None:
            player.position_changed.connect(self._on_player_position_changed)

    def is_recording(self) -> bool:
        return self._recording

    def start(self, at_tick: int, loop: tuple[int, int] | None = None) -> bool:
        """Count in, then record from ``at_tick`` (or, over a ``loop`` region, from its start, pass after
        pass); False (with a status message) when it cannot."""
        if self._recording:
            return True
        if not self.doc.score.tracks:
            self.status_message.emit(NO_TRACK)
            return False
        if not self.midi.start():
            self.status_message.emit(self.midi.status)
            return False
        score = self.doc.score
        self.loop = (int(loop[0]), int(loop[1])) if loop is not None and loop[0] < loop[1] else None
        self.start_tick = self.loop[0] if self.loop is not None else int(at_tick)
        played, play_from, lead = count_in_score(score, self.start_tick, self.options.count_in)
        cycle = (lead, lead + self.loop[1] - self.loop[0]) if self.loop is not None else None
        tempo = TempoMap(played)
        lead_s = tempo.seconds(lead) - tempo.seconds(play_from)
        self._messages = []
        self._recording = True
        self._played, self._lead, self._heard = played, lead, False
        now = time.monotonic()
        if self.player is not None:
            looping = {"loop": cycle} if cycle is not None else {}
            self.player.play(lambda: played, play_from, with_metronome=True, **looping)
        self.origin = now + lead_s
        self.midi.listen(True)
        self.counting_in.emit(lead_s)
        self._begin_timer.start(max(0, round(lead_s * 1000)))
        return True

    def _on_begin_timer_timeout(self) -> None:
        if self._recording:
            self.recording_started.emit(self.origin)

    def _on_player_position_changed(self, tick: int) -> None:
        """Anchor the origin to the sound: the played score began ``seconds(tick)`` before now.

        The player's position follows the frames the audio device has taken,
        so this moves the origin by the output's buffering, which the
        musician hears the clicks through. A stale position only makes the
        estimate later, so the earliest estimate is kept.
        """
        if not self._recording or self._played is None or not self.player.is_playing():
            return
        tempo = TempoMap(self._played)
        origin = time.monotonic() - tempo.seconds(tick) + tempo.seconds(self._lead)
        if not self._heard or origin < self.origin:
            self.origin, self._heard = origin, True
        if tick >= self._lead:
            self.position_changed.emit(self.start_tick + tick - self._lead)  # a loop's passes wrap in `played`

    def _on_midi_messages_received(self, messages: list) -> None:
        if self._recording:
            self._messages.extend(messages)

    def stop(self) -> int:
        """Stop and hand on the take for the active track (:attr:`take_recorded`); returns its note count."""
        if not self._recording:
            return 0
        until = time.monotonic()
        self.midi.settle(until)  # what was played until now, still on its way
        self.midi.listen(False)  # delivers what is queued
        self._recording = False
        self._begin_timer.stop()
        if self.player is not None:
            self.player.stop()
        score = self.doc.score
        if self.loop is not None:
            count = self._write_takes(loop_takes(self._messages, score, self.loop, self.origin, until))
            self.recording_stopped.emit(count)
            return count
        take = take_notes(self._messages, score, self.start_tick, self.origin, until)
        end = round(TempoMap(score).tick(TempoMap(score).seconds(self.start_tick) + until - self.origin))
        count = self._write(take, max([end] + [n.end for n in take]))
        self.recording_stopped.emit(count)
        return count

    def _write(self, take: list[Note], end: int) -> int:
        score = self.doc.score
        if not take or not score.tracks:
            return 0
        step = quantize_step(self.options.quantize, score.ppq)
        if step:
            take = edits.quantize_notes(take, step)
        index = min(max(self.doc.active_track, 0), len(score.tracks) - 1)
        track = score.tracks[index]
        old = replaced_notes(track, self.start_tick, end) if self.options.mode == "replace" else []
        self.take_recorded.emit(index, old, take)
        return len(take)

    def _write_takes(self, takes: list[list[Note]]) -> int:
        """Hand on a loop recording's takes (quantized if asked); returns the last take's note count."""
        score = self.doc.score
        if not takes or not score.tracks:
            return 0
        step = quantize_step(self.options.quantize, score.ppq)
        if step:
            takes = [edits.quantize_notes(take, step) for take in takes]
        index = min(max(self.doc.active_track, 0), len(score.tracks) - 1)
        old = replaced_notes(score.tracks[index], *self.loop) if self.options.mode == "replace" else []
        if len(takes) == 1:
            self.take_recorded.emit(index, old, takes[0])
        else:
            self.takes_recorded.emit(index, old, takes)
        return len(takes[-1])
