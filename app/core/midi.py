"""Standard MIDI files (type 0 and 1) <-> Score, through mido, exact in ticks.

Reading splits notes into tracks by (file track, channel, program), as DAWs
do; channel 10 is drums. Overlapping notes of one pitch on one channel are
resolved deliberately: a note-on for a pitch that is already sounding ends the
sounding note at that tick (a re-strike), and the next note-off ends the new
note; note-offs with nothing sounding are ignored. Writing applies the same
rule, so a file read and written back keeps every note exactly, and a score
with overlapping same-pitch notes writes the earlier one cut at the re-strike.

Unisons (two notes of one pitch starting together on one channel: two voices
on one pitch) are kept when the file gives each its own note-off: note-ons at
the same tick stack, and each note-off ends the earliest of them. A stacked
note-on that never gets its own note-off (a re-strike or the track's end
comes first) is a doubled trigger, not a note, and is dropped as before.
Notes of one pitch on different tracks or channels never interact.

Text meta events (track names, the title, provenance) are written as UTF-8
and read as UTF-8, falling back to Latin-1 (``app.core.text``); names are
cleaned of control characters both ways.

Every tempo, time signature and key signature event is read and written (the
key map: the first key signature at a tick counts; modes other than major and
minor are written as the major or minor key with their signature).

Provenance (``app.core.provenance``) and the title travel as text meta events in the first track.
A tempo slower than MIDI can hold (about 3.58 bpm) is written as the slowest it can.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import mido

from app.core.errors import FileFormatError
from app.core.keys import key_from_mido, key_to_mido
from app.core.limits import MAX_NOTES, MAX_TICK
from app.core.provenance import Provenance
from app.core.score import DRUM_CHANNEL, KeyChange, Note, Score, TempoChange, TimeSignature, Track
from app.core.text import decode_midi_bytes, from_midi_text, midi_text

PROVENANCE_PREFIX = "cadenza:provenance "
MAX_MIDI_TEMPO = 0xFFFFFF  # microseconds per quarter note: MIDI's slowest tempo, about 3.58 bpm


@dataclass
class _Part:
    """Notes being collected for one (track, channel, program)."""

    name: str
    channel: int
    program: int
    notes: list[Note] = field(default_factory=list)
    volume: int = 100


@dataclass
class _Conductor:
    tempos: list[TempoChange] = field(default_factory=list)
    signatures: list[TimeSignature] = field(default_factory=list)
    keys: dict[int, str] = field(default_factory=dict)  # tick -> key: the first key signature at a tick
    title: str = ""
    provenance: dict = field(default_factory=dict)


def read_midi(path: str | Path) -> Score:
    """Read a MIDI file into a Score; failures raise FileFormatError."""
    try:
        mid = mido.MidiFile(str(path), clip=True)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise FileFormatError(path, _describe(exc)) from None
    if mid.type == 2:
        raise FileFormatError(path, "MIDI type 2 (independent sequences) is not supported")
    if mid.ticks_per_beat <= 0 or mid.ticks_per_beat > 32767:
        raise FileFormatError(path, f"its resolution of {mid.ticks_per_beat} ticks per beat is not usable (SMPTE timing is not supported)")
    conductor = _Conductor()
    parts: list[_Part] = []
    for index, track in enumerate(mid.tracks):
        parts.extend(_read_track(path, index, track, conductor))
    tracks = [_to_track(p) for p in parts if p.notes]
    return Score(
        tracks=tuple(tracks),
        ppq=mid.ticks_per_beat,
        tempos=tuple(_dedupe(conductor.tempos)),
        time_signatures=tuple(_dedupe(conductor.signatures)),
        keys=tuple(KeyChange(tick, key) for tick, key in conductor.keys.items()),
        title=conductor.title,
        provenance=conductor.provenance,
    )


def _describe(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, EOFError):
        return "the file ends too early (it is truncated or not a MIDI file)"
    if "MThd" in text or "header" in text.lower():
        return "it is not a Standard MIDI File"
    words = {  # mido's words for what is broken, in a musician's
        "running status": "a track has an event with no status byte before it (the track is damaged)",
        "data byte must be in range": "a note or controller value is out of MIDI's 0–127 range",
        "unknown meta": "a track has an unknown kind of event",
        "sysex": "a system-exclusive message is cut short",
    }
    for phrase, sentence in words.items():
        if phrase in text.lower():
            return f"it is not a valid MIDI file: {sentence}"
    return f"it is not a valid MIDI file ({text})"


def _dedupe(items: list) -> list:
    """Keep the last event of each tick (a later meta event overrides)."""
    by_tick = {item.tick: item for item in items}
    return [by_tick[t] for t in sorted(by_tick)]


def _read_track(path, index: int, track: mido.MidiTrack, conductor: _Conductor) -> list[_Part]:
    name = ""
    programs = [0] * 16
    volumes: list[int | None] = [None] * 16  # the first CC 7 per channel
    parts: dict[tuple[int, int], _Part] = {}
    sounding: dict[tuple[int, int], _Sounding] = {}  # (channel, pitch) -> the notes it holds
    tick = 0
    count = 0
    for msg in track:
        tick += msg.time
        if tick > MAX_TICK:
            raise FileFormatError(path, f"an event lies at tick {tick}, beyond the limit of {MAX_TICK}")
        kind = msg.type
        if kind == "track_name" and not name:
            name = from_midi_text(msg.name)
            if index == 0 and not conductor.title:
                conductor.title = name  # the first track's name is the sequence name
        elif kind == "program_change":
            programs[msg.channel] = msg.program
        elif kind == "control_change" and msg.control == 7 and volumes[msg.channel] is None:
            volumes[msg.channel] = msg.value
        elif kind in ("note_on", "note_off"):
            key = (msg.channel, msg.note)
            held = sounding.get(key)
            if kind == "note_on" and msg.velocity > 0:
                if held is not None and held.stacks_at(tick):
                    held.notes.append((tick, msg.velocity, _part_of(parts, msg.channel, programs)))
                    continue
                if held is not None:  # a re-strike: the sounding note ends here
                    count += held.restrike(msg.note, tick)
                sounding[key] = _Sounding([(tick, msg.velocity, _part_of(parts, msg.channel, programs))])
            elif held is not None:  # a note-off ends the earliest sounding note of the pitch
                count += held.release(msg.note, tick)
                if not held.notes:
                    del sounding[key]
            if count > MAX_NOTES:
                raise FileFormatError(path, f"it has more than {MAX_NOTES} notes")
        elif msg.is_meta:
            _read_meta(msg, tick, index, conductor)
    for (_, pitch), held in sounding.items():  # notes never released end with the track
        held.restrike(pitch, max(tick, held.notes[0][0] + 1))
    for part in parts.values():
        part.name = name
        part.volume = 100 if volumes[part.channel] is None else volumes[part.channel]
    return list(parts.values())


def _part_of(parts: dict[tuple[int, int], _Part], channel: int, programs: list[int]) -> _Part:
    prog = programs[channel]
    part = parts.get((channel, prog))
    if part is None:
        part = parts[(channel, prog)] = _Part("", channel, prog)
    return part


@dataclass
class _Sounding:
    """The notes of one pitch sounding on one channel: one, or a unison stacked at one tick.

    ``released``: a note-off has ended one of them, so the rest wait for their own.
    """

    notes: list[tuple[int, int, _Part]]  # (start, velocity, part), earliest note-on first
    released: bool = False

    def stacks_at(self, tick: int) -> bool:
        """Whether a note-on at ``tick`` joins these notes as a unison."""
        return not self.released and self.notes[0][0] == tick

    def release(self, pitch: int, tick: int) -> int:
        """A note-off: the earliest note ends at ``tick``; returns the notes kept (0 or 1)."""
        self.released = True
        return _close(self.notes.pop(0), pitch, tick)

    def restrike(self, pitch: int, tick: int) -> int:
        """A new note-on (or the track's end): the note still unreleased ends at ``tick``.

        Notes stacked beside it that no note-off confirmed are doubled triggers, dropped.
        """
        kept = 0 if self.released else _close(self.notes[0], pitch, tick)
        self.notes.clear()
        return kept


def _close(item: tuple[int, int, _Part], pitch: int, tick: int) -> int:
    start, velocity, part = item
    if tick <= start:
        return 0  # zero-length notes are inaudible; they are dropped
    part.notes.append(Note(start, pitch, tick - start, max(1, min(127, velocity))))
    return 1


def _read_meta(msg, tick: int, index: int, conductor: _Conductor) -> None:
    kind = msg.type
    if kind == "set_tempo" and msg.tempo > 0:
        bpm = mido.tempo2bpm(msg.tempo)
        if 1.0 <= bpm <= 1000.0:
            conductor.tempos.append(TempoChange(tick, bpm))
    elif kind == "time_signature":
        try:
            conductor.signatures.append(TimeSignature(tick, msg.numerator, msg.denominator))
        except ValueError:
            pass  # an impossible meter is ignored, not fatal
    elif kind == "key_signature":
        conductor.keys.setdefault(tick, key_from_mido(msg.key))
    elif kind == "text" and msg.text.startswith(PROVENANCE_PREFIX):
        try:
            text = decode_midi_bytes(msg.text)
            conductor.provenance = Provenance.from_dict(json.loads(text[len(PROVENANCE_PREFIX):])).to_dict()
        except (ValueError, TypeError, RecursionError):
            pass  # not Cadenza's provenance after all: the notes still load


def _to_track(part: _Part) -> Track:
    is_drum = part.channel == DRUM_CHANNEL
    return Track(name=part.name, program=part.program, is_drum=is_drum, notes=tuple(part.notes), volume=part.volume)


def write_midi(score: Score, path: str | Path, midi_type: int = 1) -> None:
    """Write ``score`` as a MIDI file of type 1 (a track per part) or type 0."""
    import io

    from app.core.atomic import atomic_write_bytes

    mid = to_midi_file(score, midi_type)
    data = io.BytesIO()
    mid.save(file=data)
    atomic_write_bytes(path, data.getvalue(), keep_backup=False)  # read-only refused, mode kept, synced


def to_midi_file(score: Score, midi_type: int = 1) -> mido.MidiFile:
    """Build the mido file object for ``score`` (used for writing and drag-out)."""
    if midi_type not in (0, 1):
        raise ValueError("midi_type must be 0 or 1")
    channels = assign_channels(score.tracks)
    conductor = _conductor_events(score)
    track_events = [_track_events(t, ch) for t, ch in zip(score.tracks, channels)]
    mid = mido.MidiFile(type=midi_type, ticks_per_beat=score.ppq)
    if midi_type == 0:
        merged = conductor + [e for events in track_events for e in events[1:]]
        mid.tracks.append(_to_track_messages(merged))
    else:
        mid.tracks.append(_to_track_messages(conductor))
        for events in track_events:
            mid.tracks.append(_to_track_messages(events))
    return mid


def assign_channels(tracks: tuple[Track, ...] | list[Track]) -> list[int]:
    """MIDI channel per track: drums on 10, others 1-16 skipping 10, shared when full."""
    free = [c for c in range(16) if c != DRUM_CHANNEL]
    result, by_program, used = [], {}, 0
    for track in tracks:
        if track.is_drum:
            result.append(DRUM_CHANNEL)
        elif used < len(free):
            result.append(free[used])
            by_program.setdefault(track.program, free[used])
            used += 1
        else:
            result.append(by_program.get(track.program, free[len(result) % len(free)]))
    return result


# An event is (tick, order, message); order puts note-offs before note-ons at
# the same tick, and meta/program events first.
def _conductor_events(score: Score) -> list[tuple[int, int, mido.Message]]:
    title = midi_text(score.title)
    events = [(0, 0, mido.MetaMessage("track_name", name=title))] if title else []
    for t in score.tempos:
        events.append((t.tick, 0, mido.MetaMessage("set_tempo", tempo=min(mido.bpm2tempo(t.bpm), MAX_MIDI_TEMPO))))
    for s in score.time_signatures:
        events.append((s.tick, 0, mido.MetaMessage("time_signature", numerator=s.numerator, denominator=s.denominator)))
    for change in score.keys:
        events.append((change.tick, 0, mido.MetaMessage("key_signature", key=key_to_mido(change.key))))
    provenance = Provenance.of(score).to_dict()
    if provenance:
        text = PROVENANCE_PREFIX + json.dumps(provenance, sort_keys=True)
        events.append((0, 0, mido.MetaMessage("text", text=text.encode("utf-8").decode("latin-1"))))
    return events


def _track_events(track: Track, channel: int) -> list[tuple[int, int, mido.Message]]:
    events = [(0, 0, mido.MetaMessage("track_name", name=midi_text(track.name)))]
    if not track.is_drum:
        events.append((0, 1, mido.Message("program_change", channel=channel, program=track.program)))
    if track.volume != 100:
        events.append((0, 1, mido.Message("control_change", channel=channel, control=7, value=track.volume)))
    last_end: dict[int, int] = {}
    notes = list(track.notes)
    for i, note in enumerate(notes):
        end = note.end
        nxt = _next_same_pitch(notes, i)
        if nxt is not None and nxt < end:
            end = nxt  # a re-strike cuts the sounding note (see module docstring)
        last_end[note.pitch] = end
        events.append((note.start, 3, mido.Message("note_on", channel=channel, note=note.pitch, velocity=note.velocity)))
        events.append((end, 2, mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)))
    return events


def _next_same_pitch(notes: list[Note], i: int) -> int | None:
    pitch, start = notes[i].pitch, notes[i].start
    for other in notes[i + 1:]:
        if other.start >= notes[i].end:
            return None
        if other.pitch == pitch and other.start > start:
            return other.start
    return None


def _to_track_messages(events: list[tuple[int, int, mido.Message]]) -> mido.MidiTrack:
    track = mido.MidiTrack()
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track
