"""Score -> music21 stream, for notation output (MusicXML).

Each track becomes one Part with its instrument, meters, key and (first part
only) tempo marks. The notes go through ``slicing.py``: overlapping notes
become chords tied from slice to slice, notes over a bar line are tied, and
every part is padded with rests to the end of the last bar, and notes below
C0 move up into its octave. ``makeNotation`` then builds measures, beams and
accidentals. Times are quantised to 1/48 of a quarter note (``ppq // 48``
ticks; a score whose ``ppq`` is not a multiple of 48 is rescaled to 480
first): every rhythm down to 128th triplets, and nothing music21 cannot
notate. Velocities are stored on the notes (``note.volume.velocity``); a
chord keeps one velocity in MusicXML, its loudest.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from music21 import chord, instrument, key, metadata, meter, note, stream, tempo, tie

from app.core.keys import parse_key
from app.core.score import Note, Score, Track
from app.core.slicing import Slice, bar_end, quantized_end, slice_track

NOTATION_PPQ = 480


def notation_grid(ppq: int) -> int:
    """The quantisation step of notation output: 1/48 of a quarter note (at least 1 tick)."""
    return max(1, ppq // 48)


def score_to_stream(score: Score, grid: int | None = None) -> stream.Score:
    """A music21 Score of ``score`` with measures, ties and instruments, ready to write.

    ``grid`` (ticks) defaults to :func:`notation_grid`; a score whose ``ppq`` is
    not a multiple of 48 is first rescaled to 480 ticks per quarter note, so that
    the grid stays 1/48 of a quarter note.
    """
    if grid is None:
        score = rescale(score, NOTATION_PPQ) if score.ppq % 48 else score
        grid = notation_grid(score.ppq)
    grid = max(1, grid)
    end = bar_end(score, quantized_end(score, grid))
    result = stream.Score()
    result.insert(0, metadata.Metadata(title=score.title or ""))
    for index, track in enumerate(score.tracks):
        part = _track_part(score, track, grid, end, index)
        part.makeNotation(inPlace=True)
        result.insert(0, part)
    return result


def rescale(score: Score, ppq: int) -> Score:
    """``score`` with every time converted to ``ppq`` ticks per quarter note (rounded)."""
    def tick(value: int) -> int:
        return round(Fraction(value * ppq, score.ppq))

    tracks = [track.with_notes(Note(tick(n.start), n.pitch, max(1, tick(n.end) - tick(n.start)), n.velocity)
                               for n in track.notes) for track in score.tracks]
    return replace(score, tracks=tuple(tracks), ppq=ppq,
                   tempos=tuple(replace(t, tick=tick(t.tick)) for t in score.tempos),
                   time_signatures=tuple(replace(s, tick=tick(s.tick)) for s in score.time_signatures))


def _offset(tick: int, ppq: int) -> Fraction:
    return Fraction(tick, ppq)


def _track_part(score: Score, track: Track, grid: int, end: int, index: int) -> stream.Part:
    """One flat Part: instrument, meters, key, tempo (first part) and the sliced notes."""
    part = stream.Part(id=f"P{index + 1}")
    part.partName = track.name or None
    part.insert(0, _instrument(track))
    for sig in score.time_signatures:
        part.insert(_offset(sig.tick, score.ppq), meter.TimeSignature(f"{sig.numerator}/{sig.denominator}"))
    m21_key = _m21_key(score.key)
    if m21_key is not None:
        part.insert(0, m21_key)
    if index == 0:
        for change in score.tempos:
            part.insert(_offset(change.tick, score.ppq), tempo.MetronomeMark(number=round(change.bpm, 3)))
    tied_in: set[int] = set()
    for piece in slice_track(score, track, grid=grid, end=end):
        part.insert(_offset(piece.start, score.ppq), _element(piece, tied_in, score.ppq))
        tied_in = {n.pitch for n in piece.notes if n.tie_to_next}
    return part


def _instrument(track: Track) -> instrument.Instrument:
    """The music21 instrument of a track, keeping its exact GM program."""
    if track.is_drum:
        inst = instrument.UnpitchedPercussion()
        inst.midiChannel = 9
    else:
        try:
            inst = instrument.instrumentFromMidiProgram(track.program)
        except Exception:  # an unmapped program: a generic instrument keeps the number
            inst = instrument.Instrument()
    inst.midiProgram = track.program
    if track.name:
        inst.partName = track.name
    return inst


def _m21_key(name: str | None) -> key.Key | None:
    if not name:
        return None
    try:
        tonic, mode = parse_key(name)
    except ValueError:
        return None
    return key.Key(tonic.replace("b", "-"), mode)


def _tie(pitch: int, tied_in: set[int], tie_out: bool) -> tie.Tie | None:
    if pitch in tied_in:
        return tie.Tie("continue" if tie_out else "stop")
    return tie.Tie("start") if tie_out else None


def _element(piece: Slice, tied_in: set[int], ppq: int) -> note.GeneralNote:
    """A rest, note or chord for one slice, with its ties and velocities."""
    length = _offset(piece.duration, ppq)
    if piece.is_rest:
        return note.Rest(quarterLength=length)
    members = []
    for sliced in piece.notes:
        n = note.Note(sliced.pitch, quarterLength=length)
        n.volume.velocity = sliced.velocity
        n.tie = _tie(sliced.pitch, tied_in, sliced.tie_to_next)
        members.append(n)
    if len(members) == 1:
        return members[0]
    result = chord.Chord(members, quarterLength=length)
    for member, n in zip(result.notes, members):  # Chord may copy its notes
        member.tie = n.tie
        member.volume.velocity = n.volume.velocity
    result.volume.velocity = max(n.velocity for n in piece.notes)  # MusicXML keeps one per chord
    return result
