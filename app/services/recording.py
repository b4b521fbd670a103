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


def take_notes(messages: Iterable[MidiMessage], score: Score, start: int, origin: float,
               until: float | None = None) -> list[Note]:
    """The notes played: note-on/off pairs (any channel) placed from tick ``start`` at second ``origin``.

    A key still down at ``until`` (the moment recording stopped) ends there;
    messages before ``origin`` (during the count-in) are ignored.
    """
    tempo = TempoMap(score)
    base = tempo.seconds(start)

    def tick(at: float) -> int:
        return round(tempo.tick(base + at - origin))

    held: dict[int, tuple[int, int]] = {}  # pitch -> (start tick, velocity)
    notes: list[Note] = []
    last = origin
    for m in sorted(messages, key=lambda m: m.time):
        if m.time < origin or len(m.data) < 3:
            continue
        last = max(last, m.time)
        kind, pitch, velocity = m.data[0] & 0xF0, m.data[1], m.data[2]
        if kind == 0x90 and velocity > 0:
            if pitch in held:  # struck again without a release
                notes.append(_note(*held.pop(pitch), pitch, tick(m.time)))
            held[pitch] = (tick(m.time), velocity)
        elif kind in (0x80, 0x90) and pitch in held:
            notes.append(_note(*held.pop(pitch), pitch, tick(m.time)))
    end = tick(until if until is not None else last)
    notes.extend(_note(on, velocity, pitch, end) for pitch, (on, velocity) in held.items())
    return sorted(notes)


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
    recording_stopped = Signal(int)  # notes in the take
    position_changed = Signal(int)  # the playhead in the document's ticks while recording
    status_message = Signal(str)

    def __init__(self, doc, midi, player=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.midi, self.player = doc, midi, player
        self.options = RecordOptions()
        self.origin: float | None = None
        self.start_tick = 0
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

    def start(self, at_tick: int) -> bool:
        """Count in, then record from ``at_tick``; False (with a status message) when it cannot."""
        if self._recording:
            return True
        if not self.doc.score.tracks:
            self.status_message.emit(NO_TRACK)
            return False
        if not self.midi.start():
            self.status_message.emit(self.midi.status)
            return False
        score = self.doc.score
        self.start_tick = int(at_tick)
        played, play_from, lead = count_in_score(score, self.start_tick, self.options.count_in)
        tempo = TempoMap(played)
        lead_s = tempo.seconds(lead) - tempo.seconds(play_from)
        self._messages = []
        self._recording = True
        self._played, self._lead, self._heard = played, lead, False
        now = time.monotonic()
        if self.player is not None:
            self.player.play(lambda: played, play_from, with_metronome=True)
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
            self.position_changed.emit(self.start_tick + tick - self._lead)

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
