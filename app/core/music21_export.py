"""Score -> music21 stream, for notation output (MusicXML), built ready to write.

Each track becomes one Part with its instrument, key, meters and (first part
only) tempo marks, and Cadenza builds the notation itself instead of asking
music21's ``makeNotation`` to (which took half a minute for a 5,000-note
file, and failed on meters or tempos off the grid):

* Times are quantised per part to what notation can show (``notation_grid``:
  each beat on a 64th-note or 32nd-note-triplet grid, nothing shorter than one
  step); what that changed is counted in a ``GridReport``. A score whose
  ``ppq`` is not a multiple of 48 is first rescaled to 480.
* The notes go through ``slicing.py``: overlapping notes become chords tied
  from slice to slice, notes over a bar line or a tempo change are tied, every
  part ends on the same bar line, and notes below C0 move into its octave.
  Unisons stay two notes of one chord.
* Bars are the score's own (``timing.bar_lines``): a meter change takes effect
  at a bar line. Each slice is written as tied note values (``note_values``),
  triplets bracketed per beat, short notes beamed per beat.
* Pitches are spelled in the key in force (``keys.spell``), with an
  accidental shown where the key and the bar so far do not imply it. Every
  change of the key map is a key signature in the measure where it falls, at
  its offset (notes are cut there, as at a tempo change). Velocities are stored on
  the notes (``note.volume.velocity``); a chord keeps one, its loudest.
* Texts (title, part names) are cleaned for XML (``text.xml_text``).

The stream holds measures, so it is written with ``makeNotation`` off
(``musicxml.musicxml_bytes``).
"""

from __future__ import annotations

from fractions import Fraction

from music21 import bar, beam, chord, clef, duration, instrument, key, metadata, meter, note, pitch, stream, tempo, tie

from app.core.keys import key_alterations, key_fifths, key_tonic, parse_key, spell
from app.core.notation_grid import BeatGrid, GridReport, bar_spans, notation_score
from app.core.score import Note, Score, Track
from app.core.slicing import Slice, bar_end, lift_low_notes, slice_notes
from app.core.text import xml_text
from app.core.timing import bar_lines

_BEAM_LEVELS = {"eighth": 1, "16th": 2, "32nd": 3, "64th": 4, "128th": 5}


def score_to_stream(score: Score, report: GridReport | None = None) -> stream.Score:
    """A music21 Score of ``score`` with measures, ties and instruments, ready to write (see module doc).

    What quantising changed is added to ``report`` when one is given.
    """
    score = notation_score(score)
    ppq = score.ppq
    report = GridReport() if report is None else report
    raw_end = max(score.end, 1)
    bars = bar_spans(score, bar_end(score, raw_end + score.time_signatures[-1].bar_ticks(ppq)))
    parts = score.tracks or (Track(),)  # an empty score is one part of rests: MusicXML needs a measure
    grids, tracks = [], []
    for track in parts:
        grid = BeatGrid.for_notes(bars, ppq, track.notes)
        grids.append(grid)
        tracks.append(grid.quantize(lift_low_notes(track.notes), report))
    last = max((n.end for notes in tracks for n in notes), default=1)
    spans = [span for span in bars if span[0] < last] or bars[:1]
    end = spans[-1][0] + spans[-1][1]
    result = stream.Score()
    result.insert(0, metadata.Metadata(title=xml_text(score.title)))
    for index, (track, notes, grid) in enumerate(zip(parts, tracks, grids)):
        tempos = _tempo_marks(score, grid) if index == 0 else {}
        result.coreInsert(0, _part(score, track, notes, grid, spans, end, tempos, index))
    result.coreElementsChanged()
    return result


def _tempo_marks(score: Score, grid: BeatGrid) -> dict[int, float]:
    """Tempo changes on the first part's grid (a later change at the same tick wins)."""
    return {grid.snap(t.tick): round(t.bpm, 3) for t in score.tempos}


def _fifths(name: str | None) -> int:
    try:
        return key_fifths(name) if name else 0
    except ValueError:
        return 0


def _part(score: Score, track: Track, notes: list[Note], grid: BeatGrid, spans: list[tuple[int, int]],
          end: int, tempos: dict[int, float], index: int) -> stream.Part:
    """One Part: its measures, each holding the slices of that bar."""
    ppq = score.ppq
    part = stream.Part(id=f"P{index + 1}")
    part.partName = xml_text(track.name) or None
    keys = {grid.snap(k.tick): k.key for k in score.keys}  # the key map on this part's grid
    cuts = [tick for tick, _ in spans] + [t for t in tempos if t > 0] + [t for t in keys if t > 0]
    slices = slice_notes(notes, cuts, end=end)
    spellings = {tick: (0, None) if track.is_drum else (_fifths(name), key_tonic(name)) for tick, name in keys.items()}
    lines = {b.tick: b.signature for b in bar_lines(score, until=end)}
    position, previous_meter = 0, None
    for number, (start, length) in enumerate(spans, start=1):
        measure = stream.Measure(number=number)
        signature = lines.get(start)
        if signature is not None and (signature.numerator, signature.denominator) != previous_meter:
            previous_meter = (signature.numerator, signature.denominator)
            measure.coreInsert(0, meter.TimeSignature(f"{signature.numerator}/{signature.denominator}"))
        if number == 1:
            measure.coreInsert(0, _instrument(track))
            measure.coreInsert(0, _clef(track, notes))
        for tick, name in keys.items():
            m21_key = _m21_key(name) if start <= tick < start + length else None
            if m21_key is not None:
                measure.coreInsert(Fraction(tick - start, ppq), m21_key)
        position = _fill_measure(measure, slices, position, start, start + length, grid, ppq,
                                 spellings or {0: (0, None)}, tempos, previous_meter)
        if number == len(spans):
            measure.rightBarline = bar.Barline("final")
        measure.coreElementsChanged()
        part.coreInsert(Fraction(start, ppq), measure)
    part.coreElementsChanged()
    return part


def _fill_measure(measure: stream.Measure, slices: list[Slice], position: int, start: int, stop: int,
                  grid: BeatGrid, ppq: int, spellings: dict[int, tuple[int, int | None]], tempos: dict[int, float],
                  meter_now: tuple[int, int] | None) -> int:
    """Write the slices of one bar into ``measure``; returns the index of the next slice."""
    written: dict[tuple[str, int], int] = {}  # accidentals shown so far in this bar
    placed: list[tuple[int, note.GeneralNote, bool]] = []  # (tick, element, triplet)
    while position < len(slices) and slices[position].start < stop:
        piece = slices[position]
        if piece.start in tempos:
            measure.coreInsert(Fraction(piece.start - start, ppq), tempo.MetronomeMark(number=tempos[piece.start]))
        if piece.start in spellings and piece.start > start:
            written = {}  # a key change inside the bar: accidentals count from the new signature
        spelling = spellings[max((t for t in spellings if t <= piece.start), default=min(spellings))]
        pitches = [_spelled(n.pitch, spelling, written) for n in piece.notes]
        values = grid.note_values(piece.start, piece.end)
        tied_in = {n.pitch for n in slices[position - 1].notes if n.tie_to_next} if position else set()
        tick = piece.start
        for i, (length, triplet) in enumerate(values):
            element = _element(piece, pitches, length, triplet, ppq, tied_in if i == 0 else None,
                               i < len(values) - 1, whole_bar=length == stop - start)
            measure.coreInsert(Fraction(tick - start, ppq), element)
            placed.append((tick, element, triplet))
            tick += length
        position += 1
    _bracket_triplets(placed, grid)
    _beam(placed, start, _beam_unit(meter_now, ppq))
    return position


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
        if isinstance(inst, instrument.UnpitchedPercussion):  # GM's pitched Agogo, Woodblock, Taiko, Tom-Tom
            pitched = instrument.Instrument()
            pitched.instrumentName, pitched.instrumentAbbreviation = inst.instrumentName, inst.instrumentAbbreviation
            inst = pitched
    inst.midiProgram = track.program
    name = xml_text(track.name)
    if name:
        inst.partName = name
    return inst


def _clef(track: Track, notes: list[Note]) -> clef.Clef:
    """Bass clef for parts that lie mostly below middle C, else treble."""
    if notes and sum(n.pitch for n in notes) / len(notes) < 60:
        return clef.BassClef()
    return clef.TrebleClef()


def _m21_key(name: str | None) -> key.Key | None:
    if not name:
        return None
    try:
        tonic, mode = parse_key(name)
    except ValueError:
        return None
    return key.Key(tonic.replace("b", "-"), mode)


def _spelled(midi: int, spelling: tuple[int, int | None], written: dict[tuple[str, int], int]) -> pitch.Pitch:
    """``midi`` spelled in the key, its accidental shown when the key and the bar so far do not imply it."""
    fifths, tonic = spelling
    letter, alter, octave = spell(midi, fifths, tonic)
    result = pitch.Pitch(letter, octave=octave)
    implied = written.get((letter, octave), key_alterations(fifths)[letter])
    if alter or implied:
        result.accidental = pitch.Accidental(alter)
        result.accidental.displayStatus = alter != implied
    written[(letter, octave)] = alter
    return result


def _duration(ticks: int, triplet: bool, ppq: int) -> duration.Duration:
    if not triplet:
        return duration.Duration(Fraction(ticks, ppq))
    written = duration.Duration(Fraction(ticks * 3, ppq * 2))
    result = duration.Duration(type=written.type, dots=written.dots)
    result.appendTuplet(duration.Tuplet(3, 2))
    return result


def _element(piece: Slice, pitches: list[pitch.Pitch], ticks: int, triplet: bool, ppq: int,
             tied_in: set[int] | None, tied_on: bool, whole_bar: bool = False) -> note.GeneralNote:
    """A rest, note or chord for one written value of a slice, with its ties and velocities.

    ``tied_in``: the pitches tied into the slice's first value; ``None`` for a
    later value of the slice, which every note is tied into.
    """
    length = _duration(ticks, triplet, ppq)
    if piece.is_rest:
        rest = note.Rest(duration=length)
        rest.fullMeasure = whole_bar  # said here, so the exporter does not search for the meter
        return rest
    members = []
    for sliced, spelled in zip(piece.notes, pitches):
        if tied_in is None:  # the same notes again: no accidental shown
            spelled = pitch.Pitch(spelled.nameWithOctave)
            if spelled.accidental is not None:
                spelled.accidental.displayStatus = False
        n = note.Note(spelled, duration=length)
        n.volume.velocity = sliced.velocity
        n.tie = _tie(tied_in is None or sliced.pitch in tied_in, sliced.tie_to_next or tied_on)
        members.append(n)
    if len(members) == 1:
        return members[0]
    result = _SortedChord(members, duration=length)
    for member, n in zip(result.notes, members):  # Chord may copy its notes
        member.tie = n.tie
        member.volume.velocity = n.volume.velocity
    result.volume.velocity = max(n.velocity for n in piece.notes)  # MusicXML keeps one per chord
    return result


class _SortedChord(chord.Chord):
    """A chord whose notes are already in ascending order (slices sort them).

    music21's exporter calls ``sortAscending()`` on every chord and drops the
    sorted copy it returns; skipping that deep copy halves the export time.
    """

    def sortAscending(self, *, inPlace=False):
        return None if inPlace else self


def _tie(tied_in: bool, tied_on: bool) -> tie.Tie | None:
    if tied_in:
        return tie.Tie("continue" if tied_on else "stop")
    return tie.Tie("start") if tied_on else None


def _bracket_triplets(placed: list[tuple[int, note.GeneralNote, bool]], grid: BeatGrid) -> None:
    """Start and stop a triplet bracket in each beat that holds triplets."""
    groups: dict[int, list[note.GeneralNote]] = {}
    for tick, element, triplet in placed:
        if triplet:
            groups.setdefault(grid.beat_of(tick), []).append(element)
    for elements in groups.values():
        first, last = elements[0].duration.tuplets[0], elements[-1].duration.tuplets[0]
        if len(elements) == 1:
            first.type = "startStop"
        else:
            first.type, last.type = "start", "stop"


def _beam_unit(meter_now: tuple[int, int] | None, ppq: int) -> int:
    """Notes are beamed within a beat: a dotted quarter in compound meters, else a quarter."""
    if meter_now is not None:
        numerator, denominator = meter_now
        if denominator >= 8 and numerator % 3 == 0 and numerator > 3:
            return 3 * ppq * 4 // denominator
    return ppq


def _beam(placed: list[tuple[int, note.GeneralNote, bool]], start: int, unit: int) -> None:
    """Beam runs of eighths and shorter notes within each beat (rests break a run)."""
    run: list[note.GeneralNote] = []
    group = None
    for tick, element, _ in placed:
        levels = 0 if element.isRest else _BEAM_LEVELS.get(element.duration.type, 0)
        here = (tick - start) // unit
        if not levels or here != group:
            _beam_run(run)
            run = []
        group = here
        if levels:
            run.append(element)
    _beam_run(run)


def _beam_run(run: list[note.GeneralNote]) -> None:
    if len(run) < 2:
        return
    levels = [_BEAM_LEVELS[e.duration.type] for e in run]
    for i, element in enumerate(run):
        for level in range(1, levels[i] + 1):
            before = i > 0 and levels[i - 1] >= level
            after = i + 1 < len(run) and levels[i + 1] >= level
            if before and after:
                kind, direction = "continue", None
            elif after:
                kind, direction = "start", None
            elif before:
                kind, direction = "stop", None
            else:
                kind, direction = "partial", "right" if i == 0 else "left"
            element.beams.beamsList.append(beam.Beam(type=kind, direction=direction, number=level))
